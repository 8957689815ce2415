"""Colours shared by the window's parts, light and dark."""

from __future__ import annotations

from typing import Any

import customtkinter as ctk

VERDICT_COLOURS = {"real": ("#1b7f3b", "#4cc36f"), "fake": ("#b3261e", "#ff6b5e")}
NEUTRAL = ("gray40", "gray70")


def dark() -> bool:
    return ctk.get_appearance_mode() == "Dark"


def surface_colour(frame: Any) -> str:
    """The colour a CustomTkinter frame shows in the current theme, for plain Tk canvases
    (read from its public `fg_color`, a (light, dark) pair in CustomTkinter's themes)."""
    colour = frame.cget("fg_color")
    if isinstance(colour, (list, tuple)):
        colour = colour[dark()]
    if colour == "transparent":
        return surface_colour(frame.master)
    return str(colour)
