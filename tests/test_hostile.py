"""Hostile files, faults and bad models: one clear line per file, never a traceback.

The corpus is written at test time by `tests/corpus/hostile.py`; every run goes through the
real `aiic` command in a child process with an address-space limit, and the child's peak
memory is checked. Time is not asserted (a busy 2-core machine is twice as slow): speed
belongs in bench/, as ratios.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from .conftest import ROOT
from .corpus.hostile import write_corpus

PEAK_MEMORY_MB = 2048
ADDRESS_SPACE = 6 << 30  # a safety net; the peak resident size is what is asserted


def _limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


#: Only a guard against a hang, sized for a loaded 2-core CI machine; never a speed check.
TIMEOUT_S = 900


def run_aiic(*args: str) -> tuple[subprocess.CompletedProcess[bytes], float]:
    """`aiic args…` in a child process: its result and peak memory in MB.

    Each call runs in a fresh grandchild so that RUSAGE_CHILDREN measures only this run."""
    script = (
        "import resource, subprocess, sys\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({ADDRESS_SPACE}, {ADDRESS_SPACE}))\n"
        "r = subprocess.run([sys.executable, '-m', 'ai_image_classifier', *sys.argv[1:]])\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "sys.stderr.buffer.write(b'\\n@@ %f' % peak)\n"
        "sys.exit(r.returncode)\n")
    result = subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT,
                            capture_output=True, timeout=TIMEOUT_S,
                            env={**os.environ, "AIIC_LOG_DIR": str(ROOT / "runs" / "test-logs")})
    stderr, _, peak = result.stderr.rpartition(b"\n@@ ")
    result.stderr = stderr
    return result, float(peak)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[Path]:
    return write_corpus(tmp_path_factory.mktemp("hostile") / "corpus")


def _check_clean_stderr(stderr: bytes) -> None:
    text = stderr.decode("utf-8")  # strict: invalid UTF-8 is a failure
    assert "Traceback" not in text
    for line in text.splitlines():
        assert line.startswith("aiic: ") or "\t" in line, f"stray console output: {line!r}"


def test_the_corpus_covers_every_class(corpus):
    names = {path.name for path in corpus}
    assert len(corpus) >= 250
    for expected in ("bomb_13000.png", "strip_1x5000.png", "grey16_dark.png", "fifo.jpg",
                     "loop_a.jpg", "folder_named.jpg", "eps.eps", "ztxt_over_limit.png",
                     "tiff_icc_int.tif", "bad_exif.jpg", "new\nline.png"):
        assert expected in names


def test_classify_every_file_in_one_process(corpus):
    result, peak = run_aiic("classify", "--json", *map(str, corpus))
    assert result.returncode == 1  # some files are broken; the rest are still judged
    records = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]
    folders = [path for path in corpus if path.is_dir()]
    assert len(records) == len(corpus) - len(folders)  # one line per file, none lost
    for record in records:
        assert ("label" in record) != ("error" in record)
        if "error" in record:
            assert "\n" not in record["error"] and len(record["error"]) < 200
            assert "decoder error" not in record["error"]
    by_name = {Path(r["path"]).name: r for r in records}
    assert "label" in by_name["strip_1x5000.png"] and "label" in by_name["valid.heic"]
    assert "13000 × 13000 = 169 MP; the limit is 120 MP" in by_name["bomb_13000.png"]["error"]
    assert by_name["deep_json.png"]["declared"]  # its other declarations survive
    assert "not a regular file" in by_name["fifo.jpg"]["error"]
    assert "loops" in by_name["loop_a.jpg"]["error"]
    assert "format this app cannot read" in by_name["eps.eps"]["error"]
    assert b"no images in" in result.stderr
    _check_clean_stderr(result.stderr)
    assert peak < PEAK_MEMORY_MB


def test_folder_scan_goes_past_every_bad_file(corpus):
    folder = corpus[0].parent
    result, peak = run_aiic("classify", str(folder))
    lines = result.stdout.decode("utf-8").splitlines()
    scanned = [p for p in corpus if p.is_file() and p.suffix.lower() != ".eps"]
    assert len(lines) == len(scanned)
    assert all(line.count("\t") >= 2 for line in lines)  # a newline in a name stays escaped
    assert any(line.startswith(str(folder / "new\\nline.png")) for line in lines)
    _check_clean_stderr(result.stderr)
    assert peak < PEAK_MEMORY_MB


def test_enhance_every_file(corpus, tmp_path):
    folder = corpus[0].parent
    result, peak = run_aiic("enhance", str(folder), "-o", str(tmp_path / "out"))
    assert result.returncode == 1
    lines = (result.stdout + result.stderr).decode("utf-8").splitlines()
    per_file = [line for line in lines if "\t" in line]
    scanned = [p for p in corpus if p.is_file() and p.suffix.lower() != ".eps"]
    assert len(per_file) == len(scanned)
    assert not any("\tskipped\t" in line for line in per_file)  # no two inputs share a target
    assert any("the result would be" in line for line in per_file)
    assert lines[-1].startswith("aiic: ") and "failed" in lines[-1]
    _check_clean_stderr(result.stderr)
    assert peak < PEAK_MEMORY_MB
    assert not list((tmp_path / "out").rglob(".aiic-partial-*"))


def test_sixteen_bit_grey_is_scaled_by_its_range(tmp_path):
    from ai_image_classifier.imaging import load_rgb

    dark = tmp_path / "dark.png"
    Image.fromarray(np.full((8, 8), 200, np.uint16)).save(dark)  # 200 of 65535: nearly black
    assert load_rgb(dark).mean() < 2
    bright = tmp_path / "bright.png"
    Image.fromarray(np.full((8, 8), 65535, np.uint16)).save(bright)
    assert load_rgb(bright).min() == 255


def test_transparency_is_flattened_on_white():
    from ai_image_classifier.imaging import load_rgb

    image = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    image.putpixel((0, 0), (10, 20, 30, 255))
    import io

    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    pixels = load_rgb(buffer.getvalue())
    assert tuple(pixels[0, 0]) == (10, 20, 30) and tuple(pixels[3, 3]) == (255, 255, 255)


def test_fuzzing_lets_only_documented_errors_out():
    from .corpus.fuzz import fuzz

    report = fuzz(inputs=2000, seed=7, time_limit_s=None)  # `make fuzz` checks time
    assert report.findings == []
    assert report.decoded > 100  # the mutations still reach the decoders


# ---------- save faults ----------

def _slow_save_script(target: Path) -> str:
    """A child that saves a large PNG and reports when it is writing."""
    return (
        "import numpy as np, sys\n"
        "from ai_image_classifier import saving\n"
        "real = saving.write_png\n"
        "def slow(*a, **k):\n"
        "    print('writing', flush=True)\n"
        "    import time; time.sleep(30)\n"
        "    return real(*a, **k)\n"
        "saving.write_png = slow\n"
        "from ai_image_classifier.cli import _on_sigterm\n"
        "import signal; signal.signal(signal.SIGTERM, _on_sigterm)\n"
        # A shell's background job inherits SIGINT ignored (CI runs so); a person's Ctrl-C
        # reaches a foreground program, which is what this child stands for.
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        f"saving.save_image(np.zeros((64, 64, 3), np.uint8), {str(target)!r})\n")


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_killed_save_leaves_the_target_absent_and_no_partial_after_the_next(tmp_path, how,
                                                                             rgb_image):
    from ai_image_classifier.saving import save_image

    target = tmp_path / "out.png"
    child = subprocess.Popen([sys.executable, "-c", _slow_save_script(target)], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout.readline().strip() == b"writing"
    child.send_signal(how)
    _, stderr = child.communicate(timeout=30)
    assert not target.exists()
    if how != signal.SIGKILL:  # unwound: the partial file is gone already
        assert not list(tmp_path.glob(".aiic-partial-*"))
    time.sleep(2.1)
    save_image(rgb_image, tmp_path / "next.png")  # a later save in the folder cleans up
    assert sorted(p.name for p in tmp_path.iterdir()) == ["next.png"]


def test_a_file_that_appears_while_saving_is_left_alone(tmp_path, rgb_image, monkeypatch):
    from ai_image_classifier import saving

    target = tmp_path / "out.png"
    real = saving.write_png

    def appear_meanwhile(*args, **kwargs):
        target.write_bytes(b"someone else's file")
        return real(*args, **kwargs)

    monkeypatch.setattr(saving, "write_png", appear_meanwhile)
    with pytest.raises(FileExistsError, match="appeared while saving"):
        saving.save_image(rgb_image, target)
    assert target.read_bytes() == b"someone else's file"
    assert not list(tmp_path.glob(".aiic-partial-*"))


def test_saved_files_respect_the_umask_and_keep_a_replaced_file_mode(tmp_path, rgb_image):
    from ai_image_classifier.saving import UMASK, save_image

    new = save_image(rgb_image, tmp_path / "new.png").path
    assert new.stat().st_mode & 0o777 == 0o666 & ~UMASK
    old = tmp_path / "old.png"
    old.write_bytes(b"x")
    old.chmod(0o640)
    save_image(rgb_image, old, overwrite=True)
    assert old.stat().st_mode & 0o777 == 0o640


def test_a_hard_link_to_the_input_is_refused(tmp_path, jpeg_file):
    from .test_cli import aiic

    link = tmp_path / "link.jpg"
    os.link(jpeg_file, link)
    before = jpeg_file.read_bytes()
    result = aiic("enhance", str(jpeg_file), "-o", str(link), "--overwrite")
    assert result.returncode == 2 and "link to it" in result.stderr
    assert jpeg_file.read_bytes() == before


def test_bmp_says_that_metadata_is_not_kept(tmp_path):
    from .test_cli import aiic

    source = tmp_path / "in.jpg"
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    Image.new("RGB", (16, 16), (1, 2, 3)).save(source, exif=exif.tobytes())
    result = aiic("enhance", str(source), "-o", str(tmp_path / "out.bmp"), "--method",
                  "bicubic")
    assert result.returncode == 0 and "cannot hold EXIF" in result.stdout


# ---------- bad models and cards ----------

def _bundled_copy(tmp_path: Path) -> Path:
    from ai_image_classifier.cards import FACE_MODEL_NAME, bundled_model_dir

    model = tmp_path / "m.tflite"
    model.write_bytes((bundled_model_dir() / f"{FACE_MODEL_NAME}.tflite").read_bytes())
    return model


@pytest.mark.parametrize("card_text, says", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    ('{"threshold": NaN}', "'threshold' must be"),
    ('{"threshold": 5}', "'threshold' must be"),
    ('{"threshold": "0.5"}', "'threshold' must be"),
    ('{"calibration": {"slope": "x"}}', "'calibration' must be"),
    ('{"calibration": {"bogus": 1}}', "'calibration' must be"),
    ('{"uncertain_half_width": -1}', "'uncertain_half_width' must be"),
])
def test_a_bad_card_is_a_clear_error_and_exit_2(tmp_path, card_text, says):
    from .test_cli import aiic

    model = _bundled_copy(tmp_path)
    (tmp_path / "m.card.json").write_text(card_text)
    image = tmp_path / "i.png"
    Image.new("RGB", (40, 40), (9, 99, 199)).save(image)
    result = aiic("classify", str(image), "--model", str(model))
    assert result.returncode == 2
    assert says in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("suffix", [".tflite", ".keras"])
def test_a_truncated_model_says_so_and_exits_2(tmp_path, suffix):
    from ai_image_classifier.cards import FACE_MODEL_NAME, bundled_model_dir

    from .test_cli import aiic

    data = (bundled_model_dir() / f"{FACE_MODEL_NAME}{suffix}").read_bytes()
    model = tmp_path / f"m{suffix}"
    model.write_bytes(data[: len(data) // 3])
    image = tmp_path / "i.png"
    Image.new("RGB", (40, 40), (9, 99, 199)).save(image)
    result = aiic("classify", str(image), "--model", str(model))
    assert result.returncode == 2
    assert "damaged or truncated" in result.stderr and "not found" not in result.stderr
    assert len(result.stderr) < 300  # no model config dumped
