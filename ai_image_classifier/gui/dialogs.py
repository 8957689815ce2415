"""Every question the app asks a person, in one replaceable object (tests inject their own).

Message boxes and file dialogs follow the window's theme where Tk draws them itself (X11,
through `theme.style_tk`); the native ones on Windows and macOS follow the system's.
"""

from __future__ import annotations

import copy
import sys
import tkinter as tk
from pathlib import PurePath
from tkinter import filedialog, messagebox
from typing import Any

from ..file_types import open_dialog_types, save_dialog_types, with_chosen_type
from .theme import palette

IMAGE_TYPES = open_dialog_types()
SAVE_TYPES = save_dialog_types()
FILE_LIST = "__tk_filedialog"  # the name Tk gives its own (X11) file dialog


class Dialogs:
    def __init__(self, parent: Any) -> None:
        self.parent = parent

    def for_window(self, window: Any) -> Dialogs:
        """The same dialogs, owned by `window`: a dialog parented to another window opens
        behind the one that asked (under a window manager), which then ignores every click."""
        owned = copy.copy(self)
        owned.parent = window
        return owned

    def _hide_dot_folders(self) -> None:
        """Tk's X11 file dialog lists hidden (dot) folders unless told not to; its variables
        exist once its script is loaded, which `catch` on a bad call does without a window."""
        call = self.parent.tk.call
        if call("tk", "windowingsystem") != "x11":
            return
        self.parent.tk.eval("catch {tk_getOpenFile -badoption}")
        call("set", "::tk::dialog::file::showHiddenBtn", "1")
        call("set", "::tk::dialog::file::showHiddenVar", "0")

    def _recolour_file_list(self) -> None:
        """Tk 8.6 draws its X11 file list on a canvas with a white background written into
        its code; once the dialog exists, give it the theme's colours."""
        if self.parent.tk.call("tk", "windowingsystem") != "x11":
            return

        def recolour(tries: int = 50) -> None:  # Tcl's own dialog: reached through Tcl
            call = self.parent.tk.call
            name = f".{FILE_LIST}" if str(self.parent) == "." else f"{self.parent}.{FILE_LIST}"
            if not int(call("winfo", "exists", name)) or not int(call("winfo", "ismapped",
                                                                        name)):
                if tries:
                    self.parent.after(20, recolour, tries - 1)
                return
            colours = palette()
            for canvas in _descendants(call, name, "Canvas"):
                call(canvas, "configure", "-background", colours["field"])
                for item in self.parent.tk.splitlist(call(canvas, "find", "withtag", "text")):
                    call(canvas, "itemconfigure", item, "-fill", colours["foreground"])

        self._hide_dot_folders()
        self.parent.after(20, recolour)

    def open_image(self, folder: str) -> str:
        self._recolour_file_list()
        return filedialog.askopenfilename(parent=self.parent, initialdir=folder or None,
                                          filetypes=IMAGE_TYPES, title="Open image")

    def open_folder(self, folder: str, title: str = "Scan folder") -> str:
        self._recolour_file_list()
        return filedialog.askdirectory(parent=self.parent, initialdir=folder or None,
                                       title=title)

    def open_model(self, folder: str) -> str:
        self._recolour_file_list()
        return filedialog.askopenfilename(
            parent=self.parent, initialdir=folder or None, title="Open model",
            filetypes=[("Models", "*.keras *.tflite *.card.json"), ("All files", "*")])

    def save_image_as(self, folder: str, name: str, type_name: str) -> str:
        """The chosen file name, its suffix set by the type chosen in the dialog: `name` is
        offered without a suffix, so that it never disagrees with the type shown beside it
        (Tk appends the chosen type's suffix; `with_chosen_type` makes sure on every
        platform). The app asks before replacing a file itself, so the dialog must not."""
        ordered = sorted(SAVE_TYPES, key=lambda entry: entry[0] != type_name)
        chosen = tk.StringVar(self.parent, value=type_name)
        self._recolour_file_list()
        path = filedialog.asksaveasfilename(parent=self.parent, initialdir=folder or None,
                                            initialfile=name, filetypes=ordered,
                                            typevariable=chosen, confirmoverwrite=False,
                                            defaultextension="", title="Save enhanced image")
        return with_chosen_type(path, chosen.get(), type_name)

    def save_as(self, folder: str, name: str, types: list[tuple[str, str]]) -> str:
        """A file name for an export of the given types (e.g. CSV)."""
        self._recolour_file_list()
        return filedialog.asksaveasfilename(parent=self.parent, initialdir=folder or None,
                                            initialfile=name, filetypes=types,
                                            confirmoverwrite=False, title="Export",
                                            defaultextension=PurePath(name).suffix)

    def confirm(self, title: str, message: str) -> bool:
        return messagebox.askyesno(title, message, parent=self.parent)

    def error(self, title: str, message: str) -> None:
        messagebox.showerror(title, message, parent=self.parent)


def _descendants(call: Any, path: str, kind: str) -> list[str]:
    """The Tk paths under `path` (itself included) of widget class `kind`."""
    found = [path] if call("winfo", "class", path) == kind else []
    for child in call("winfo", "children", path):
        found += _descendants(call, str(child), kind)
    return found


class ConsoleDialogs(Dialogs):
    """For unattended runs (--exit-when-ready): errors go to stderr, questions are declined."""

    def __init__(self, parent: Any) -> None:
        super().__init__(parent)
        self.errors: list[str] = []

    def confirm(self, title: str, message: str) -> bool:
        return False

    def error(self, title: str, message: str) -> None:
        self.errors.append(message)
        print(f"{title}: {message}", file=sys.stderr, flush=True)
