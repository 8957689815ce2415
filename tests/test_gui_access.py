"""The window for everyone, under Xvfb: dialogs in front of the window that asked, every
action on a key, nothing overlapping at the minimum size (issue 26)."""

from __future__ import annotations

import itertools

from .test_gui import app, current, display, open_via_dialog, photo, scan_faces, wait_for

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
    assert panel.status.cget("text") == panel.disabled_reason()  # said without a mouse too
    panel.choose(scale=2)
    assert panel.enhance_button.cget("state") == "normal" and panel.disabled_reason() == ""
    assert panel.status.cget("text") == ""


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


def press(app, widget, key: str) -> None:
    """A key pressed while `widget` has the focus."""
    widget.focus_force()
    app.update()
    widget.event_generate(key, when="tail")
    app.update()


def test_every_action_has_a_key_and_the_help_lists_them_all(app, photo):
    from ai_image_classifier.gui.keys import SHORTCUTS, help_lines

    open_via_dialog(app, photo)
    canvas = app.viewer.canvas
    press(app, canvas, "<Control-Key-5>")
    assert app.viewer.view == "ELA"
    press(app, canvas, "<Control-Key-1>")
    press(app, canvas, "<Control-Key-0>")
    assert app.viewer.zoomed
    press(app, canvas, "<Alt-Key-2>")
    assert app.side.tabs.get() == "Enhance"
    theme = app.settings.theme
    press(app, canvas, "<Control-t>")
    assert app.settings.theme != theme and app.top.theme_menu.get() == app.settings.theme
    press(app, canvas, "<Control-e>")
    # Enhance started (a small photo may already be done once the key's events are handled)
    assert app.enhancer.token is not None or app.pictures.current.enhanced is not None
    press(app, canvas, "<Escape>")
    assert app.enhancer.token is None or app.enhancer.token.cancelled
    wait_for(app, lambda: app.enhancer.token is None)
    press(app, canvas, "<Control-m>")
    assert app.model_window is not None and app.model_window.winfo_exists()
    shown = [row[0] for row in help_lines()]
    assert all(shortcut.keys in shown for shortcut in SHORTCUTS)
    before = set(app.winfo_children())
    press(app, canvas, "<F1>")
    help_window = next(w for w in set(app.winfo_children()) - before
                       if w.winfo_class() != "Menu" and w.title() == "Keyboard")
    assert help_window.winfo_exists()


def test_tab_reaches_every_control_shows_the_focus_and_return_presses(app, photo):
    import customtkinter as ctk

    from ai_image_classifier.gui.keys import FOCUS_COLOUR

    open_via_dialog(app, photo)
    app.side.tabs.set("Enhance")
    start = app.top.winfo_children()[0]._canvas  # Open image…
    start.focus_force()
    app.update()
    visited, widget = [], str(start)
    for _ in range(200):
        widget = app.tk.call("tk_focusNext", widget)
        if str(widget) == str(start):
            break
        visited.append(str(widget))
    visited.insert(0, str(start))
    for control in (app.top.theme_menu, app.side.enhance.enhance_button,
                    app.viewer.view_switch, app.side.tabs._segmented_button):
        assert any(path.startswith(str(control)) for path in visited), control
    buttons = [str(w) for w in app.top.winfo_children() if isinstance(w, ctk.CTkButton)
               and w.cget("state") == "normal"]  # Save: greyed out, passed over
    assert [path for path in visited if path.startswith(".!topbar.!ctkbutton")] == [
        f"{path}.!ctkcanvas" for path in buttons]  # left to right
    about = next(w for w in app.top.winfo_children()
                 if isinstance(w, ctk.CTkButton) and w.cget("text") == "About…")
    press(app, about._canvas, "<FocusIn>")
    assert about.cget("border_color") == FOCUS_COLOUR
    before = set(app.winfo_children())
    press(app, about._canvas, "<Return>")
    assert any(w.title() == "About" for w in set(app.winfo_children()) - before
               if hasattr(w, "title"))


