"""Colours shared by the window's parts, light and dark, and the same theme for what
CustomTkinter does not draw: ttk widgets (the scan table and its scroll bars) and, on X11,
Tk's own message boxes and file dialogs, which are built from ttk and classic Tk widgets."""

from __future__ import annotations

import sys
from tkinter import ttk
from typing import Any

import customtkinter as ctk

VERDICT_COLOURS = {"real": ("#1b7f3b", "#4cc36f"), "fake": ("#b3261e", "#ff6b5e")}
NEUTRAL = ("gray40", "gray70")
FILE_DIALOG = "TkFDialog"  # the class of Tk's own file dialog (X11)
#: Light and dark colours for ttk and classic Tk widgets, close to CustomTkinter's.
PALETTES = {
    False: {"background": "#ebebeb", "foreground": "#1a1a1a", "field": "#ffffff",
            "heading": "#dcdcdc", "trough": "#d6d6d6", "thumb": "#b0b0b0",
            "select": "#1f6aa5", "disabled": "#8a8a8a"},
    True: {"background": "#2b2b2b", "foreground": "#dce4ee", "field": "#1d1e1e",
           "heading": "#3a3a3a", "trough": "#242424", "thumb": "#565b5e",
           "select": "#1f6aa5", "disabled": "#707070"},
}


def set_mode(choice: str) -> None:
    """Light, Dark, or the system's. On Linux "System" is resolved here, when chosen: left to
    CustomTkinter, it starts one or two `gsettings` processes every 30 ms on the window's
    thread (5 ms each on the test machine). Elsewhere the system is asked natively, cheaply."""
    if choice == "System" and sys.platform.startswith("linux"):
        import darkdetect

        choice = darkdetect.theme() or "Light"
    ctk.set_appearance_mode(choice)


def dark() -> bool:
    return ctk.get_appearance_mode() == "Dark"


def tone_colour(tone: str) -> tuple[str, str]:
    """The (light, dark) colour of a verdict tone: "real", "fake", else neutral."""
    return VERDICT_COLOURS.get(tone, NEUTRAL)


def palette() -> dict[str, str]:
    return PALETTES[dark()]


def surface_colour(frame: Any) -> str:
    """The colour a CustomTkinter frame shows in the current theme, for plain Tk canvases
    (read from its public `fg_color`, a (light, dark) pair in CustomTkinter's themes)."""
    colour = frame.cget("fg_color")
    if isinstance(colour, (list, tuple)):
        colour = colour[dark()]
    if colour == "transparent":
        return surface_colour(frame.master)
    return str(colour)


def style_tk(root: Any) -> None:
    """Theme ttk and classic Tk widgets like the rest of the window. "clam" is the ttk theme
    that takes colours on every platform; on X11, Tk's message boxes are ttk, and the option
    database reaches the classic widgets of its file dialog."""
    colours = palette()
    scaling = ctk.ScalingTracker.get_widget_scaling(root)  # rows grow with the display's
    style = ttk.Style(root)
    if style.theme_use() != "clam":
        style.theme_use("clam")
    background, foreground, field = colours["background"], colours["foreground"], \
        colours["field"]
    style.configure(".", background=background, foreground=foreground, fieldbackground=field,
                    troughcolor=colours["trough"], bordercolor=colours["trough"],
                    lightcolor=background, darkcolor=background, insertcolor=foreground,
                    selectbackground=colours["select"], selectforeground="#ffffff",
                    arrowcolor=foreground)
    style.map(".", background=[("active", colours["heading"])],
              foreground=[("disabled", colours["disabled"])])
    style.configure("TScrollbar", background=colours["thumb"], troughcolor=colours["trough"])
    style.configure("Treeview", background=field, fieldbackground=field, foreground=foreground,
                    rowheight=round(22 * scaling))
    style.configure("Treeview.Heading", background=colours["heading"], foreground=foreground)
    style.map("Treeview", background=[("selected", colours["select"])],
              foreground=[("selected", "#ffffff")])
    for pattern, value in (("Background", background), ("Foreground", foreground),
                           ("selectBackground", colours["select"]),
                           ("activeBackground", colours["heading"]),
                           ("activeForeground", foreground)):
        root.option_add(f"*{FILE_DIALOG}*{pattern}", value)  # its menus and file list


def set_icon(window: Any) -> Any:
    """Give every window of the app its icon; the image is returned, to be kept alive."""
    from PIL import Image, ImageTk

    from ..resources import resource_path

    icon = resource_path("assets", "icon.png")
    if not icon.is_file():
        return None
    image = ImageTk.PhotoImage(Image.open(icon))
    window.iconphoto(True, image)
    return image
