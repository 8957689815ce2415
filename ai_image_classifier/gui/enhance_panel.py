"""The Enhance tab: method, scale, denoising and save quality, each with a line saying what it
does. The strength slider shows only in Custom, in a space kept for it, so the layout never
jumps. The panel holds choices and shows the enhancement's state; `EnhanceFlow` runs it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import customtkinter as ctk

from ..enhance_settings import DENOISE_MODES, METHODS, SCALES, EnhanceSettings
from .enhance_flow import DENOISE_LABELS, METHOD_LABELS, NOTHING_TO_DO, refusal
from .widgets import HoverTip, QuietProgressBar, set_enabled

CUSTOM_HELP = "Custom: the strength below; higher removes more noise and more detail"
SEED_HELP = "The original app's fixed strength (10), even on clean pictures"
SCALE_TEXT = {scale: f"{scale}×" for scale in SCALES}
WRAP = 320  # help lines wrap inside the side panel
HELP_HEIGHT = 36  # two lines: a shorter help line leaves its space


def _key(labels: dict[str, str], shown: str) -> str:
    return next(key for key, label in labels.items() if label == shown)


class EnhancePanel(ctk.CTkFrame):
    def __init__(self, master: Any, chosen: EnhanceSettings, jpeg_quality: int,
                 on_enhance: Callable[[], None], on_cancel: Callable[[], None],
                 on_change: Callable[[], None]) -> None:
        super().__init__(master, fg_color="transparent")
        self._on_change = on_change
        self.method_menu, self.method_help = self._menu_with_help(
            "Upscaling method", METHOD_LABELS, top=12)
        ctk.CTkLabel(self, text="Scale").pack(anchor="w", padx=12)
        self.scale_switch = ctk.CTkSegmentedButton(self, values=list(SCALE_TEXT.values()),
                                                   command=lambda _: self._changed())
        self.scale_switch.pack(anchor="w", padx=12, pady=(0, 8))
        self.denoise_menu, self.denoise_help = self._menu_with_help("Denoise", DENOISE_LABELS)
        self.strength_row = ctk.CTkFrame(self, fg_color="transparent", height=24)
        self.strength_row.pack(fill="x", padx=12, pady=(0, 8))
        self.strength_row.pack_propagate(False)
        self.strength = ctk.CTkSlider(self.strength_row, from_=1, to=30, number_of_steps=29,
                                      command=lambda _: self._changed())
        self.strength.set(10)
        self.quality_label = ctk.CTkLabel(self, text="")
        self.quality_label.pack(anchor="w", padx=12)
        self.quality = ctk.CTkSlider(self, from_=50, to=100, number_of_steps=50,
                                     command=lambda _: self._explain())
        self.quality.set(jpeg_quality)
        self.quality.pack(fill="x", padx=12, pady=(0, 8))
        buttons = ctk.CTkFrame(self, fg_color="transparent")
        buttons.pack(fill="x", padx=12, pady=4)
        self.enhance_button = ctk.CTkButton(buttons, text="Enhance", command=on_enhance)
        self.enhance_button.pack(side="left", expand=True, fill="x", padx=(0, 4))
        self.enhance_tip = HoverTip(self.enhance_button, self.disabled_reason)
        self.cancel_button = ctk.CTkButton(buttons, text="Cancel (Esc)", command=on_cancel)
        self.cancel_button.pack(side="left", expand=True, fill="x", padx=(4, 0))
        self.progress = QuietProgressBar(self)
        self.progress.pack(fill="x", padx=12, pady=8)
        self.status = ctk.CTkLabel(self, text="", wraplength=WRAP, justify="left", anchor="w")
        self.status.pack(fill="x", padx=12)
        self._can_start = False
        self.enhance_state(False, False, 0.0, "")
        self._set(chosen.method, int(chosen.scale), chosen.denoise)
        self._explain()

    def _menu_with_help(self, title: str, labels: dict[str, str], top: int = 0
                        ) -> tuple[ctk.CTkOptionMenu, ctk.CTkLabel]:
        """A titled menu of `labels` with a two-line space under it that `_explain` fills."""
        ctk.CTkLabel(self, text=title).pack(anchor="w", padx=12, pady=(top, 0))
        menu = ctk.CTkOptionMenu(self, values=list(labels.values()),
                                 command=lambda _: self._changed())
        menu.pack(anchor="w", padx=12)
        help_line = ctk.CTkLabel(self, text="", wraplength=WRAP, justify="left", anchor="nw",
                                 height=HELP_HEIGHT, text_color=("gray35", "gray70"))
        help_line.pack(fill="x", padx=12, pady=(0, 4))
        return menu, help_line

    def _changed(self) -> None:
        self._explain()
        self._show_refusal()
        self._on_change()

    def _show_refusal(self) -> None:
        """Grey Enhance out while the settings cannot change the picture, and say why in
        the status line too (a tooltip is only seen with a mouse)."""
        reason = refusal(self.settings())
        set_enabled(self.enhance_button, self._can_start and not reason)
        if reason and self._can_start:
            self.status.configure(text=reason)
        elif self.status.cget("text") == NOTHING_TO_DO:  # said only that: no longer true
            self.status.configure(text="")

    def disabled_reason(self) -> str:
        """Why Enhance is greyed out ("" when it is not), for its tooltip."""
        if "normal" in (self.enhance_button.cget("state"), self.cancel_button.cget("state")):
            return ""  # enabled, or one is running (its Cancel says so)
        return refusal(self.settings()) or "Open a picture first (Ctrl+O)."

    def _explain(self) -> None:
        self.method_help.configure(text=METHODS[_key(METHOD_LABELS, self.method_menu.get())])
        denoise = _key(DENOISE_LABELS, self.denoise_menu.get())
        helps = {"custom": f"{CUSTOM_HELP} ({self.strength.get():.0f})", "seed": SEED_HELP}
        self.denoise_help.configure(text=helps.get(denoise) or DENOISE_MODES[denoise])
        if denoise == "custom":
            self.strength.pack(fill="x", expand=True)
        else:
            self.strength.pack_forget()
        self.quality_label.configure(text=f"JPEG / WebP quality when saving: "
                                          f"{self.quality.get():.0f}")

    def choose(self, method: str | None = None, scale: int | None = None,
               denoise: str | float | None = None) -> None:
        """Set the controls as a person would."""
        self._set(method, scale, denoise)
        self._changed()

    def _set(self, method: str | None, scale: int | None, denoise: str | float | None) -> None:
        if method:
            self.method_menu.set(METHOD_LABELS[method])
        if scale:
            self.scale_switch.set(SCALE_TEXT[scale])
        if isinstance(denoise, str):
            self.denoise_menu.set(DENOISE_LABELS[denoise])
        elif denoise is not None:
            self.denoise_menu.set(DENOISE_LABELS["custom"])
            self.strength.set(denoise)

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

    def enhance_state(self, running: bool, can_start: bool, fraction: float,
                      text: str) -> None:
        """What `EnhanceFlow` says: buttons, progress and the line under them; Enhance stays
        greyed out while the chosen settings cannot change the picture."""
        self._can_start = can_start
        set_enabled(self.enhance_button, can_start and not refusal(self.settings()))
        set_enabled(self.cancel_button, running)
        self.progress.set(fraction if running else 0.0)
        self.status.configure(text=text)
