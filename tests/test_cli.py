"""`aiic` end to end, in a subprocess as a user would run it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from .conftest import ROOT, write_face_folder


def aiic(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ai_image_classifier", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = write_face_folder(tmp_path_factory.mktemp("cli") / "faces", per_class=4)
    (root / "fake" / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    return root


def test_classify_folder_json(folder, tiny_model):
    model = str(tiny_model.with_suffix(".tflite"))
    result = aiic("classify", str(folder), "--json", "--model", model)
    assert result.returncode == 1  # one broken file
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 9
    broken = [r for r in records if "error" in r]
    assert len(broken) == 1 and broken[0]["path"].endswith("broken.jpg")
    good = [r for r in records if "error" not in r]
    assert all(r["label"] in ("real", "fake", "uncertain")
               and 0 <= r["model"]["probability"] <= 1 for r in good)
    assert all(set(r) == {"path", "label", "headline", "decided_by", "declared_by", "declared",
                          "notes", "model", "evidence"} for r in good)
    assert all(r["declared"] == [] and r["model"]["label"] == r["label"] for r in good)
    assert all((r["decided_by"], r["declared_by"]) == ("model", "") for r in good)
    assert all(r["evidence"] == [f"the model sees: {r['label']} "
                                 f"(score {r['model']['probability']:.2f})"] for r in good)


def test_classify_one_file_text(folder, tiny_model):
    image = folder / "real" / "real_0.jpg"
    result = aiic("classify", str(image), "--model", str(tiny_model.with_suffix(".tflite")))
    assert result.returncode == 0
    assert any(text in result.stdout for text in ("REAL IMAGE", "AI-GENERATED", "UNCERTAIN"))


def test_classify_with_bundled_model_non_latin_path(tmp_path):
    path = tmp_path / "фото.png"
    Image.new("RGB", (50, 40), (200, 150, 100)).save(path)
    result = aiic("classify", str(path), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["path"] == str(path)


def test_classify_missing_model_message(tmp_path, folder):
    result = aiic("classify", str(folder), "--model", str(tmp_path / "nothing.tflite"))
    assert result.returncode != 0
    assert "model file not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_enhance_writes_and_refuses_overwrite(tmp_path):
    source = tmp_path / "in.png"
    Image.fromarray(np.full((30, 40, 3), 120, np.uint8)).save(source)
    target = tmp_path / "out.jpg"
    first = aiic("enhance", str(source), "-o", str(target))
    assert first.returncode == 0, first.stderr
    assert Image.open(target).size == (80, 60)
    before = target.read_bytes()
    second = aiic("enhance", str(source), "-o", str(target), "--scale", "1")
    assert second.returncode == 1 and "--overwrite" in second.stderr
    assert target.read_bytes() == before
    third = aiic("enhance", str(source), "-o", str(target), "--scale", "1", "--overwrite")
    assert third.returncode == 0 and Image.open(target).size == (40, 30)


def test_enhance_says_what_auto_denoising_did(tmp_path):
    clean, noisy = tmp_path / "clean.png", tmp_path / "noisy.png"
    flat = np.full((60, 80, 3), 120, np.uint8)
    Image.fromarray(flat).save(clean)
    grain = np.random.default_rng(0).normal(0, 12, flat.shape)
    Image.fromarray(np.clip(flat + grain, 0, 255).astype(np.uint8)).save(noisy)
    kept = aiic("enhance", str(clean), "-o", str(tmp_path / "a.png"), "--method", "bicubic")
    assert kept.returncode == 0, kept.stderr
    assert "no noise found (level 0.0)" in kept.stdout
    removed = aiic("enhance", str(noisy), "-o", str(tmp_path / "b.png"), "--method", "bicubic")
    assert removed.returncode == 0, removed.stderr
    assert "noise level " in removed.stdout and ", removed at strength " in removed.stdout
    off = aiic("enhance", str(noisy), "-o", str(tmp_path / "c.png"), "--denoise", "off")
    assert "not denoised (denoising off)" in off.stdout


def test_enhance_never_writes_over_input(tmp_path):
    source = tmp_path / "in.png"
    Image.new("RGB", (10, 10)).save(source)
    before = source.read_bytes()
    result = aiic("enhance", str(source), "-o", str(source), "--overwrite")
    assert result.returncode == 2 and source.read_bytes() == before


def test_enhance_folder_keeps_structure_and_goes_on_after_errors(tmp_path):
    source = tmp_path / "photos"
    (source / "trip").mkdir(parents=True)
    Image.fromarray(np.full((20, 30, 3), 90, np.uint8)).save(source / "trip" / "a.jpg")
    Image.fromarray(np.full((10, 10, 3), 90, np.uint8)).save(source / "b.png")
    (source / "c.png").write_text("broken")
    out = tmp_path / "out"
    result = aiic("enhance", str(source), "-o", str(out), "--method", "lanczos", "--scale", "4",
                  "--denoise", "off")
    assert result.returncode == 1, result.stderr
    assert Image.open(out / "trip" / "a.jpg").size == (120, 80)
    assert Image.open(out / "b.png").size == (40, 40)
    assert "2 enhanced, 0 skipped, 1 failed" in result.stderr
    assert "Traceback" not in result.stderr
    again = aiic("enhance", str(source), "-o", str(out), "--method", "bicubic")
    assert "0 enhanced, 2 skipped, 1 failed" in again.stderr


@pytest.mark.parametrize("options", [["--denoise", "lots"], ["--scale", "3"],
                                     ["--method", "magic"]])
def test_enhance_refuses_bad_options(tmp_path, options):
    source = tmp_path / "in.png"
    Image.new("RGB", (10, 10)).save(source)
    result = aiic("enhance", str(source), "-o", str(tmp_path / "o.png"), *options)
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_enhance_bad_input(tmp_path):
    source = tmp_path / "in.png"
    source.write_text("nope")
    result = aiic("enhance", str(source), "-o", str(tmp_path / "o.png"))
    assert result.returncode == 1 and "not an image" in result.stderr
    assert not (tmp_path / "o.png").exists()


def test_evaluate_folder_json(tmp_path, tiny_model):
    data = write_face_folder(tmp_path / "eval", per_class=5, seed=3)
    result = aiic("evaluate", "--data", str(data), "--json",
                  "--model", str(tiny_model.with_suffix(".tflite")))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    keys = {"n", "accuracy", "balanced_accuracy", "precision", "recall", "auc", "ece",
            "true_positive_rate", "true_negative_rate"}
    assert keys <= set(report["overall"]) and report["overall"]["n"] == 10
    assert set(report["by_source"]) == {"eval"}


@pytest.mark.parametrize("name, folder", [("ai_imageclassifier", "shared_data"),
                                          ("seed_cnn", "shared_data"),
                                          ("general_detector", "sampled_faces"),
                                          ("general_detector", "shared_general"),
                                          ("general_detector", "shared_wild")])
def test_evaluate_reproduces_bundled_card(request, name, folder):
    """`aiic evaluate` on a test split gives the card's numbers: the card was measured the way
    the app judges. A card covering several data folders is compared folder by folder (or,
    for an older card, source by source)."""
    data = request.getfixturevalue(folder)
    card = json.loads((ROOT / "model" / f"{name}.card.json").read_text())
    result = aiic("evaluate", "--data", str(data), "--split", "test", "--json",
                  "--model", name)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    expected = card["metrics"].get("test_by_folder", {}).get(data.name) \
        or card["metrics"]["test"]
    evaluated = set(report["by_source"])
    scopes = ["overall"] if evaluated == set(expected["by_source"]) else []
    assert evaluated <= set(expected["by_source"])
    for scope in (*scopes, *evaluated):
        got = report["overall"] if scope == "overall" else report["by_source"][scope]
        want = expected["overall"] if scope == "overall" else expected["by_source"][scope]
        assert got["n"] == want["n"]
        # The encoder's last bits depend on which pictures share a batch, which can swap two
        # nearly tied scores: up to two swapped pairs are allowed in an AUC.
        matrix = want.get("confusion_matrix") or {}
        pairs = (matrix.get("tp", 0) + matrix.get("fn", 0)) * (matrix.get("tn", 0)
                                                              + matrix.get("fp", 0))
        for key in ("accuracy", "balanced_accuracy", "auc", "ece", "precision", "recall",
                    "uncertain_rate", "accuracy_outside_band"):
            tolerance = max(1e-4, 2.0 / pairs) if key == "auc" and pairs else 1e-4
            assert got[key] == pytest.approx(want[key], abs=tolerance), (scope, key)


def test_the_text_line_says_what_a_real_answer_is_worth():
    from ai_image_classifier.cli import text_line
    from ai_image_classifier.verdict import Verdict

    caveat = "No sign of AI generation found. That is weak evidence."
    line = text_line("photo.jpg", Verdict("real", 0.1, 0.5, caveat=caveat))
    assert line.split("\t")[-1] == caveat
    assert caveat not in text_line("x.jpg", Verdict("fake", 0.9, 0.5))
