"""Small CustomTkinter adjustments: a progress bar with no dot when idle, buttons that look
disabled when they are, a tooltip that stays on the screen, and windows placed over their
parent."""

from __future__ import annotations

import tkinter as tk
from typing import Any

import customtkinter as ctk

from .theme import palette

DISABLED_FILL = ("gray78", "gray30")


def forget_windows(root: Any) -> None:
    """After `root` is destroyed: CustomTkinter (6.0) keeps the app in
    `AppearanceModeTracker.app_list` and every window it saw as a key of
    `ScalingTracker.window_dpi_scaling_dict` for good, and with them the whole window, its
    models and pictures (about 0.5 GB an app in the tests). Drop `root` and every window
    under it, however deep (a dialog of the scan window too)."""
    from customtkinter.windows.widgets.appearance_mode import AppearanceModeTracker
    from customtkinter.windows.widgets.scaling import ScalingTracker

    AppearanceModeTracker.app_list[:] = [a for a in AppearanceModeTracker.app_list
                                         if a is not root]
    windows = ScalingTracker.window_dpi_scaling_dict
    for window in [w for w in windows if _under(w, root)]:
        del windows[window]
        ScalingTracker.window_widgets_dict.pop(window, None)


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


def inside_screen(x: int, y: int, size: tuple[int, int], screen: tuple[int, int]
                  ) -> tuple[int, int]:
    """Move a window of `size` at (x, y) the least so that all of it is on a `screen`."""
    width, height = size
    return (max(0, min(x, screen[0] - width)), max(0, min(y, screen[1] - height)))


def place_over(window: Any, parent: Any, width: int, height: int) -> None:
    """Give `window` its size, centred on `parent` and wholly on the screen (a window
    manager may otherwise put it partly below the screen's edge)."""
    parent.update_idletasks()
    x = parent.winfo_rootx() + (parent.winfo_width() - width) // 2
    y = parent.winfo_rooty() + (parent.winfo_height() - height) // 2
    screen = (window.winfo_screenwidth(), window.winfo_screenheight())
    x, y = inside_screen(x, y, (width, height), screen)
    window.geometry(f"{width}x{height}+{x}+{y}")


class Tooltip:
    """A small borderless window with a text, beside the pointer and never off the screen."""

    def __init__(self, master: Any) -> None:
        self.master = master
        self.window: tk.Toplevel | None = None
        self.text = ""

    def show(self, text: str, x: int, y: int) -> None:
        if self.window is None or text != self.text:
            self.hide()
            colours = palette()
            self.window = tk.Toplevel(self.master)
            self.window.wm_overrideredirect(True)
            tk.Label(self.window, text=text, justify="left", wraplength=640, padx=6, pady=3,
                     background=colours["heading"], foreground=colours["foreground"],
                     borderwidth=1, relief="solid").pack()
            self.text = text
        window = self.window
        window.update_idletasks()
        size = (window.winfo_reqwidth(), window.winfo_reqheight())
        screen = (window.winfo_screenwidth(), window.winfo_screenheight())
        left, top = inside_screen(x + 14, y + 18, size, screen)
        if top < y + 18 and left < x + 14 <= left + size[0]:  # pushed up over the pointer
            top = max(0, y - 8 - size[1])
        window.geometry(f"+{left}+{top}")

    def hide(self) -> None:
        if self.window is not None:
            self.window.destroy()
        self.window, self.text = None, ""


class HoverTip:
    """A tooltip over `widget` saying `text()` (shown only when it says something): why a
    button is disabled, for one."""

    def __init__(self, widget: Any, text: Any) -> None:
        self.tooltip, self._text = Tooltip(widget), text
        widget.bind("<Enter>", self._enter, add="+")
        widget.bind("<Leave>", lambda _: self.tooltip.hide(), add="+")

    def _enter(self, event: Any) -> None:
        text = self._text()
        if text:
            self.tooltip.show(text, event.x_root, event.y_root)


def _under(window: Any, root: Any) -> bool:
    """Whether `window` is `root` or one of its windows, following masters up."""
    while window is not None:
        if window is root:
            return True
        window = getattr(window, "master", None)
    return False
