"""The real window under Xvfb: every test drives widgets and waits on events with a timeout."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from ai_image_classifier.classifier import Classifier
from ai_image_classifier.enhance import EnhanceSettings

from .conftest import write_face_folder


@pytest.fixture(scope="session", autouse=True)
def display():
    """Use $DISPLAY, or start a private Xvfb for the session."""
    if os.environ.get("DISPLAY"):
        yield
        return
    if shutil.which("Xvfb") is None:
        pytest.skip("GUI tests need a display or Xvfb (apt-get install xvfb; .ci/run does)")
    number = next(n for n in range(90, 200) if not Path(f"/tmp/.X{n}-lock").exists())
    server = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1280x800x24",
                               "-nolisten", "tcp"], stderr=subprocess.DEVNULL)
    socket = Path(f"/tmp/.X11-unix/X{number}")
    deadline = time.monotonic() + 10
    while not socket.exists():
        if server.poll() is not None or time.monotonic() > deadline:
            pytest.skip("Xvfb did not start")
        time.sleep(0.05)
    os.environ["DISPLAY"] = f":{number}"
    yield
    server.terminate()
    server.wait(10)
    del os.environ["DISPLAY"]


class FakeDialogs:
    """Answers the app's questions from a script and records its messages."""

    def __init__(self) -> None:
        self.open_answer = ""
        self.save_answer = ""
        self.confirm_answer = False
        self.errors: list[tuple[str, str]] = []
        self.confirmations: list[str] = []

    def open_image(self, folder: str) -> str:
        return self.open_answer

    def open_folder(self, folder: str) -> str:
        return self.open_answer

    def open_model(self, folder: str) -> str:
        return self.open_answer

    def save_as(self, folder: str, name: str, types=None) -> str:
        """Each answer is given once, as a person answers one dialog."""
        self.suggested = Path(folder) / name
        self.save_dialogs = getattr(self, "save_dialogs", 0) + 1
        answer, self.save_answer = self.save_answer, ""
        return answer

    def confirm(self, title: str, message: str) -> bool:
        self.confirmations.append(message)
        return self.confirm_answer

    def error(self, title: str, message: str) -> None:
        self.errors.append((title, message))


