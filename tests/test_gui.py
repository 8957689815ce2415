"""The real window under Xvfb: every test drives widgets and waits on events with a timeout."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import threading
import time
import tkinter as tk
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from ai_image_classifier.classifier import Classifier
from ai_image_classifier.enhance import EnhanceSettings

from .conftest import write_face_folder
from .gui_fakes import FakeDialogs, write_picture


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
    wait_for(window, lambda: window.models.classifier is not None or window.models.error)
    yield window
    try:
        open_still = window.winfo_exists()
    except tk.TclError:  # a test closed it
        open_still = False
    if open_still:
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
    wait_for(app, lambda: current(app) is not None and current(app).path == path
             and current(app).verdict is not None)


def current(app):
    return app.pictures.current


def verdict_text(app) -> str:
    panel = app.side.verdict
    return "\n".join(part.cget("text") for part in (panel.declared, panel.model)
                     if part.winfo_manager())


def enhance(app, **choices) -> None:
    """Enhance the picture on show (with `choices` set in the Enhance tab first)."""
    if choices:
        app.side.enhance.choose(**choices)
    before = current(app).enhanced
    app.side.enhance.enhance_button.invoke()
    wait_for(app, lambda: app.enhancer.token is None and current(app).enhanced is not before,
             60)


def test_window_title_and_model_status(app):
    assert app.title() == "AI Image Classifier & Enhancer"
    status = app.side.verdict.model_status.cget("text")
    assert status.startswith("Model: Whole picture and faces (recommended)")
    assert "unseen test pictures" in status


def test_the_window_is_shown_only_once_it_is_whole(tmp_path, monkeypatch):
    from ai_image_classifier.gui import window as window_module

    states = []
    real_build = window_module.App._build

    def build(self):
        states.append(self.state())
        real_build(self)
        states.append(self.state())

    monkeypatch.setattr(window_module.App, "_build", build)
    monkeypatch.setenv("AIIC_CONFIG_DIR", str(tmp_path / "config"))
    app = window_module.App(dialogs=FakeDialogs())
    try:
        assert states == ["withdrawn", "withdrawn"]
        assert app.state() == "normal"
        assert app.status_bar.line.cget("text")  # a status line from the first frame
    finally:
        app.close()


def test_open_shows_the_same_verdict_as_the_cli(app, tmp_path):
    """On a photo larger than the preview (and than draft decoding's smallest step), so that
    judging the preview or a reduced decode instead of the picture would show."""
    from .test_general import photo_like

    photo = tmp_path / "большое photo.jpg"
    photo_like(2400, 1800).save(photo, quality=92)
    open_via_dialog(app, photo)
    expected = Classifier.load().classify_file(photo)
    assert max(current(app).preview.size) < 2400
    assert app.side.badge.cget("text") == expected.text
    assert current(app).verdict.probability == pytest.approx(expected.probability, abs=1e-6)
    status = app.status_bar.line.cget("text")
    assert "2400×1800" in status and "JPEG" in status
    assert app.viewer.canvas.find_all(), "the preview is drawn"
    assert "Format: JPEG" in app.side.metadata.get("1.0", "end")


def test_a_declared_generator_is_one_part_and_the_models_view_another(app, tmp_path):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("parameters", "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1")
    path = tmp_path / "render.png"
    Image.fromarray(np.full((120, 160, 3), 90, np.uint8)).save(path, pnginfo=info)
    open_via_dialog(app, path)
    panel = app.side.verdict
    assert app.side.badge.cget("text") == (  # who decided: the file, in its own strength
        "AI-GENERATED — the file says so (unsigned text that any program can write)")
    assert panel.declared_title.cget("text") == "The file declares"
    assert panel.declared.cget("text").startswith(  # its strength named first
        "Unsigned text that any program can write: PNG text chunk 'parameters'")
    assert "easily stripped or forged" in panel.declared.cget("text")
    model = panel.model.cget("text")
    assert model.startswith(("On its own, the model answers", "The model cannot judge"))
    assert panel.score.cget("text").startswith("The model's score:")
    assert "P(AI" not in model and "cannot judge" not in panel.declared.cget("text")


def test_opening_another_picture_leaves_no_trace_of_the_last_verdict(app, photo, tmp_path):
    open_via_dialog(app, photo)
    panel = app.side.verdict
    assert panel.bar.winfo_manager() and panel.model.winfo_manager()
    app.pictures.open(write_picture(tmp_path / "next.png", (160, 120)))
    wait_for(app, lambda: current(app).path.name == "next.png")
    if current(app).verdict is None:  # analysing: nothing of the previous picture shows
        assert app.side.badge.cget("text") == "Analysing…"
        assert not panel.bar.winfo_manager() and not panel.model.winfo_manager()
    wait_for(app, lambda: current(app).verdict is not None)
    assert panel.bar.winfo_manager()


def test_drop_opens_the_file(app, photo):
    app._on_drop(SimpleNamespace(data="{" + str(photo) + "}"))
    wait_for(app, lambda: current(app) is not None and current(app).verdict is not None)
    assert current(app).path == photo


def test_heatmap_and_ela_views_say_what_they_show_and_grey_out_100_percent(app, photo):
    open_via_dialog(app, photo)
    viewer = app.viewer
    viewer.zoom_switch.set("100 %")
    for view, ready in (("Heatmap", lambda: current(app).heat),
                        ("ELA", lambda: current(app).ela_preview)):
        viewer.view_switch.set(view)
        app.redraw()
        wait_for(app, lambda ready=ready: ready() is not None, 60)
        assert viewer.zoom_switch.cget("state") == "disabled"
    assert current(app).heat.preview.size == current(app).preview.size
    viewer.view_switch.set("Heatmap")
    app.redraw()
    note = viewer.view_note.cget("text")
    assert "whole picture" in note and "face network" not in note  # the detector that decides
    assert viewer.legend is not None and viewer.legend.winfo_manager()  # what colours say
    viewer.view_switch.set("Original")
    app.redraw()
    assert not viewer.legend.winfo_manager()
    assert viewer.zoom_switch.cget("state") == "normal"


def test_enhance_compare_and_save(app, photo, tmp_path):
    open_via_dialog(app, photo)
    enhance(app)
    assert current(app).enhanced.pixels.shape == (240, 320, 3)
    assert app.viewer.view == "Compare"
    assert app.top.save_button.cget("state") == "normal"
    assert "Enhanced with Learned (AI upscaler) 2×" in app.viewer.view_note.cget("text")
    app.side.enhance.choose(method="lanczos")
    assert "other settings" in app.viewer.view_note.cget("text")
    target = tmp_path / "out.jpg"
    app.dialogs.save_answers = [str(target)]
    app.ask_save()
    assert app.dialogs.asked[-1] == ("save", str(photo.parent), photo.stem + "_enhanced", "JPEG")
    wait_for(app, lambda: target.exists() and "Saved" in app.status_bar.line.cget("text"))
    assert "Learned (AI upscaler) 2×" in app.status_bar.line.cget("text")
    assert Image.open(target).size == (320, 240)
    assert not app.status_bar.save_progress.winfo_manager()  # gone once saved


def test_save_into_missing_folder_keeps_the_image(app, photo, tmp_path):
    open_via_dialog(app, photo)
    enhance(app)
    app.dialogs.save_answers = [str(tmp_path / "gone" / "x.png")]
    app.ask_save()
    wait_for(app, lambda: app.dialogs.errors)
    assert "cannot write" in app.dialogs.errors[0][1]
    assert current(app).enhanced is not None


def test_cancel_enhancement(app, tmp_path):
    big = tmp_path / "big.png"
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (1500, 1200, 3), np.uint8)).save(big)
    open_via_dialog(app, big)
    app.side.enhance.enhance_button.invoke()
    wait_for(app, lambda: app.side.enhance.progress.get() > 0)
    assert "left" in app.side.enhance.status.cget("text") or \
        app.side.enhance.status.cget("text").startswith("Enhancing")
    app.event_generate("<Escape>")
    wait_for(app, lambda: app.enhancer.token is None)
    assert app.side.enhance.status.cget("text") == "Cancelled."
    assert current(app).enhanced is None


def test_the_strength_slider_shows_only_in_custom_and_nothing_moves(app):
    panel = app.side.enhance
    positions = set()
    for denoise in ("auto", "off", "seed", 7.0, "auto"):
        panel.choose(denoise=denoise)
        app.update()
        assert bool(panel.strength.winfo_manager()) == (denoise == 7.0)
        positions.add(panel.enhance_button.winfo_rooty())
    assert len(positions) == 1


def test_dark_theme_reaches_tables_scrollbars_dialogs_and_is_remembered(app):
    from tkinter import ttk

    from ai_image_classifier.gui.settings import Settings
    from ai_image_classifier.gui.theme import PALETTES

    app.top.theme_menu.set("Dark")
    app.set_theme("Dark")
    style = ttk.Style(app)
    dark = PALETTES[True]
    assert style.lookup(".", "background") == dark["background"]  # message boxes, dialogs
    assert style.lookup("Treeview", "background") == dark["field"]
    assert style.lookup("TScrollbar", "troughcolor") == dark["trough"]
    dialog = tk.Toplevel(app, class_="TkFDialog")  # Tk's own file dialog, as X11 builds it
    assert str(tk.Menu(dialog).cget("background")) == dark["background"]
    dialog.destroy()
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
    app.pictures.open(bad)
    wait_for(app, lambda: app.dialogs.errors)
    assert message in app.dialogs.errors[0][1] and app.dialogs.errors[0][1].startswith("bad.jpg")
    assert current(app).path == photo and app.winfo_exists()


def test_huge_image_gives_a_message(app, tmp_path):
    huge = tmp_path / "huge.png"
    Image.new("1", (20000, 10000)).save(huge)  # 200 megapixels
    app.pictures.open(huge)
    wait_for(app, lambda: app.dialogs.errors)
    assert "too large" in app.dialogs.errors[0][1]


def test_missing_model_still_enhances(tmp_path, monkeypatch, photo):
    from ai_image_classifier.gui.window import App

    monkeypatch.setenv("AIIC_CONFIG_DIR", str(tmp_path / "config"))
    window = App(dialogs=FakeDialogs(), model_path=str(tmp_path / "missing.tflite"))
    try:
        wait_for(window, lambda: window.models.error)
        assert "not found" in window.side.verdict.model_status.cget("text")
        window.pictures.open(photo)
        wait_for(window, lambda: current(window) is not None)
        assert window.side.badge.cget("text") == "No verdict (no model)"
        enhance(window)
    finally:
        window.close()


def test_image_opened_before_the_model_is_classified_when_it_arrives(tmp_path, monkeypatch,
                                                                     photo):
    from ai_image_classifier.gui import model_flow
    from ai_image_classifier.gui import window as window_module

    release = threading.Event()
    real_load = Classifier.load

    def slow_load(path=None):
        release.wait(30)
        return real_load(path)

    monkeypatch.setattr(model_flow.Classifier, "load", staticmethod(slow_load))
    monkeypatch.setenv("AIIC_CONFIG_DIR", str(tmp_path / "config"))
    window = window_module.App(dialogs=FakeDialogs())
    try:
        window.pictures.open(photo)
        wait_for(window, lambda: current(window) is not None)
        assert window.side.badge.cget("text") == "Waiting for the model…"
        release.set()
        wait_for(window, lambda: current(window).verdict is not None)
        assert window.side.badge.cget("text") == current(window).verdict.text
    finally:
        release.set()
        window.close()


def scan_faces(app, tmp_path: Path, per_class: int):
    """Scan a folder of synthetic faces with one unreadable file, through the dialog."""
    folder = write_face_folder(tmp_path / "faces", per_class=per_class)
    (folder / "real" / "broken.png").write_bytes(b"nope")
    app.dialogs.folder_answers = [str(folder)]
    app.ask_scan_folder()
    scan = app.scan_window
    wait_for(app, lambda: scan.flow.finished)
    return folder, scan


def test_folder_scan_shares_the_model_and_exports(app, tmp_path, monkeypatch):
    from ai_image_classifier.gui import model_flow

    loads = []
    monkeypatch.setattr(model_flow.Classifier, "load", lambda *a: loads.append(a))
    folder, scan = scan_faces(app, tmp_path, per_class=5)
    assert loads == []  # no second model: the window's is shared
    assert len(scan.flow.rows) == 11 and len(scan.table.get_children()) == 11
    assert sum("error" in row for row in scan.flow.rows) == 1
    assert "1 unreadable" in scan.status.cget("text")
    csv_path, json_path = tmp_path / "scan.csv", tmp_path / "scan.json"
    scan.flow.export(csv_path, "csv")
    scan.flow.export(json_path, "json")
    with open(csv_path, newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 11
    assert len(json.loads(json_path.read_text())["results"]) == 11


def test_scan_enhance_all_writes_the_folder_and_skips_what_exists(app, tmp_path):
    folder = write_face_folder(tmp_path / "faces", per_class=2)
    (folder / "real" / "broken.png").write_bytes(b"nope")
    app.side.enhance.choose(method="bicubic", scale=2, denoise="off")
    app.dialogs.folder_answers = [str(folder)]
    app.ask_scan_folder()
    scan = app.scan_window
    wait_for(app, lambda: scan.flow.finished)
    assert scan.enhance_all_button.cget("state") == "normal"
    out = tmp_path / "enhanced"
    (out / "fake").mkdir(parents=True)
    (out / "fake" / "fake_0.jpg").write_bytes(b"keep")
    app.dialogs.folder_answers = [str(out)]
    scan.enhance_all_button.invoke()
    wait_for(app, lambda: scan.flow.batch_token is None
             and "Enhanced" in scan.status.cget("text"), 60)
    assert "Enhanced: 3 of 4" in scan.status.cget("text")
    assert "1 skipped" in scan.status.cget("text")
    assert Image.open(out / "real" / "real_1.jpg").size == (80, 80)
    assert (out / "fake" / "fake_0.jpg").read_bytes() == b"keep"


def test_enhance_choices_are_offered_and_remembered(app, photo, tmp_path):
    from ai_image_classifier.gui.window import App

    panel = app.side.enhance
    assert panel.settings() == EnhanceSettings()  # the defaults: learned 2×, auto denoise
    assert "Auto" in panel.denoise_help.cget("text")
    panel.choose(method="lanczos", scale=4, denoise=7.0)
    assert panel.settings() == EnhanceSettings(method="lanczos", scale=4, denoise=7.0)
    assert "Lanczos" in panel.method_help.cget("text")
    open_via_dialog(app, photo)
    enhance(app)
    assert current(app).enhanced.pixels.shape == (480, 640, 3)
    app.close()
    again = App(dialogs=FakeDialogs())
    try:
        assert again.side.enhance.settings() == EnhanceSettings(method="lanczos", scale=4,
                                                                denoise=7.0)
        assert again.top.recent_menu.cget("values")[0].startswith(photo.name + "  —  ")
    finally:
        again.close()


def test_model_window_speaks_plainly_and_switches_through_the_model_flow(app, photo):
    from ai_image_classifier.gui.info_windows import ModelWindow

    text = app.models.card_text()
    assert "uncertain" in text and "Photoshop" in text and "Stable Diffusion" in text
    assert "Youden" not in text and "AUC" not in text
    details = app.models.card_text(details=True)
    assert "Threshold" in details and "Test split" in details and "ciplab" in details
    open_via_dialog(app, photo)
    app.show_model()
    window = app.model_window
    assert isinstance(window, ModelWindow)
    assert window.choice.get() == "Whole picture and faces (recommended)"
    window.switch("The original app's face model (for comparison)")
    wait_for(app, lambda: app.models.name == "seed_cnn" and current(app).verdict is not None)
    assert app.side.verdict.model_status.cget("text").startswith(
        "Model: The original app's face model")
    expected = Classifier.load("seed_cnn").classify_file(photo)
    assert current(app).verdict.probability == pytest.approx(expected.probability, abs=1e-6)


def test_the_whole_picture_detector_off_is_said_beside_the_verdict(tmp_path, monkeypatch):
    from ai_image_classifier.gui import model_flow
    from ai_image_classifier.gui import window as window_module

    real_load = Classifier.load

    def load_off(path=None):
        classifier = real_load("ai_imageclassifier")
        classifier.general_off = "its encoder file is missing"
        return classifier

    monkeypatch.setattr(model_flow.Classifier, "load", staticmethod(load_off))
    monkeypatch.setenv("AIIC_CONFIG_DIR", str(tmp_path / "config"))
    window = window_module.App(dialogs=FakeDialogs())
    try:
        wait_for(window, lambda: window.models.classifier is not None)
        window.update()
        notice = window.side.notice
        assert notice.winfo_manager() and "its encoder file is missing" in notice.cget("text")
        assert "off on this computer" in window.side.verdict.model_status.cget("text")
    finally:
        window.close()


def test_a_failing_callback_does_not_stop_later_results(app, photo):
    def broken() -> None:
        raise RuntimeError("a bug in a handler")

    app.tasks.call_soon(broken)
    wait_for(app, lambda: app.dialogs.errors)
    assert "a bug in a handler" in app.dialogs.errors[-1][1]
    app.pictures.open(photo)  # the poll loop still delivers results
    wait_for(app, lambda: current(app) is not None and current(app).path == photo)


def test_a_bad_model_card_keeps_the_working_model_and_its_name(app, tmp_path):
    working = app.models.classifier
    footer = app.side.verdict.model_status.cget("text")
    bad = tmp_path / "bad.card.json"
    bad.write_text("{not json")
    app.models.load(str(bad))
    wait_for(app, lambda: app.dialogs.errors)
    assert app.models.classifier is working
    assert app.side.verdict.model_status.cget("text") == footer
    assert "line 1" not in app.dialogs.errors[-1][1]


def test_opening_cancels_a_running_enhancement_and_is_not_kept_waiting(app, photo, tmp_path):
    big = tmp_path / "big.png"
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 255, (1500, 2000, 3), dtype=np.uint8)).save(big)
    app.pictures.open(big)
    wait_for(app, lambda: current(app) is not None and current(app).path == big)
    app.side.enhance.choose(method="learned", scale=2, denoise="seed")  # seconds of work
    app.side.enhance.enhance_button.invoke()
    token = app.enhancer.token
    assert token is not None
    app.pictures.open(photo)
    wait_for(app, lambda: current(app).path == photo)
    assert token.cancelled
    wait_for(app, lambda: app.enhancer.token is None)
    assert current(app).enhanced is None  # the old picture's result was not kept


def test_scan_table_sorts_with_arrows_tooltips_opens_and_speaks_like_the_window(app, tmp_path):
    from ai_image_classifier.verdict import LABEL_TEXT

    folder = write_face_folder(tmp_path / "faces", per_class=2)
    long_name = "a holiday picture with a very long name that the column cuts off.jpg"
    Image.open(folder / "real" / "real_0.jpg").save(folder / long_name)
    (folder / "real" / "broken.png").write_bytes(b"nope")
    app.dialogs.folder_answers = [str(folder)]
    app.ask_scan_folder()
    scan = app.scan_window
    wait_for(app, lambda: scan.flow.finished)
    shown = [scan.table.item(i, "values") for i in scan.table.get_children()]
    assert {row[1] for row in shown} <= {*LABEL_TEXT.values(), "UNREADABLE"}
    assert {row[2] for row in shown} == {"model", ""}  # who decided; "" for the unreadable
    assert scan.table.heading("decided_by", "text") == "Decided by"
    assert scan.table.heading("probability", "text") == "Model score"
    broken = next(row for row in shown if row[1] == "UNREADABLE")
    assert "not an image" in broken[4]  # the whole error, in its own column
    scan.flow.sort_by("probability")
    values = [float(scan.table.item(i, "values")[3]) for i in scan.table.get_children()
              if scan.table.item(i, "values")[3]]
    assert values == sorted(values) and scan.table.heading("probability", "text").endswith("▲")
    scan.flow.sort_by("probability")
    values = [float(scan.table.item(i, "values")[3]) for i in scan.table.get_children()
              if scan.table.item(i, "values")[3]]
    assert values == sorted(values, reverse=True)
    assert scan.table.heading("probability", "text").endswith("▼")
    scan.flow.sort_by("file")
    app.update()
    x, y, _, height = scan.table.bbox(scan.table.get_children()[0], "file")
    assert scan.cell_text(x + 5, y + height // 2) == long_name  # cut off: shown on hover
    first = scan.table.get_children()[1]
    scan.table.focus(first)
    scan.open_row()
    wanted = folder / scan.table.item(first, "values")[0]
    wait_for(app, lambda: current(app) is not None and current(app).path == wanted)


def test_a_file_typed_into_the_folder_dialog_is_refused(app, photo):
    app.dialogs.folder_answers = [str(photo)]
    app.ask_scan_folder()
    assert app.scan_window is None
    assert app.dialogs.errors and "not a folder" in app.dialogs.errors[-1][1]


def test_the_verdict_badge_stays_visible_and_tabs_do_not_move_the_panel(app, photo):
    open_via_dialog(app, photo)
    assert app.side.badge.cget("text") == current(app).verdict.text
    widths = set()
    for name in ("Enhance", "Metadata", "Verdict"):
        app.side.tabs.set(name)
        app.update()
        widths.add(app.side.winfo_width())
        assert app.side.badge.winfo_ismapped()
    assert len(widths) == 1


def test_ela_is_computed_on_the_full_resolution_picture(app, tmp_path):
    from ai_image_classifier.forensics import error_level_analysis
    from ai_image_classifier.gui.formatting import PREVIEW_MAX, make_preview

    rng = np.random.default_rng(3)
    big = tmp_path / "big.jpg"
    Image.fromarray(rng.integers(0, 255, (1200, PREVIEW_MAX + 400, 3), dtype=np.uint8)).save(
        big, quality=85)
    open_via_dialog(app, big)
    app.viewer.view_switch.set("ELA")
    app.redraw()
    wait_for(app, lambda: current(app).ela_preview is not None)
    expected = make_preview(error_level_analysis(current(app).rgb))
    assert np.array_equal(np.asarray(current(app).ela_preview), np.asarray(expected))


def test_probability_bar_has_its_scale_and_the_band_over_the_fill(app, photo):
    open_via_dialog(app, photo)
    app.update()
    bar = app.side.verdict.bar
    texts = {bar.itemcget(item, "text") for item in bar.find_withtag("scale")}
    assert texts == {"0 %", "100 %"}
    if current(app).verdict.half_width > 0:
        assert bar.find_withtag("band")[0] > bar.find_withtag("fill")[0]  # over the fill


def test_zoom_to_100_percent_and_pan_shows_real_pixels(app, tmp_path):
    rng = np.random.default_rng(5)
    pixels = rng.integers(0, 255, (900, 1400, 3), dtype=np.uint8)
    big = tmp_path / "big.png"
    Image.fromarray(pixels).save(big)
    open_via_dialog(app, big)
    viewer, canvas = app.viewer, app.viewer.canvas
    viewer.zoom_switch.set("100 %")
    viewer.pan_to(0.0, 0.0)
    shown = np.asarray(viewer.picture_for(current(app)))
    height, width = shown.shape[:2]
    assert (width, height) == (min(1400, canvas.winfo_width()),
                               min(900, canvas.winfo_height()))
    assert np.array_equal(shown, pixels[:height, :width])  # 1:1, from the top-left corner
    viewer.pan_to(1.0, 1.0)
    assert np.array_equal(np.asarray(viewer.picture_for(current(app))),
                          pixels[900 - height:, 1400 - width:])
    enhance(app, method="bicubic", scale=2, denoise="off")
    viewer.view_switch.set("Compare")
    viewer.compare_slider.set(0.0)  # all enhanced
    compare = np.asarray(viewer.picture_for(current(app)))
    enhanced = current(app).enhanced.pixels
    assert np.array_equal(compare[:, 2:], enhanced[-compare.shape[0]:, -compare.shape[1] + 2:])


def test_disabled_buttons_look_disabled_and_idle_progress_is_empty(app, photo):
    from ai_image_classifier.gui.widgets import DISABLED_FILL

    assert app.top.save_button.cget("fg_color") == DISABLED_FILL
    assert app.side.enhance.enhance_button.cget("fg_color") == DISABLED_FILL  # no picture
    open_via_dialog(app, photo)
    button = app.side.enhance.enhance_button
    assert button.cget("state") == "normal" and button.cget("fg_color") != DISABLED_FILL
    bar = app.side.enhance.progress
    assert bar.get() == 0 and bar.cget("progress_color") == bar.cget("fg_color")


def test_the_log_folder_is_never_a_raw_error(tmp_path, monkeypatch):
    from ai_image_classifier.gui import info_windows

    dialogs = FakeDialogs()
    monkeypatch.setattr(info_windows, "file_manager", lambda: None)
    info_windows.open_folder(tmp_path / "logs", dialogs)
    title, message = dialogs.errors[-1]
    assert "no program to show folders" in message and str(tmp_path / "logs") in message
    assert "Errno" not in message
