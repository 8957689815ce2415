"""The window for everyone, under Xvfb: dialogs in front of the window that asked, every
action on a key, nothing overlapping at the minimum size (issue 26)."""

from __future__ import annotations

from .test_gui import app, display, photo, scan_faces, wait_for

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
