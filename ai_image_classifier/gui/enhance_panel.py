"""The Enhance tab: method, scale, denoising and save quality, each with a line saying what it
does. The panel only holds choices; the window runs the work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import customtkinter as ctk

from ..enhance_settings import DENOISE_MODES, METHODS, SCALES, EnhanceSettings
from .widgets import QuietProgressBar, set_enabled

METHOD_LABELS = {"learned": "Learned (AI upscaler)", "lanczos": "Lanczos", "bicubic": "Bicubic"}
DENOISE_LABELS = {"auto": "Auto", "off": "Off", "seed": "Seed (h = 10)", "custom": "Custom"}
CUSTOM_HELP = "Custom: the strength below; higher removes more noise and more detail"
SCALE_TEXT = {scale: f"{scale}×" for scale in SCALES}
WRAP = 320  # help lines wrap inside the side panel


def _key(labels: dict[str, str], shown: str) -> str:
    return next(key for key, label in labels.items() if label == shown)


class EnhancePanel(ctk.CTkFrame):
    def __init__(self, master: Any, jpeg_quality: int, on_enhance: Callable[[], None],
                 on_cancel: Callable[[], None]) -> None:
        super().__init__(master, fg_color="transparent")
        self.method_menu, self.method_help = self._menu_with_help(
            "Upscaling method", METHOD_LABELS, "learned", top=12)

        ctk.CTkLabel(self, text="Scale").pack(anchor="w", padx=12)
        self.scale_switch = ctk.CTkSegmentedButton(self, values=list(SCALE_TEXT.values()))
        self.scale_switch.set(SCALE_TEXT[2])
        self.scale_switch.pack(anchor="w", padx=12, pady=(0, 8))

        self.denoise_menu, self.denoise_help = self._menu_with_help(
            "Denoise", DENOISE_LABELS, "auto")
        self.strength = ctk.CTkSlider(self, from_=1, to=30, number_of_steps=29,
                                      command=lambda _: self._explain())
        self.strength.set(10)
        self.strength.pack(fill="x", padx=12, pady=(0, 8))

        self.quality_label = ctk.CTkLabel(self, text="")
        self.quality_label.pack(anchor="w", padx=12)
        self.quality = ctk.CTkSlider(self, from_=50, to=100, number_of_steps=50,
                                     command=lambda _: self._explain())
        self.quality.set(jpeg_quality)
        self.quality.pack(fill="x", padx=12, pady=(0, 8))

        buttons = ctk.CTkFrame(self, fg_color="transparent")
        buttons.pack(fill="x", padx=12, pady=4)
        self.enhance_button = ctk.CTkButton(buttons, text="Enhance", command=on_enhance,
                                            state="disabled")
        self.enhance_button.pack(side="left", expand=True, fill="x", padx=(0, 4))
        self.cancel_button = ctk.CTkButton(buttons, text="Cancel (Esc)", command=on_cancel)
        self.cancel_button.pack(side="left", expand=True, fill="x", padx=(4, 0))
        for button in (self.enhance_button, self.cancel_button):
            set_enabled(button, False)
        self.progress = QuietProgressBar(self)
        self.progress.pack(fill="x", padx=12, pady=8)
        self.status = ctk.CTkLabel(self, text="", wraplength=WRAP, justify="left")
        self.status.pack(fill="x", padx=12)
        self._explain()

    def _menu_with_help(self, title: str, labels: dict[str, str], default: str,
                        top: int = 0) -> tuple[ctk.CTkOptionMenu, ctk.CTkLabel]:
        """A titled menu of `labels` with a line under it that `_explain` fills."""
        ctk.CTkLabel(self, text=title).pack(anchor="w", padx=12, pady=(top, 0))
        menu = ctk.CTkOptionMenu(self, values=list(labels.values()),
                                 command=lambda _: self._explain())
        menu.set(labels[default])
        menu.pack(anchor="w", padx=12)
        help_line = ctk.CTkLabel(self, text="", wraplength=WRAP, justify="left",
                                 text_color=("gray35", "gray70"))
        help_line.pack(anchor="w", padx=12, pady=(0, 4))
        return menu, help_line

    def _explain(self) -> None:
        self.method_help.configure(text=METHODS[_key(METHOD_LABELS, self.method_menu.get())])
        denoise = _key(DENOISE_LABELS, self.denoise_menu.get())
        self.denoise_help.configure(text=f"{CUSTOM_HELP} ({self.strength.get():.0f})"
                                    if denoise == "custom" else DENOISE_MODES[denoise])
        self.strength.configure(state="normal" if denoise == "custom" else "disabled")
        self.quality_label.configure(text=f"JPEG / WebP quality when saving: "
                                          f"{self.quality.get():.0f}")

    def choose(self, method: str | None = None, scale: int | None = None,
               denoise: str | float | None = None) -> None:
        """Set the controls as a person would (tests and benchmarks use it)."""
        if method:
            self.method_menu.set(METHOD_LABELS[method])
        if scale:
            self.scale_switch.set(SCALE_TEXT[scale])
        if isinstance(denoise, str):
            self.denoise_menu.set(DENOISE_LABELS[denoise])
        elif denoise is not None:
            self.denoise_menu.set(DENOISE_LABELS["custom"])
            self.strength.set(denoise)
        self._explain()

    def settings(self) -> EnhanceSettings:
        denoise: str | float = _key(DENOISE_LABELS, self.denoise_menu.get())
        if denoise == "custom":
            denoise = float(self.strength.get())
        scale = next(s for s, text in SCALE_TEXT.items() if text == self.scale_switch.get())
        return EnhanceSettings(method=_key(METHOD_LABELS, self.method_menu.get()), scale=scale,
                               denoise=denoise)

    @property
    def jpeg_quality(self) -> int:
        return int(self.quality.get())
