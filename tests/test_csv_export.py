"""A scan's CSV export: a file name can never start a spreadsheet formula."""

from __future__ import annotations

import csv

import pytest

from ai_image_classifier.gui.scan_flow import ScanFlow
from ai_image_classifier.gui.settings import Settings
from ai_image_classifier.verdict import Verdict, verdict_record

NAMES = ["=HYPERLINK(\"http://example.com\",\"x\").jpg", "+1.png", "-2.png", "@SUM(A1).png",
         "\tTAB.png", "\rCR.png"]


@pytest.mark.parametrize("judged", [True, False])
def test_names_that_would_be_formulas_are_exported_as_text(tmp_path, judged):
    flow = ScanFlow(None, None, None, Settings(), tmp_path, None, lambda: None)
    flow.rows = [verdict_record(name, Verdict("real", 0.25, 0.5) if judged
                                else ValueError("=1+1 is not a picture")) for name in NAMES]
    flow.rows.append(verdict_record("plain.jpg", Verdict("fake", 0.75, 0.5)))
    target = tmp_path / "scan.csv"
    flow.export(target, "csv")
    with open(target, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["path"] for row in rows] == [f"'{name}" for name in NAMES] + ["plain.jpg"]
    cells = [cell for row in rows for cell in row.values()]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    assert rows[-1]["probability"] == "0.75"  # numbers stay numbers


def test_the_flat_record_says_who_decided():
    from ai_image_classifier.verdict import FLAT_FIELDS, flat_record

    verdict = Verdict("fake", 0.4, 0.5, declared=("signed",), decided_by="signed by Google LLC")
    row = flat_record(verdict_record("a.jpg", verdict))
    assert set(row) <= set(FLAT_FIELDS)
    assert (row["decided_by"], row["declared_by"]) == ("declaration", "signed by Google LLC")