def test_return_in_the_scan_table_opens_the_row(app, tmp_path):
    _, scan = scan_faces(app, tmp_path, per_class=1)
    first = scan.table.focus()
    assert first  # the first row is ready for the keys
    after_table = str(app.tk.call("tk_focusNext", str(scan.table)))
    assert after_table.startswith(str(scan.enhance_all_button))  # left to right, as shown
    press(app, scan.table, "<Return>")
    wanted = scan.flow.folder / scan.table.item(first, "values")[0]
    wait_for(app, lambda: current(app) is not None and current(app).path == wanted)


def test_a_long_verdict_scrolls_without_overlap_at_the_minimum_size(app):
    from ai_image_classifier.gui.verdict_text import VerdictView
    from ai_image_classifier.gui.window import MIN_SIZE

    long = "A sentence that takes a line or more in the side panel, said again. " * 4
    view = VerdictView("AI-GENERATED (declared)", "fake", long, long, 0.62, "fake", 0.5, 0.1,
                       caveat="It looked at the whole picture. " + long)
    app.geometry(f"{MIN_SIZE[0]}x{MIN_SIZE[1]}")
    app.side.show_notice(long)
    app.side.show_verdict(view)
    for _ in range(20):
        app.update()
    panel = app.side.verdict
    parts = [part for part in panel._parts if part.winfo_ismapped()]
    assert len(parts) == 7
    for part in parts:
        assert part.winfo_height() >= part.winfo_reqheight(), part  # nothing squeezed
    for upper, lower in itertools.pairwise(parts):
        assert upper.winfo_rooty() + upper.winfo_height() <= lower.winfo_rooty()
    scale = [panel.bar.bbox(item) for item in panel.bar.find_withtag("scale")]
    assert scale and all(bottom <= panel.bar.winfo_height() for *_, bottom in scale)
    canvas = panel.body._parent_canvas
    canvas.focus_force()
    canvas.event_generate("<End>", when="tail")
    for _ in range(5):
        app.update()
    bottom = canvas.winfo_rooty() + canvas.winfo_height()
    assert panel.caveat.winfo_rooty() + panel.caveat.winfo_height() <= bottom + 2
    assert bottom <= panel.model_status.winfo_rooty()  # the footer line covers nothing


def test_the_enhance_tabs_last_line_can_be_reached_at_the_minimum_size(app):
    from ai_image_classifier.gui.window import MIN_SIZE

    app.geometry(f"{MIN_SIZE[0]}x{MIN_SIZE[1]}")
    app.side.tabs.set("Enhance")
    panel = app.side.enhance
    panel.enhance_state(False, False, 0.0, "Done: 4000×3000 (Learned 2×, denoise Auto; noise "
                                           "level 7.0, removed at strength 8.4). Save with "
                                           "Ctrl+S. " * 2)
    for _ in range(20):
        app.update()
    canvas = app.side.enhance_area._parent_canvas
    canvas.focus_force()
    canvas.event_generate("<End>", when="tail")
    for _ in range(5):
        app.update()
    bottom = canvas.winfo_rooty() + canvas.winfo_height()
    assert panel.status.winfo_rooty() + panel.status.winfo_height() <= bottom + 2
    assert panel.status.winfo_height() >= panel.status.winfo_reqheight()


def test_shortcuts_leave_tks_own_dialogs_alone(app):
    """Tk's file dialog and message boxes are made in Tcl: Ctrl+O typed there must not open
    a second dialog, Ctrl+2 not switch the view behind it."""
    app.tk.eval("toplevel .tcl_dialog; entry .tcl_dialog.name; pack .tcl_dialog.name")
    app.update()
    app.tk.call("focus", "-force", ".tcl_dialog.name")
    app.update()
    app.tk.call("event", "generate", ".tcl_dialog.name", "<Control-Key-2>", "-when", "tail")
    app.update()
    assert app.viewer.view == "Original"
    app.tk.call("destroy", ".tcl_dialog")


