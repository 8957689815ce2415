"""The Model… and About… windows: what the model is, in plain words, and where the logs are."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import customtkinter as ctk

from .. import __version__
from ..classifier import MODEL_NAME, bundled_model_names
from . import model_text
from .formatting import TITLE


def show_model(app: Any) -> None:
    window = ctk.CTkToplevel(app)
    window.title("Model")
    window.geometry("600x560")
    box = ctk.CTkTextbox(window, wrap="word")
    box.pack(fill="both", expand=True, padx=10, pady=10)

    def show(text: str) -> None:
        box.configure(state="normal")
        box.delete("1.0", "end")
        box.insert("end", text)
        box.configure(state="disabled")

    showing_details = [False]

    def toggle() -> None:
        showing_details[0] = not showing_details[0]
        show(model_card_text(app, details=showing_details[0]))
        fold.configure(text="Hide details" if showing_details[0] else "Details…")

    show(model_card_text(app))
    row = ctk.CTkFrame(window, fg_color="transparent")
    row.pack(pady=(0, 10))
    fold = ctk.CTkButton(row, text="Details…", width=100, command=toggle)
    fold.pack(side="left", padx=4)
    ctk.CTkLabel(row, text="Bundled model").pack(side="left", padx=4)
    choice = ctk.CTkOptionMenu(row, values=bundled_model_names(),
                               command=lambda name: app._switch_model(name, window))
    choice.set(app.classifier.source.name.split(".")[0]
               if app.classifier and app.classifier.source
               else MODEL_NAME)
    choice.pack(side="left", padx=4)
    ctk.CTkButton(row, text="Open model file…",
                  command=lambda: app.ask_model(window)).pack(side="left", padx=4)
    window.after(50, window.lift)


def model_card_text(app: Any, details: bool = False) -> str:
    """Plain words by default; the card's technical facts with `details`."""
    if app.classifier is None:
        return f"No model loaded. {app.model_error or 'Loading…'}"
    card = app.classifier.card or {}
    if not details:
        return model_text.summary(card)
    return model_text.details(card, app.classifier.threshold, app.classifier.half_width,
                              app.classifier.input_size, __version__)


def show_about(app: Any) -> None:
    """Version, the promise that nothing leaves the machine, and the log folder."""
    from ..logs import log_dir

    window = ctk.CTkToplevel(app)
    window.title("About")
    window.geometry("520x260")
    folder = log_dir()
    ctk.CTkLabel(window, justify="left", wraplength=480, text=(
        f"{TITLE} {__version__}\n\nEverything runs on this computer: no picture, "
        "verdict or setting is sent anywhere.\n\nWhen something goes wrong, the details "
        f"are written to a log file in:\n{folder}")).pack(padx=16, pady=16, anchor="w")
    ctk.CTkButton(window, text="Open log folder",
                  command=lambda: open_folder(app, folder)).pack(pady=(0, 12))
    window.after(50, window.lift)


def open_folder(app: Any, folder: Path) -> None:
    """Show a folder in the system's file manager."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        if sys.platform == "win32":
            os.startfile(folder)  # type: ignore[attr-defined]
        else:
            opener = "open" if sys.platform == "darwin" else "xdg-open"
            subprocess.Popen([opener, str(folder)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    except OSError as error:
        app.dialogs.error("Cannot open the folder", f"{folder}: {error}")
