"""The main window: it lays out the widgets and forwards events to the workflows
(`ModelFlow`, `PictureFlow`, `EnhanceFlow`, `SaveFlow`; `ScanFlow` in each scan window),
which hold the state and the rules and run all heavy work in `BackgroundTasks` lanes."""

from __future__ import annotations

import gc
import logging
import tkinter as tk
from pathlib import Path
from typing import Any

import customtkinter as ctk

from .dialogs import Dialogs
from .enhance_flow import EnhanceFlow, result_note
from .formatting import TITLE, metadata_text
from .info_windows import ModelWindow, show_about
from .keys import bind_shortcuts, reach_by_keyboard, show_help
from .model_flow import ModelFlow
from .panels import SidePanel, StatusBar, TopBar
from .picture_flow import PictureFlow
from .save_flow import SaveFlow
from .scan import ScanWindow
from .scan_flow import ScanFlow
from .settings import Settings
from .state import OpenedImage
from .tasks import BackgroundTasks
from .theme import set_icon, set_mode, style_tk
from .verdict_text import VerdictView
from .viewer import Viewer
from .widgets import forget_windows, set_enabled

log = logging.getLogger(__name__)

MIN_SIZE = (960, 640)

try:  # drag and drop needs the tkdnd library that tkinterdnd2 ships for each platform
    from tkinterdnd2 import DND_FILES, TkinterDnD

    DnDWrapper: type = TkinterDnD.DnDWrapper
except ImportError:  # pragma: no cover - tkinterdnd2 is in requirements.txt
    TkinterDnD = None
    DnDWrapper = object


