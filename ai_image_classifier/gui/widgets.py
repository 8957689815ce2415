"""Small CustomTkinter adjustments: a progress bar with no dot when idle, buttons that look
disabled when they are, and a tooltip."""

from __future__ import annotations

import tkinter as tk
from typing import Any

import customtkinter as ctk

from .theme import palette

DISABLED_FILL = ("gray78", "gray30")


class QuietProgressBar(ctk.CTkProgressBar):
    """CustomTkinter draws a rounded dot at 0 %, which reads as "something is running";
    at 0 the progress colour is the trough's, so an idle bar is empty."""

    def __init__(self, master: Any, **kwargs: Any) -> None:
        super().__init__(master, **kwargs)
        self._active_colour = self.cget("progress_color")
        self.set(0)

    def set(self, value: float, *args: Any, **kwargs: Any) -> None:
        idle = value <= 0
        self.configure(progress_color=self.cget("fg_color") if idle else self._active_colour)
        super().set(value, *args, **kwargs)


def set_enabled(button: ctk.CTkButton, enabled: bool) -> None:
    """Enable or disable a button so that the difference shows: a disabled one is grey."""
    if not hasattr(button, "_enabled_fill"):
        button._enabled_fill = button.cget("fg_color")  # type: ignore[attr-defined]
    button.configure(state="normal" if enabled else "disabled",
                     fg_color=button._enabled_fill if enabled  # type: ignore[attr-defined]
                     else DISABLED_FILL)


class Tooltip:
    """A small borderless window with a text, beside the pointer."""

    def __init__(self, master: Any) -> None:
        self.master = master
        self.window: tk.Toplevel | None = None
        self.text = ""

    def show(self, text: str, x: int, y: int) -> None:
        if self.window is not None and text == self.text:
            self.window.geometry(f"+{x + 14}+{y + 18}")
            return
        self.hide()
        colours = palette()
        self.window = tk.Toplevel(self.master)
        self.window.wm_overrideredirect(True)
        self.window.geometry(f"+{x + 14}+{y + 18}")
        tk.Label(self.window, text=text, justify="left", wraplength=640, padx=6, pady=3,
                 background=colours["heading"], foreground=colours["foreground"],
                 borderwidth=1, relief="solid").pack()
        self.text = text

    def hide(self) -> None:
        if self.window is not None:
            self.window.destroy()
        self.window, self.text = None, ""
