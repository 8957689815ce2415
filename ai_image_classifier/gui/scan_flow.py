"""A folder scan: its verdicts, their order, Enhance all and export (Tk-free).

Rules: the scan shares the window's loaded model (under its lock) instead of loading a second
one, waiting for it if it is still loading; progress is reported per picture, and Cancel keeps
every result already computed; the enhanced copies never go into the scanned folder itself
or a folder holding it, and the last output folder is remembered.
"""

from __future__ import annotations

import csv
import json
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..datasets import iter_image_files
from ..imaging import one_line
from ..saving import atomic_write
from ..verdict import FLAT_FIELDS, flat_record, verdict_record
from .model_flow import ModelFlow
from .ports import Dialogs, Tasks
from .progress import TimeLeft, duration
from .settings import Settings, first_folder
from .tasks import CancelToken

if TYPE_CHECKING:
    from ..batch import BatchResult
    from ..enhance_settings import EnhanceSettings

COLUMNS = ("file", "verdict", "decided_by", "probability", "details")
#: Column titles: the score is the model's own, whatever decided the verdict.
TITLES = {"file": "File", "verdict": "Verdict", "decided_by": "Decided by",
          "probability": "Model score", "details": "Details"}
#: What makes a spreadsheet read a cell as a formula (OWASP's list for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ARROWS = {False: " ▲", True: " ▼"}  # ascending, descending