class App(ctk.CTk, DnDWrapper):
    def __init__(self, dialogs: Any = None, model_path: str | None = None) -> None:
        super().__init__()
        self.withdraw()  # shown once whole: no half-built first frames
        self.settings = Settings.load()
        self.tasks = BackgroundTasks(self)
        self.dialogs = dialogs or Dialogs(self)
        self.models = ModelFlow(self.tasks, self.dialogs, lambda: self.settings.start_folder)
        set_mode(self.settings.theme)
        self.title(TITLE)
        self.minsize(*MIN_SIZE)
        self.geometry(self.settings.geometry)
        self.drop_enabled, self.scan_window, self.model_window = False, None, None
        self._build()
        self.pictures = PictureFlow(self.tasks, self.models, self.dialogs, self,
                                    self.settings.remember)
        self.enhancer = EnhanceFlow(self.tasks, lambda: self.pictures.current, self)
        self.saver = SaveFlow(self.tasks, self.dialogs, self.settings, self)
        self.pictures.listeners.append(self.enhancer.cancel)
        self.models.listeners.append(self._model_changed)
        self._model_changed()
        self._icon = set_icon(self)
        self._enable_drop()
        self._bind_keys()
        self.protocol("WM_DELETE_WINDOW", self.close)
        self.models.load(model_path)  # after the build: loading slows it down, not the reverse
        self.tasks.later(150, self.pictures.warm_up)  # once shown, while the model loads
        self.deiconify()

    # ---------- layout ----------
    def _build(self) -> None:
        style_tk(self)
        self.grid_columnconfigure(0, weight=1)
        self.grid_rowconfigure(1, weight=1)
        self.commands = {
            "open": self.ask_open, "recent": self._open_recent, "scan": self.ask_scan_folder,
            "save": self.ask_save, "theme": self.set_theme, "model": self.show_model,
            "about": lambda: show_about(self, self.dialogs)}
        self.top = TopBar(self, self.settings.theme, self.commands)
        self.top.grid(row=0, column=0, columnspan=2, sticky="ew")
        self.top.show_recent(list(self.settings.recent_entries()))
        self.viewer = Viewer(self, self.redraw)
        self.viewer.grid(row=1, column=0, sticky="nsew", padx=(10, 5), pady=10)
        self.side = SidePanel(self, self.settings.enhance_settings, self.settings.jpeg_quality,
                              lambda: self.enhancer.start(self.side.enhance.settings()),
                              lambda: self.enhancer.cancel(), self._enhance_choice_changed)
        self.side.grid(row=1, column=1, sticky="ns", padx=(5, 10), pady=(10, 10))
        self.status_bar = StatusBar(self, lambda: self.saver.cancel())
        self.status_bar.grid(row=2, column=0, columnspan=2, sticky="ew", padx=12, pady=(0, 6))

    def _enable_drop(self) -> None:
        if TkinterDnD is None:
            return
        try:
            self.TkdndVersion = TkinterDnD._require(self)
        except (RuntimeError, tk.TclError):
            return  # no tkdnd for this platform: the Open button still works
        self.drop_target_register(DND_FILES)
        self.dnd_bind("<<Drop>>", self._on_drop)
        self.drop_enabled = True

    def _bind_keys(self) -> None:
        bind_shortcuts(self, {
            **self.commands, "enhance": self.side.enhance.enhance_button.invoke,
            "cancel": self.stop_work, "view": self.viewer.choose_view,
            "zoom": self.viewer.toggle_zoom, "tab": self.side.tabs.set,
            "next_theme": self.top.next_theme, "help": lambda: show_help(self)})
        reach_by_keyboard(self)

    def stop_work(self) -> None:
        """Esc: stop the enhancement and the heat map."""
        self.enhancer.cancel()
        self.pictures.stop_views()

    def report_callback_exception(self, exc, value, traceback) -> None:
        """An unexpected error in a handler becomes a message, not a dead window."""
        log.error("unexpected error in the window", exc_info=(exc, value, traceback))
        self.status(f"Unexpected error: {value}")
        self.dialogs.error("Unexpected error", f"{exc.__name__}: {value}")

    # ---------- what the workflows show ----------
    def status(self, text: str) -> None:
        self.status_bar.say(text)

    def picture_shown(self, opened: OpenedImage) -> None:
        self.tasks.submit("open", self.settings.writer(), lambda _: None, lambda _: None)
        self.top.show_recent(list(self.settings.recent_entries()))
        self.title(f"{opened.path.name} — {TITLE}")
        set_enabled(self.top.save_button, False)
        self.enhancer.idle()
        self.viewer.view_switch.set("Original")
        self.side.show_metadata(metadata_text(opened))
        self.redraw()

    def verdict_shown(self, view: VerdictView | None, waiting: str = "") -> None:
        self.side.show_verdict(view, waiting)
        if view is not None:  # after the verdict is drawn, not while
            self.tasks.later(500, lambda: self.enhancer.warm_up(self.side.enhance.settings()))

    def redraw(self) -> None:
        viewer = self.viewer
        note = result_note(self.pictures.current, self.side.enhance.settings())
        plan = self.pictures.view_plan(viewer.view, viewer.zoomed, note, self.drop_enabled)
        viewer.render(plan, self.pictures.current)

    def enhance_state(self, running: bool, can_start: bool, fraction: float, text: str) -> None:
        self.side.enhance.enhance_state(running, can_start, fraction, text)

    def enhanced(self, opened: OpenedImage) -> None:
        set_enabled(self.top.save_button, True)
        self.viewer.view_switch.set("Compare")
        self.redraw()

    def save_state(self, running: bool, fraction: float | None, text: str,
                   can_cancel: bool) -> None:
        self.status_bar.save_state(running, fraction, text, can_cancel)

    def _model_changed(self) -> None:
        self.side.verdict.model_status.configure(text=self.models.status())
        self.side.show_notice(self.models.notice())
        if self.model_window is not None:
            self.model_window.refresh()
        if self.models.classifier is not None and self.pictures.current is None:
            self.enhancer.warm_up(self.side.enhance.settings())

    def _enhance_choice_changed(self) -> None:
        self.settings.remember_enhance(self.side.enhance.settings())
        self.redraw()

    # ---------- opening, scans, model, theme ----------
    def ask_open(self) -> None:
        path = self.dialogs.open_image(self.settings.start_folder)
        if path:
            self.pictures.open(Path(path))

    def _open_recent(self, choice: str) -> None:
        path = self.settings.recent_entries().get(choice)
        self.top.recent_menu.set("Recent")
        if path:
            self.pictures.open(Path(path))

    def _on_drop(self, event: Any) -> None:
        paths = [Path(p) for p in self.tk.splitlist(event.data)]
        if len(paths) == 1 and paths[0].is_dir():
            self.scan_folder(paths[0])
        elif paths:
            self.pictures.open(paths[0])

    def ask_save(self) -> None:
        self.saver.ask(self.pictures.current, self.side.enhance.jpeg_quality)

    def ask_scan_folder(self) -> None:
        folder = self.dialogs.open_folder(self.settings.start_folder, "Scan folder")
        if not folder:
            return
        if not Path(folder).is_dir():  # a file name typed into the dialog is not a folder
            self.dialogs.error("Not a folder", f"{folder} is not a folder; choose a folder "
                                               "to scan.")
            return
        self.scan_folder(Path(folder))

    def scan_folder(self, folder: Path) -> None:
        if self.scan_window is not None and self.scan_window.winfo_exists():
            self.scan_window.close()
        self.scan_window = ScanWindow(self, folder, lambda ui: ScanFlow(
            self.tasks, self.models, self.dialogs.for_window(ui), self.settings, folder, ui,
            lambda: (self.side.enhance.settings(), self.side.enhance.jpeg_quality)),
            on_open=self.open_from_scan)

    def open_from_scan(self, path: Path) -> None:
        """A scan row opened: the picture shows in this window, brought to the front."""
        self.pictures.open(path)
        self.deiconify()
        self.lift()
        self.focus_force()

    def show_model(self) -> None:
        if self.model_window is not None and self.model_window.winfo_exists():
            self.model_window.lift()
            return
        self.model_window = ModelWindow(self, self.models, self.dialogs)

    def set_theme(self, theme: str) -> None:
        set_mode(theme)
        self.settings.theme = theme
        self.settings.save()
        style_tk(self)
        self.viewer.paint_background()
        self.side.verdict.draw_bar()

    def close(self) -> None:
        self.enhancer.cancel()
        if self.scan_window is not None and self.scan_window.winfo_exists():
            self.scan_window.close()
        self.settings.geometry = self.geometry().split("+")[0]
        self.settings.save()
        self.tasks.close()
        for pending in self.tk.splitlist(self.tk.call("after", "info")):
            self.tk.call("after", "cancel", pending)  # else they fire, dead, in a later loop
        self.destroy()
        forget_windows(self)
        # Widgets keep fonts in reference cycles; collected later in a worker thread, their
        # Tk calls would wait for this interpreter's loop, which has ended. Free them here.
        gc.collect()
