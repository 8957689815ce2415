"""The window for everyone, under Xvfb: dialogs in front of the window that asked, every
action on a key, nothing overlapping at the minimum size (issue 26)."""

from __future__ import annotations

from .test_gui import app, display, open_via_dialog, photo, scan_faces, wait_for

__all__ = ["app", "display", "photo"]  # fixtures, shared with test_gui


def test_dialogs_belong_to_the_window_that_asked(app, tmp_path, monkeypatch):
    from ai_image_classifier.gui import dialogs as dialogs_module

    asked_by = []
    monkeypatch.setattr(dialogs_module.filedialog, "asksaveasfilename",
                        lambda **kw: asked_by.append(("export", kw["parent"])) or "")
    monkeypatch.setattr(dialogs_module.filedialog, "askdirectory",
                        lambda **kw: asked_by.append(("folder", kw["parent"])) or "")
    monkeypatch.setattr(dialogs_module.filedialog, "askopenfilename",
                        lambda **kw: asked_by.append(("model", kw["parent"])) or "")
    _, scan = scan_faces(app, tmp_path, per_class=1)
    app.dialogs = dialogs_module.Dialogs(app)
    app.scan_folder(scan.flow.folder)
    scan = app.scan_window
    wait_for(app, lambda: scan.flow.finished)
    scan.csv_button.invoke()
    scan.enhance_all_button.invoke()
    app.show_model()
    app.model_window.choose_file()
    assert asked_by == [("export", scan), ("folder", scan), ("model", app.model_window)]


def test_the_file_dialogs_hide_dot_folders(app):
    from ai_image_classifier.gui.dialogs import Dialogs

    Dialogs(app)._hide_dot_folders()
    assert app.tk.call("set", "::tk::dialog::file::showHiddenVar") in ("0", 0)
    assert app.tk.call("set", "::tk::dialog::file::showHiddenBtn") in ("1", 1)


def test_enhance_is_greyed_at_one_times_without_denoising_and_says_why(app, photo):
    open_via_dialog(app, photo)
    panel = app.side.enhance
    assert panel.enhance_button.cget("state") == "normal"
    panel.choose(scale=1, denoise="off")
    assert panel.enhance_button.cget("state") == "disabled"
    assert "identical copy" in panel.disabled_reason()
    panel.choose(scale=2)
    assert panel.enhance_button.cget("state") == "normal" and panel.disabled_reason() == ""


def test_tooltips_and_small_windows_stay_on_the_screen(app):
    from ai_image_classifier.gui.info_windows import show_about
    from ai_image_classifier.gui.widgets import Tooltip, inside_screen

    assert inside_screen(1250, 780, (300, 60), (1280, 800)) == (980, 740)
    assert inside_screen(-5, 10, (300, 60), (1280, 800)) == (0, 10)
    screen_w, screen_h = app.winfo_screenwidth(), app.winfo_screenheight()
    tip = Tooltip(app)
    tip.show("a long cell text " * 20, screen_w - 20, screen_h - 20)
    app.update()
    assert tip.window.winfo_rootx() + tip.window.winfo_width() <= screen_w
    assert tip.window.winfo_rooty() + tip.window.winfo_height() <= screen_h
    tip.hide()
    app.geometry(f"960x640+{screen_w - 500}+{screen_h - 300}")  # partly off the screen
    app.update()
    for window in (show_about(app, app.dialogs), app.show_model() or app.model_window):
        app.update()
        assert window.winfo_x() >= 0 and window.winfo_x() + window.winfo_width() <= screen_w
        assert window.winfo_y() >= 0 and window.winfo_y() + window.winfo_height() <= screen_h


def test_opening_a_scan_row_brings_the_main_window_forward(app, tmp_path, monkeypatch):
    raised = []
    monkeypatch.setattr(type(app), "lift", lambda self, *a: raised.append("lift"))
    _, scan = scan_faces(app, tmp_path, per_class=1)
    scan.table.focus(scan.table.get_children()[0])
    scan.open_row()
    assert raised == ["lift"]
