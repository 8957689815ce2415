"""Every question the app asks a person, in one replaceable object (tests inject their own)."""

from __future__ import annotations

import sys
import tkinter as tk
from pathlib import PurePath
from tkinter import filedialog, messagebox

from ..file_types import open_dialog_types, save_dialog_types, type_name_of, with_chosen_type

IMAGE_TYPES = open_dialog_types()
SAVE_TYPES = save_dialog_types()


class Dialogs:
    def __init__(self, parent) -> None:
        self.parent = parent

    def open_image(self, folder: str) -> str:
        return filedialog.askopenfilename(parent=self.parent, initialdir=folder or None,
                                          filetypes=IMAGE_TYPES, title="Open image")

    def open_folder(self, folder: str) -> str:
        return filedialog.askdirectory(parent=self.parent, initialdir=folder or None,
                                       title="Scan folder")

    def open_model(self, folder: str) -> str:
        return filedialog.askopenfilename(
            parent=self.parent, initialdir=folder or None, title="Open model",
            filetypes=[("Models", "*.keras *.tflite"), ("All files", "*")])

    def save_as(self, folder: str, name: str, types=SAVE_TYPES) -> str:
        """The chosen file name; a type picked in the dialog sets its suffix. The app asks
        before replacing a file itself, so the dialog must not ask twice."""
        offered = type_name_of(name)
        ordered = sorted(types, key=lambda entry: entry[0] != offered)  # the name's type first
        chosen = tk.StringVar(self.parent, value=offered)
        path = filedialog.asksaveasfilename(parent=self.parent, initialdir=folder or None,
                                            initialfile=name, filetypes=ordered,
                                            typevariable=chosen, confirmoverwrite=False,
                                            defaultextension=PurePath(name).suffix,
                                            title="Save as")
        return with_chosen_type(path, chosen.get(), offered) if types is SAVE_TYPES else path

    def confirm(self, title: str, message: str) -> bool:
        return messagebox.askyesno(title, message, parent=self.parent)

    def error(self, title: str, message: str) -> None:
        messagebox.showerror(title, message, parent=self.parent)


class ConsoleDialogs(Dialogs):
    """For unattended runs (--exit-when-ready): errors go to stderr, questions are declined."""

    def __init__(self, parent) -> None:
        super().__init__(parent)
        self.errors: list[str] = []

    def confirm(self, title: str, message: str) -> bool:
        return False

    def error(self, title: str, message: str) -> None:
        self.errors.append(message)
        print(f"{title}: {message}", file=sys.stderr, flush=True)