def test_shortcuts_belong_to_the_main_window(app):
    """Keys typed in another window of the app (the scan window, Model…) do not act on the
    main window behind it: Esc there must not cancel its enhancement."""
    import customtkinter as ctk

    other = ctk.CTkToplevel(app)
    entry = ctk.CTkEntry(other)
    entry.pack()
    app.update()
    inner = entry._entry  # the Tk widget that takes the keys
    inner.focus_force()
    app.update()
    inner.event_generate("<Control-Key-2>", when="tail")
    app.update()
    assert app.viewer.view == "Original"
    other.destroy()


def test_the_scrolling_tabs_follow_the_theme_and_show_their_focus(app):
    from ai_image_classifier.gui.keys import FOCUS_COLOUR
    from ai_image_classifier.gui.theme import surface_colour
    from ai_image_classifier.gui.verdict_text import VerdictView

    app.side.show_verdict(VerdictView("REAL IMAGE", "real", "", "It looked at the whole "
                                      "picture.", 0.1, "real", 0.5, 0.1))
    for theme in ("Light", "Dark"):
        app.top.theme_menu.set(theme)
        app.set_theme(theme)
        for _ in range(10):
            app.update()
        panel = app.side.verdict
        label = panel.model._label  # the Tk label CustomTkinter draws the text with
        assert app.winfo_rgb(label.cget("bg")) == app.winfo_rgb(surface_colour(panel.body))
        assert app.winfo_rgb(surface_colour(panel.body)) == app.winfo_rgb(
            surface_colour(app.side.tabs))
    canvas, scrollbar = panel.body._parent_canvas, panel.body._scrollbar
    canvas.focus_force()
    canvas.event_generate("<FocusIn>")
    app.update()
    assert scrollbar.cget("button_color") == FOCUS_COLOUR


def test_the_arrow_keys_pan_at_100_percent_and_move_the_compare_slider(app, tmp_path):
    import numpy as np
    from PIL import Image

    big = tmp_path / "big.png"
    Image.fromarray(np.random.default_rng(5).integers(0, 255, (900, 1400, 3),
                                                      dtype=np.uint8)).save(big)
    open_via_dialog(app, big)
    viewer = app.viewer
    viewer.toggle_zoom()
    viewer.pan_to(0.5, 0.5)
    press(app, viewer.canvas, "<Right>")
    press(app, viewer.canvas, "<Up>")
    assert viewer.centre[0] > 0.5 and viewer.centre[1] < 0.5
    viewer.toggle_zoom()
    viewer.choose_view("Compare")
    before = viewer.compare_slider.get()
    press(app, viewer.canvas, "<Left>")
    assert viewer.compare_slider.get() < before
    assert str(app.tk.call("tk_focusPrev", str(viewer.canvas))).startswith(
        str(viewer.zoom_switch))  # Tab reaches the picture after the switches


def test_a_closed_window_is_freed_with_its_model(tmp_path, monkeypatch):
    """CustomTkinter kept every closed app (and its half-gigabyte model) for good: the tests'
    memory grew by that much per window until the system killed the run."""
    import gc
    import time
    import weakref

    from ai_image_classifier.gui.window import App

    from .gui_fakes import FakeDialogs

    monkeypatch.setenv("AIIC_CONFIG_DIR", str(tmp_path / "config"))

    def open_and_close() -> weakref.ref:
        window = App(dialogs=FakeDialogs())
        wait_for(window, lambda: window.models.classifier is not None or window.models.error)
        window.close()
        return weakref.ref(window)

    freed = open_and_close()
    deadline = time.monotonic() + 60  # a worker may still be loading the upscaler
    while freed() is not None and time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.1)
    assert freed() is None
