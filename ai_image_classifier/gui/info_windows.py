"""The Model… and About… windows: what the model is, in plain words, and where the logs are.
They talk to `ModelFlow` and `Dialogs` through their public methods only."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import customtkinter as ctk

from .. import __version__
from ..cards import MODEL_NAME, bundled_model_names
from . import model_text
from .formatting import TITLE
from .keys import reach_by_keyboard
from .model_flow import ModelFlow
from .ports import Dialogs
from .widgets import place_over


class ModelWindow(ctk.CTkToplevel):
    def __init__(self, parent: Any, models: ModelFlow, dialogs: Dialogs) -> None:
        super().__init__(parent)
        self.models, self.dialogs = models, dialogs.for_window(self)
        self.title("Model")
        place_over(self, parent, 620, 580)
        self.details = False
        self.box = ctk.CTkTextbox(self, wrap="word")
        self.box.pack(fill="both", expand=True, padx=10, pady=10)
        row = ctk.CTkFrame(self, fg_color="transparent")
        row.pack(pady=(0, 10))
        self.fold = ctk.CTkButton(row, text="Details…", width=100, command=self.toggle)
        self.fold.pack(side="left", padx=4)
        self.titles = model_text.menu_titles(bundled_model_names())
        self.choice = ctk.CTkOptionMenu(row, values=list(self.titles), width=260,
                                        command=self.switch)
        self.choice.pack(side="left", padx=4)
        ctk.CTkButton(row, text="Open model file…", command=self.choose_file).pack(
            side="left", padx=4)
        self.refresh()
        reach_by_keyboard(self)
        self.after(50, self.lift)

    def refresh(self) -> None:
        """Show what the model flow says now (it calls this when the model changes)."""
        if not self.winfo_exists():
            return
        self.box.configure(state="normal")
        self.box.delete("1.0", "end")
        self.box.insert("end", self.models.card_text(self.details) + "\n\n"
                        + model_text.trust_list_text())
        self.box.configure(state="disabled")
        self.choice.set(model_text.title(self.models.name or MODEL_NAME))

    def toggle(self) -> None:
        self.details = not self.details
        self.fold.configure(text="Hide details" if self.details else "Details…")
        self.refresh()

    def switch(self, shown: str) -> None:
        self.models.load(self.titles[shown])
        self.destroy()

    def choose_file(self) -> None:
        self.models.choose_file(self.dialogs)
        if self.winfo_exists():
            self.destroy()


def show_about(parent: Any, dialogs: Dialogs) -> ctk.CTkToplevel:
    """Version, the promise that nothing leaves the machine, and the log folder."""
    from ..logs import log_dir

    window = ctk.CTkToplevel(parent)
    window.title("About")
    place_over(window, parent, 540, 380)
    folder = log_dir()
    ctk.CTkLabel(window, justify="left", wraplength=500, text=(
        f"{TITLE} {__version__}\n\nEverything runs on this computer: no picture, "
        f"verdict or setting is sent anywhere.\n\n{model_text.trust_list_text()}\n\nWhen "
        "something goes wrong, the details are written to a log file in:\n"
        f"{folder}")).pack(padx=16, pady=16, anchor="w")
    ctk.CTkButton(window, text="Open log folder",
                  command=lambda: open_folder(folder, dialogs.for_window(window))).pack(
        pady=(0, 12))
    reach_by_keyboard(window)
    window.after(50, window.lift)
    return window


def file_manager() -> list[str] | None:
    """The command that shows a folder on this system, or None when there is none."""
    if sys.platform == "darwin":
        return ["open"]
    for name in ("xdg-open", "gio", "nautilus", "dolphin", "thunar"):
        found = shutil.which(name)
        if found:
            return [found, "open"] if name == "gio" else [found]
    return None


def open_folder(folder: Path, dialogs: Dialogs) -> None:
    """Show a folder in the system's file manager; where there is none, say where it is."""
    where = f"The log files are in:\n{folder}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if sys.platform == "win32":
            os.startfile(folder)  # type: ignore[attr-defined]
            return
        command = file_manager()
        if command is None:
            dialogs.error("No file manager", f"This computer has no program to show folders "
                                             f"with. {where}")
            return
        subprocess.Popen([*command, str(folder)], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    except OSError as error:
        dialogs.error("Cannot open the folder", f"It could not be shown "
                                                f"({error.strerror or 'unknown error'}). {where}")
