"""The window's bars and side panel: the buttons along the top, the verdict badge with the
Verdict, Enhance and Metadata tabs on the right, and the status line with a long save's
progress and Cancel along the bottom. They show what they are given and call back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import customtkinter as ctk

from ..enhance_settings import EnhanceSettings
from .enhance_panel import EnhancePanel
from .keys import scroll_by_keyboard
from .settings import THEMES
from .theme import NEUTRAL, tone_colour
from .verdict_panel import VerdictPanel
from .verdict_text import VerdictView
from .widgets import set_enabled

PANEL_WIDTH = 400
NO_RECENT = "No recent files"


class TopBar(ctk.CTkFrame):
    def __init__(self, master: Any, theme: str, commands: dict[str, Callable[..., None]]
                 ) -> None:
        """`commands`: open, recent(label), scan, save, theme(name), model, about."""
        super().__init__(master, corner_radius=0)
        ctk.CTkButton(self, text="Open image…", width=120, command=commands["open"]).pack(
            side="left", padx=(10, 4), pady=8)
        self.recent_menu = ctk.CTkOptionMenu(self, width=220, values=[NO_RECENT],
                                             dynamic_resizing=False,
                                             command=commands["recent"])
        self.recent_menu.pack(side="left", padx=4)
        ctk.CTkButton(self, text="Scan folder…", width=120, command=commands["scan"]).pack(
            side="left", padx=4)
        self.save_button = ctk.CTkButton(self, text="Save…", width=90, command=commands["save"])
        self.save_button.pack(side="left", padx=4)
        set_enabled(self.save_button, False)
        # Made left to right (the Tab order), packed from the right edge inwards.
        label = ctk.CTkLabel(self, text="Theme")
        self.theme_menu = ctk.CTkOptionMenu(self, width=110, values=list(THEMES),
                                            command=commands["theme"])
        self.theme_menu.set(theme)
        model = ctk.CTkButton(self, text="Model…", width=80, command=commands["model"])
        about = ctk.CTkButton(self, text="About…", width=80, command=commands["about"])
        about.pack(side="right", padx=(4, 10))
        model.pack(side="right", padx=4)
        self.theme_menu.pack(side="right", padx=4)
        label.pack(side="right", padx=(10, 2))
        self._choose_theme = commands["theme"]

    def next_theme(self) -> None:
        """The theme after the one shown (Ctrl+T), as if chosen in the menu."""
        themes = list(THEMES)
        chosen = themes[(themes.index(self.theme_menu.get()) + 1) % len(themes)]
        self.theme_menu.set(chosen)
        self._choose_theme(chosen)

    def show_recent(self, labels: list[str]) -> None:
        """Recent files; the menu's title is not one of its items."""
        self.recent_menu.configure(values=labels or [NO_RECENT],
                                   state="normal" if labels else "disabled")
        self.recent_menu.set("Recent")


class SidePanel(ctk.CTkFrame):
    """One width whichever tab shows; the verdict's headline (the badge, and the notice that the
    whole-picture detector is off, when it is) stays above the tabs, visible while enhancing or
    reading metadata."""

    def __init__(self, master: Any, chosen: EnhanceSettings, jpeg_quality: int,
                 on_enhance: Callable[[], None], on_cancel: Callable[[], None],
                 on_choice: Callable[[], None]) -> None:
        super().__init__(master, width=PANEL_WIDTH, fg_color="transparent")
        self.grid_propagate(False)
        self.grid_columnconfigure(0, weight=1)
        self.grid_rowconfigure(2, weight=1)
        self.badge = ctk.CTkLabel(self, text="No picture yet", corner_radius=8, height=44,
                                  font=ctk.CTkFont(size=15, weight="bold"),
                                  wraplength=PANEL_WIDTH - 20, fg_color=("gray85", "gray25"),
                                  text_color=NEUTRAL)
        self.badge.grid(row=0, column=0, sticky="ew", pady=(0, 4))
        self.notice = ctk.CTkLabel(self, text="", wraplength=PANEL_WIDTH - 10, justify="left",
                                   text_color=("#8a5a00", "#f0b94a"))
        self.tabs = ctk.CTkTabview(self, width=PANEL_WIDTH)
        self.tabs.grid(row=2, column=0, sticky="nsew")
        background = self.tabs.cget("fg_color")  # (light, dark), for the scrolling areas
        self.verdict = VerdictPanel(self.tabs.add("Verdict"), background)
        self.verdict.pack(fill="both", expand=True)
        # Scrolls at the minimum window size, where its last lines would be cut off.
        self.enhance_area = ctk.CTkScrollableFrame(self.tabs.add("Enhance"),
                                                   fg_color=background)
        self.enhance_area.pack(fill="both", expand=True)
        scroll_by_keyboard(self.enhance_area)
        self.enhance = EnhancePanel(self.enhance_area, chosen, jpeg_quality,
                                    on_enhance, on_cancel, on_choice)
        self.enhance.pack(fill="both", expand=True)
        self.metadata = ctk.CTkTextbox(self.tabs.add("Metadata"), wrap="word",
                                       state="disabled")
        self.metadata.pack(fill="both", expand=True, padx=6, pady=6)

    def show_verdict(self, view: VerdictView | None, waiting: str = "") -> None:
        """The headline in the badge, the rest in the Verdict tab; or what it waits for."""
        self.verdict.show(view, waiting)
        self.badge.configure(text=view.headline if view else waiting,
                             text_color=tone_colour(view.tone) if view else NEUTRAL)

    def show_notice(self, text: str) -> None:
        self.notice.configure(text=text)
        if text:
            self.notice.grid(row=1, column=0, sticky="ew", pady=(0, 4))
        else:
            self.notice.grid_remove()

    def show_metadata(self, text: str) -> None:
        self.metadata.configure(state="normal")
        self.metadata.delete("1.0", "end")
        self.metadata.insert("end", text)
        self.metadata.configure(state="disabled")


class StatusBar(ctk.CTkFrame):
    """The status line; while a save runs, its progress (or a moving bar while its length is
    unknown) and Cancel."""

    def __init__(self, master: Any, on_cancel_save: Callable[[], None]) -> None:
        super().__init__(master, fg_color="transparent", height=30)
        self.line = ctk.CTkLabel(self, text="Open or drop a picture to begin.", anchor="w")
        self.line.pack(side="left", fill="x", expand=True)
        self.save_cancel = ctk.CTkButton(self, text="Cancel save", width=100,
                                         command=on_cancel_save)
        self.save_progress = ctk.CTkProgressBar(self, width=200)

    def say(self, text: str) -> None:
        self.line.configure(text=text)

    def save_state(self, running: bool, fraction: float | None, text: str,
                   can_cancel: bool) -> None:
        bar = self.save_progress
        bar.stop()
        if not running:
            bar.pack_forget()
            self.save_cancel.pack_forget()
            return
        self.save_cancel.pack(side="right", padx=4)
        bar.pack(side="right", padx=4)
        set_enabled(self.save_cancel, can_cancel)
        bar.configure(mode="indeterminate" if fraction is None else "determinate")
        if fraction is None:
            bar.start()
        else:
            bar.set(fraction)
        self.say(text)