def spreadsheet_safe(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows as text: a file named "=HYPERLINK(…).jpg" must
    not become a formula when the export is opened, so such text gets a leading ' (as OWASP
    advises); numbers stay numbers."""
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def cells(row: dict[str, Any]) -> tuple[str, str, str, str, str]:
    """A row as shown: the main window's headline, what decided it (a declaration or the
    model), the model's score; the details hold the evidence beyond the score, or the whole
    error."""
    if "error" in row:
        return row["path"], "UNREADABLE", "", "", row["error"]
    details = "; ".join(e for e in row["evidence"] if not e.startswith("the model sees"))
    return (row["path"], row["headline"], row["decided_by"],
            f"{row['model']['probability']:.3f}", details or row["model"]["region"])


class ScanUI(Protocol):
    def rows_added(self, rows: list[dict[str, Any]]) -> None: ...
    def rows_shown(self, rows: list[dict[str, Any]]) -> None: ...
    def scan_state(self, fraction: float, text: str, *, busy: bool,
                   can_export: bool) -> None: ...


class ScanFlow:
    def __init__(self, tasks: Tasks, models: ModelFlow, dialogs: Dialogs, settings: Settings,
                 folder: Path, ui: ScanUI,
                 enhance_choices: Callable[[], tuple[EnhanceSettings, int]],
                 clock: Callable[[], float] = time.monotonic) -> None:
        """`enhance_choices()` gives the Enhance tab's settings and save quality."""
        self.tasks, self.models, self.dialogs, self.settings = tasks, models, dialogs, settings
        self.folder, self.ui, self._choices, self._clock = folder, ui, enhance_choices, clock
        self.rows: list[dict[str, Any]] = []
        self.total = 0
        self.finished = False
        self.sorted_by: tuple[str, bool] | None = None
        self.token = CancelToken()
        self.batch_token: CancelToken | None = None
        self.batch_results: list[BatchResult] = []
        self._timer = TimeLeft(clock)

    # ---------- scanning ----------
    def start(self) -> None:
        token, models, folder = self.token, self.models, self.folder
        self._state(0.0, "Finding images…")

        def work() -> int:
            paths = list(iter_image_files([folder]))
            self.tasks.call_soon(self._found, len(paths))
            while not models.ready.wait(0.2):  # the window's model is still loading
                if token.cancelled:
                    return len(paths)
            classifier = models.classifier
            if classifier is None:
                raise RuntimeError(f"no model ({models.error})")
            results = classifier.classify_files(paths, batch_size=1)
            for _ in paths:
                if token.cancelled:
                    break
                with models.lock:
                    path, result = next(results)
                self.tasks.call_soon(self._add, verdict_record(
                    str(path.relative_to(folder)), result))
            return len(paths)

        self.tasks.submit("scan", work, self._done, self._failed)

    def _found(self, count: int) -> None:
        self.total = count
        self._timer = TimeLeft(self._clock)
        self._state(0.0, f"0 of {count} scanned" if count else "No images found")

    def _add(self, row: dict[str, Any]) -> None:
        """One picture's result: kept even when Cancel came after it was computed."""
        self.rows.append(row)
        self.ui.rows_added([row])
        fraction = len(self.rows) / max(1, self.total)
        left = self._timer.left_s(fraction)
        self._state(fraction, f"{len(self.rows)} of {self.total} scanned" + (
            f", about {duration(left)} left" if left is not None else ""))

    def summary(self) -> str:
        count = Counter(row.get("label", "error") for row in self.rows)
        state = "Cancelled" if self.token.cancelled else "Done"
        return (f"{state}: {len(self.rows)} of {self.total}, {count['fake']} flagged, "
                f"{count['uncertain']} uncertain, {count['error']} unreadable")

    def _done(self, _total: int) -> None:
        self.finished = True
        self._state(1.0 if not self.token.cancelled else len(self.rows) / max(1, self.total),
                    self.summary())

    def _failed(self, error: BaseException) -> None:
        self.finished = True
        self._state(0.0, f"Scan failed: {one_line(error)}")

    def _state(self, fraction: float, text: str) -> None:
        busy = not self.finished or self.batch_token is not None
        self.ui.scan_state(fraction, text, busy=busy,
                           can_export=self.finished and bool(self.rows)
                           and self.batch_token is None)

    def cancel(self) -> None:
        self.token.cancel()
        if self.batch_token is not None:
            self.batch_token.cancel()

    # ---------- order ----------
    def heading(self, column: str) -> str:
        """A column's title, with an arrow when the table is sorted by it."""
        arrow = ARROWS[self.sorted_by[1]] if self.sorted_by and self.sorted_by[0] == column \
            else ""
        return TITLES[column] + arrow

    def sort_by(self, column: str) -> None:
        """Sort by a column; a second click on it reverses the order; empty cells last."""
        descending = self.sorted_by == (column, False)
        index = COLUMNS.index(column)

        def key(row: dict[str, Any]) -> Any:
            value = cells(row)[index]
            return float(value) if column == "probability" else value.casefold()

        filled = [row for row in self.rows if cells(row)[index]]
        empty = [row for row in self.rows if not cells(row)[index]]
        self.rows[:] = sorted(filled, key=key, reverse=descending) + empty
        self.sorted_by = (column, descending)
        self.ui.rows_shown(self.rows)

    # ---------- enhance every scanned picture ----------
    def output_problem(self, out_dir: Path) -> str:
        """Why `out_dir` cannot take the enhanced copies ("" when it can)."""
        chosen, scanned = out_dir.resolve(), self.folder.resolve()
        if chosen == scanned:
            return ("That is the scanned folder itself: the enhanced copies need a folder of "
                    "their own (a new folder inside it works).")
        if chosen in scanned.parents:
            return ("That folder holds the scanned folder: choose one outside it, or a new "
                    "folder inside the scanned one.")
        return ""

    def ask_enhance_all(self) -> None:
        proposal = first_folder(self.settings.last_output_folder, str(self.folder.parent))
        while True:
            chosen = self.dialogs.open_folder(proposal, "Folder for the enhanced copies")
            if not chosen:
                return
            problem = self.output_problem(Path(chosen))
            if not problem:
                break
            self.dialogs.error("Choose another folder", problem)
            proposal = chosen
        self.settings.last_output_folder = chosen
        self.settings.save()
        self.enhance_all(Path(chosen))

    def enhance_all(self, out_dir: Path) -> None:
        """Enhance every readable scanned picture into `out_dir`, keeping sub-folders;
        outputs that exist are skipped, never replaced."""
        from ..batch import enhance_batch, plan_folder  # OpenCV: only once it is needed

        settings, quality = self._choices()
        sources = [self.folder / row["path"] for row in self.rows if "error" not in row]
        items = plan_folder(self.folder, out_dir, sources=sources)
        if not items:
            self._state(0.0, "Nothing to enhance: " + (
                f"every readable picture is inside {out_dir.name}." if sources
                else "no readable picture in this scan."))
            return
        token = self.batch_token = CancelToken()
        self.batch_results, timer = [], TimeLeft(self._clock)
        self._state(0.0, f"Enhancing 0 of {len(items)}…")

        def each(result: BatchResult) -> None:
            self.tasks.call_soon(self._enhanced_one, token, result, len(items), timer)

        def work() -> None:
            enhance_batch(items, settings, quality=quality,
                          should_stop=lambda: token.cancelled, on_each=each)

        self.tasks.submit("batch", work, lambda _: self._batch_done(token, out_dir, len(items)),
                          lambda error: self._batch_done(token, out_dir, len(items), error))

    def _enhanced_one(self, token: CancelToken, result: BatchResult, total: int,
                      timer: TimeLeft) -> None:
        if token is not self.batch_token:
            return
        self.batch_results.append(result)
        fraction = len(self.batch_results) / total
        self._state(fraction, f"Enhancing {len(self.batch_results)} of {total}: "
                              f"{timer.describe(fraction)}")

    def _batch_done(self, token: CancelToken, out_dir: Path, total: int,
                    error: BaseException | None = None) -> None:
        from ..enhance import Cancelled

        if token is not self.batch_token:
            return
        self.batch_token = None
        count = Counter(result.status for result in self.batch_results)
        if error is not None and not isinstance(error, Cancelled):
            self._state(0.0, f"Enhancing stopped: {one_line(error)}")
            return
        state = "Cancelled" if token.cancelled else "Enhanced"
        self._state(1.0, f"{state}: {count['done']} of {total} written to {out_dir.name}, "
                         f"{count['skipped']} skipped (already there), {count['error']} "
                         "failed")

    # ---------- export ----------
    def ask_export(self, kind: str) -> None:
        types = [("CSV", "*.csv")] if kind == "csv" else [("JSON", "*.json")]
        chosen = self.dialogs.save_as(str(self.folder), f"scan.{kind}", types)
        if not chosen:
            return
        target = Path(chosen)
        if target.exists() and not self.dialogs.confirm("Replace file?",
                                                        f"{target.name} exists. Replace it?"):
            return
        try:
            self.export(target, kind)
        except OSError as error:
            self.dialogs.error("Cannot export", str(error))
        else:
            self._state(1.0, f"Exported {target.name}")

    def export(self, target: Path, kind: str) -> None:
        with atomic_write(target, "w", newline="", encoding="utf-8") as handle:
            if kind == "json":
                json.dump({"folder": str(self.folder), "results": self.rows}, handle, indent=1,
                          ensure_ascii=False)
            else:
                writer = csv.DictWriter(handle, FLAT_FIELDS)
                writer.writeheader()
                writer.writerows({key: spreadsheet_safe(value)
                                  for key, value in flat_record(row).items()}
                                 for row in self.rows)