def wait_for(app, condition, timeout: float = 30.0) -> None:
    """Run the Tk event loop until `condition()` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the window")
        app.update()
        time.sleep(0.005)


@pytest.fixture
def app(tmp_path, monkeypatch):
    from ai_image_classifier.gui.window import App

    monkeypatch.setenv("AIIC_CONFIG_DIR", str(tmp_path / "config"))
    window = App(dialogs=FakeDialogs())
    wait_for(window, lambda: window.classifier is not None or window.model_error)
    yield window
    if window.winfo_exists():
        window.close()


@pytest.fixture
def photo(tmp_path) -> Path:
    rng = np.random.default_rng(0)
    pixels = np.clip(rng.normal(128, 30, (120, 160, 3)), 0, 255).astype(np.uint8)
    path = tmp_path / "портрет photo.jpg"
    Image.fromarray(pixels).save(path, quality=92)
    return path


def open_via_dialog(app, path: Path) -> None:
    app.dialogs.open_answer = str(path)
    app.ask_open()
    wait_for(app, lambda: app.current is not None and app.current.path == path
             and app.current.verdict is not None)


def test_window_title_and_model_status(app):
    assert app.title() == "AI Image Classifier & Enhancer"
    status = app.model_status.cget("text")
    assert status.startswith("Model: general_detector (whole picture and faces)")
    assert "unseen test pictures" in status


def test_open_shows_the_same_verdict_as_the_cli(app, photo):
    open_via_dialog(app, photo)
    expected = Classifier.load().classify_file(photo)
    assert app.verdict_label.cget("text") == expected.text
    assert app.current.verdict.probability == pytest.approx(expected.probability, abs=1e-6)
    assert "160×120" in app.status.cget("text") and "JPEG" in app.status.cget("text")
    assert app.canvas.find_all(), "the preview is drawn"
    assert "Format: JPEG" in app.metadata_box.get("1.0", "end")


def test_declared_generator_is_named_above_the_score(app, tmp_path):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("parameters", "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1")
    path = tmp_path / "render.png"
    Image.fromarray(np.full((120, 160, 3), 90, np.uint8)).save(path, pnginfo=info)
    open_via_dialog(app, path)
    assert app.verdict_label.cget("text") == "IMAGE MIGHT BE AI-GENERATED OR EDITED"
    detail = app.verdict_detail.cget("text")
    assert detail.startswith("The file says it was generated: PNG text chunk 'parameters'")
    assert "easily stripped or forged" in detail and "P(AI-generated or edited)" in detail


def test_drop_opens_the_file(app, photo):
    app._on_drop(SimpleNamespace(data="{" + str(photo) + "}"))
    wait_for(app, lambda: app.current is not None and app.current.verdict is not None)
    assert app.current.path == photo


def test_heatmap_and_ela_views(app, photo):
    open_via_dialog(app, photo)
    for view, attribute in (("Heatmap", "heat_preview"), ("ELA", "ela_preview")):
        app.view_switch.set(view)
        app.show_view()
        wait_for(app, lambda attribute=attribute: getattr(app.current, attribute) is not None)
        assert getattr(app.current, attribute).size == app.current.preview.size
    assert "not a map of what is fake" not in app.view_note.cget("text")  # ELA note now
    app.view_switch.set("Heatmap")
    app.show_view()
    assert "where the face network looked" in app.view_note.cget("text").lower()


def test_enhance_compare_and_save(app, photo, tmp_path):
    open_via_dialog(app, photo)
    app.start_enhance()
    wait_for(app, lambda: app.current.enhanced is not None)
    assert app.current.enhanced.shape == (240, 320, 3)
    assert app.view_switch.get() == "Compare"
    assert app.save_button.cget("state") == "normal"
    target = tmp_path / "out.jpg"
    app.dialogs.save_answer = str(target)
    app.ask_save()
    assert app.dialogs.suggested == photo.with_name(photo.stem + "_enhanced.png")
    wait_for(app, lambda: target.exists() and "Saved" in app.status.cget("text"))
    assert Image.open(target).size == (320, 240)


def test_save_never_overwrites_without_asking(app, photo, tmp_path):
    open_via_dialog(app, photo)
    app.start_enhance()
    wait_for(app, lambda: app.current.enhanced is not None)
    target = tmp_path / "keep.png"
    target.write_bytes(b"precious")
    app.dialogs.save_answer = str(target)
    app.dialogs.confirm_answer = False
    app.ask_save()
    app.update()
    assert app.dialogs.confirmations and target.read_bytes() == b"precious"
    assert app.dialogs.save_dialogs == 2  # "No" returned to the dialog
    app.dialogs.confirm_answer = True
    app.dialogs.save_answer = str(target)
    app.ask_save()
    wait_for(app, lambda: target.read_bytes() != b"precious")
    assert Image.open(target).size == (320, 240)


def test_save_into_missing_folder_keeps_the_image(app, photo, tmp_path):
    open_via_dialog(app, photo)
    app.start_enhance()
    wait_for(app, lambda: app.current.enhanced is not None)
    app.dialogs.save_answer = str(tmp_path / "gone" / "x.png")
    app.ask_save()
    wait_for(app, lambda: app.dialogs.errors)
    assert "cannot write" in app.dialogs.errors[0][1]
    assert app.current.enhanced is not None


def test_cancel_enhancement(app, tmp_path):
    big = tmp_path / "big.png"
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (1500, 1200, 3), np.uint8)).save(big)
    open_via_dialog(app, big)
    app.start_enhance()
    wait_for(app, lambda: app.enhance_progress.get() > 0)
    app.event_generate("<Escape>")
    started = time.monotonic()
    wait_for(app, lambda: app.enhance_token is None)
    assert time.monotonic() - started < 5
    assert app.enhance_status.cget("text") == "Cancelled."
    assert app.current.enhanced is None


def test_theme_is_remembered(app):
    from ai_image_classifier.gui.settings import Settings

    app.theme_menu.set("Dark")
    app.set_theme("Dark")
    assert Settings.load().theme == "Dark"


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty"),
    (b"just text", "not an image"),
    (None, "truncated"),
])
def test_bad_files_give_a_message_and_the_app_goes_on(app, photo, tmp_path, content, message):
    open_via_dialog(app, photo)
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(photo.read_bytes()[:300] if content is None else content)
    app.open_path(bad)
    wait_for(app, lambda: app.dialogs.errors)
    assert message in app.dialogs.errors[0][1]
    assert app.current.path == photo and app.winfo_exists()


def test_huge_image_gives_a_message(app, tmp_path):
    huge = tmp_path / "huge.png"
    Image.new("1", (20000, 10000)).save(huge)  # 200 megapixels
    app.open_path(huge)
    wait_for(app, lambda: app.dialogs.errors)
    assert "too large" in app.dialogs.errors[0][1]


def test_missing_model_still_enhances(tmp_path, monkeypatch, photo):
    from ai_image_classifier.gui.window import App

    monkeypatch.setenv("AIIC_CONFIG_DIR", str(tmp_path / "config"))
    window = App(dialogs=FakeDialogs(), model_path=str(tmp_path / "missing.tflite"))
    try:
        wait_for(window, lambda: window.model_error is not None)
        assert "not found" in window.model_status.cget("text")
        window.open_path(photo)
        wait_for(window, lambda: window.current is not None)
        assert window.verdict_label.cget("text") == "No verdict (no model)"
        window.start_enhance()
        wait_for(window, lambda: window.current.enhanced is not None)
    finally:
        window.close()


def test_image_opened_before_the_model_is_classified_when_it_arrives(tmp_path, monkeypatch,
                                                                     photo):
    from ai_image_classifier.gui import window as window_module

    release = threading.Event()
    real_load = Classifier.load

    def slow_load(path=None):
        release.wait(30)
        return real_load(path)

    monkeypatch.setattr(window_module.Classifier, "load", staticmethod(slow_load))
    monkeypatch.setenv("AIIC_CONFIG_DIR", str(tmp_path / "config"))
    window = window_module.App(dialogs=FakeDialogs())
    try:
        window.open_path(photo)
        wait_for(window, lambda: window.current is not None)
        assert window.verdict_label.cget("text") == "Waiting for the model…"
        release.set()
        wait_for(window, lambda: window.current.verdict is not None)
        assert window.verdict_label.cget("text") == window.current.verdict.text
    finally:
        release.set()
        window.close()


def scan_faces(app, tmp_path: Path, per_class: int):
    """Scan a folder of synthetic faces with one unreadable file, through the dialog."""
    folder = write_face_folder(tmp_path / "faces", per_class=per_class)
    (folder / "real" / "broken.png").write_bytes(b"nope")
    app.dialogs.open_answer = str(folder)
    app.ask_scan_folder()
    scan = app.scan_window
    wait_for(app, lambda: scan.finished)
    return folder, scan


def test_folder_scan_and_export(app, tmp_path):
    folder, scan = scan_faces(app, tmp_path, per_class=5)
    assert len(scan.rows) == 11 and len(scan.table.get_children()) == 11
    assert sum("error" in row for row in scan.rows) == 1
    assert "1 unreadable" in scan.status.cget("text")
    csv_path, json_path = tmp_path / "scan.csv", tmp_path / "scan.json"
    scan.export(csv_path, "csv")
    scan.export(json_path, "json")
    with open(csv_path, newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 11
    assert len(json.loads(json_path.read_text())["results"]) == 11


def test_scan_enhance_all_writes_the_folder_and_skips_what_exists(app, tmp_path):
    folder = write_face_folder(tmp_path / "faces", per_class=2)
    (folder / "real" / "broken.png").write_bytes(b"nope")
    app.enhance_panel.choose(method="bicubic", scale=2, denoise="off")
    app.dialogs.open_answer = str(folder)
    app.ask_scan_folder()
    scan = app.scan_window
    wait_for(app, lambda: scan.finished)
    assert scan.enhance_all_button.cget("state") == "normal"
    out = tmp_path / "enhanced"
    (out / "fake").mkdir(parents=True)
    (out / "fake" / "fake_0.jpg").write_bytes(b"keep")
    scan.enhance_all(out)
    wait_for(app, lambda: scan.batch_token is None)
    assert "Enhanced: 3 of 4" in scan.status.cget("text")
    assert "1 skipped" in scan.status.cget("text")
    assert Image.open(out / "real" / "real_1.jpg").size == (80, 80)
    assert (out / "fake" / "fake_0.jpg").read_bytes() == b"keep"


def test_enhance_panel_offers_every_method_scale_and_denoise(app, photo):
    panel = app.enhance_panel
    assert panel.settings() == EnhanceSettings()  # the defaults: learned 2×, auto denoise
    assert "Auto" in panel.denoise_help.cget("text")
    assert panel.strength.cget("state") == "disabled"
    panel.choose(method="lanczos", scale=4, denoise=7.0)
    assert panel.settings() == EnhanceSettings(method="lanczos", scale=4, denoise=7.0)
    assert panel.strength.cget("state") == "normal"
    assert "Lanczos" in panel.method_help.cget("text")
    open_via_dialog(app, photo)
    app.start_enhance()
    wait_for(app, lambda: app.current.enhanced is not None)
    assert app.current.enhanced.shape == (480, 640, 3)


def test_model_view_speaks_plainly_with_the_jargon_behind_details(app):
    text = app.model_card_text()
    assert "uncertain" in text and "Photoshop" in text and "Stable Diffusion" in text
    assert "Youden" not in text and "AUC" not in text
    details = app.model_card_text(details=True)
    assert "Threshold" in details and "Test split" in details and "ciplab" in details


def test_switching_to_the_seed_model_reclassifies(app, photo):
    open_via_dialog(app, photo)
    app.load_model("seed_cnn")
    wait_for(app, lambda: app.classifier.source.stem == "seed_cnn"
             and app.current.verdict is not None)
    assert app.model_status.cget("text").startswith("Model: seed_cnn (seed_cnn, faces only)")
    expected = Classifier.load("seed_cnn").classify_file(photo)
    assert app.current.verdict.probability == pytest.approx(expected.probability, abs=1e-6)


def test_a_failing_callback_does_not_stop_later_results(app, photo):
    def broken() -> None:
        raise RuntimeError("a bug in a handler")

    app.tasks.call_soon(broken)
    wait_for(app, lambda: app.dialogs.errors)
    assert "a bug in a handler" in app.dialogs.errors[-1][1]
    app.open_path(photo)  # the poll loop still delivers results
    wait_for(app, lambda: app.current is not None and app.current.path == photo)


def test_a_bad_model_file_keeps_the_working_model(app, tmp_path):
    working = app.classifier
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"not a model")
    app.load_model(str(bad))
    wait_for(app, lambda: app.dialogs.errors)
    assert app.classifier is working and app.model_error is None
    assert "previous model" in app.model_status.cget("text")


def test_opening_cancels_a_running_enhancement_and_is_not_kept_waiting(app, photo, tmp_path):
    big = tmp_path / "big.png"
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 255, (1500, 2000, 3), dtype=np.uint8)).save(big)
    app.open_path(big)
    wait_for(app, lambda: app.current is not None and app.current.path == big)
    app.enhance_panel.choose(method="learned", scale=2, denoise="seed")  # seconds of work
    app.start_enhance()
    assert app.enhance_token is not None
    started = time.monotonic()
    app.open_path(photo)
    wait_for(app, lambda: app.current.path == photo)
    assert time.monotonic() - started < 5
    wait_for(app, lambda: app.enhance_token is None)
    assert app.current.enhanced is None  # the old picture's result was not kept


def test_scan_table_sorts_opens_and_speaks_like_the_main_window(app, tmp_path):
    from ai_image_classifier.classifier import LABEL_TEXT

    folder, scan = scan_faces(app, tmp_path, per_class=3)
    shown = [scan.table.item(i, "values") for i in scan.table.get_children()]
    assert {row[1] for row in shown} <= {*LABEL_TEXT.values(), "UNREADABLE"}
    broken = next(row for row in shown if row[1] == "UNREADABLE")
    assert "not an image" in broken[3]  # the whole error, in its own column
    assert all(row["model"].get("region") for row in scan.rows if "error" not in row)
    assert all(len(str(row["model"]["probability"]).split(".")[-1]) <= 6
               for row in scan.rows if "error" not in row)
    scan.sort_by("probability")
    values = [float(scan.table.item(i, "values")[2]) for i in scan.table.get_children()
              if scan.table.item(i, "values")[2]]
    assert values == sorted(values)
    scan.sort_by("probability")
    values = [float(scan.table.item(i, "values")[2]) for i in scan.table.get_children()
              if scan.table.item(i, "values")[2]]
    assert values == sorted(values, reverse=True)
    first = scan.table.get_children()[0]
    scan.table.focus(first)
    scan._open_row()
    wanted = folder / scan.table.item(first, "values")[0]
    wait_for(app, lambda: app.current is not None and app.current.path == wanted)


def test_a_file_typed_into_the_folder_dialog_is_refused(app, photo):
    app.dialogs.open_answer = str(photo)
    app.ask_scan_folder()
    assert app.scan_window is None
    assert app.dialogs.errors and "not a folder" in app.dialogs.errors[-1][1]


def test_the_verdict_badge_stays_visible_and_tabs_do_not_move_the_panel(app, photo):
    open_via_dialog(app, photo)
    wait_for(app, lambda: app.current.verdict is not None)
    assert app.badge.cget("text") == app.current.verdict.text
    tabs = app.badge.master.winfo_children()[1]
    widths = set()
    for name in ("Enhance", "Metadata", "Verdict"):
        tabs.set(name)
        app.update()
        widths.add(app.badge.master.winfo_width())
        assert app.badge.winfo_ismapped()
    assert len(widths) == 1


def test_ela_is_computed_on_the_full_resolution_picture(app, tmp_path):
    from ai_image_classifier.forensics import error_level_analysis
    from ai_image_classifier.gui.formatting import PREVIEW_MAX, make_preview

    rng = np.random.default_rng(3)
    big = tmp_path / "big.jpg"
    Image.fromarray(rng.integers(0, 255, (1200, PREVIEW_MAX + 400, 3), dtype=np.uint8)).save(
        big, quality=85)
    open_via_dialog(app, big)
    app.view_switch.set("ELA")
    app.show_view()
    wait_for(app, lambda: app.current.ela_preview is not None)
    expected = make_preview(error_level_analysis(app.current.rgb))
    assert np.array_equal(np.asarray(app.current.ela_preview), np.asarray(expected))


def test_probability_bar_has_its_scale_and_the_band_over_the_fill(app, photo):
    open_via_dialog(app, photo)
    app.update()
    bar = app.probability_bar
    texts = {bar.itemcget(item, "text") for item in bar.find_withtag("scale")}
    assert texts == {"0 %", "100 %"}
    if app.current.verdict.half_width > 0:
        assert bar.find_withtag("band")[0] > bar.find_withtag("fill")[0]  # over the fill


def test_zoom_to_100_percent_and_pan_shows_real_pixels(app, tmp_path):
    rng = np.random.default_rng(5)
    pixels = rng.integers(0, 255, (900, 1400, 3), dtype=np.uint8)
    big = tmp_path / "big.png"
    Image.fromarray(pixels).save(big)
    open_via_dialog(app, big)
    viewer = app.viewer
    viewer.zoom_switch.set("100 %")
    viewer.pan_to(0.0, 0.0)
    shown = np.asarray(viewer.picture_for(app.current))
    height, width = shown.shape[:2]
    assert (width, height) == (min(1400, app.canvas.winfo_width()),
                               min(900, app.canvas.winfo_height()))
    assert np.array_equal(shown, pixels[:height, :width])  # 1:1, from the top-left corner
    viewer.pan_to(1.0, 1.0)
    assert np.array_equal(np.asarray(viewer.picture_for(app.current)),
                          pixels[900 - height:, 1400 - width:])
    app.enhance_panel.choose(method="bicubic", scale=2, denoise="off")
    app.start_enhance()
    wait_for(app, lambda: app.current.enhanced is not None)
    app.view_switch.set("Compare")
    viewer.compare_slider.set(0.0)  # all enhanced
    compare = np.asarray(viewer.picture_for(app.current))
    assert np.array_equal(compare[:, 2:], app.current.enhanced[-compare.shape[0]:,
                                                               -compare.shape[1] + 2:])


def test_disabled_buttons_look_disabled_and_idle_progress_is_empty(app, photo):
    from ai_image_classifier.gui.widgets import DISABLED_FILL

    assert app.save_button.cget("fg_color") == DISABLED_FILL
    open_via_dialog(app, photo)
    assert app.enhance_button.cget("state") == "normal"
    assert app.enhance_button.cget("fg_color") != DISABLED_FILL
    bar = app.enhance_progress
    assert bar.get() == 0 and bar.cget("progress_color") == bar.cget("fg_color")
