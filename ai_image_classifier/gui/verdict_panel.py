"""The Verdict tab: the headline, the probability bar with its scale and uncertain band, the
explanation, and the model's status line."""

from __future__ import annotations

import tkinter as tk
from typing import Any

import customtkinter as ctk

from ..classifier import Verdict
from .theme import NEUTRAL, VERDICT_COLOURS, dark, surface_colour
from .verdict_text import explanation


class VerdictPanel(ctk.CTkFrame):
    def __init__(self, master: Any) -> None:
        super().__init__(master, fg_color="transparent")
        self.verdict: Verdict | None = None
        self.headline = ctk.CTkLabel(self, text="Open or drop an image",
                                     font=ctk.CTkFont(size=20, weight="bold"),
                                     wraplength=330, justify="center")
        self.headline.pack(pady=(18, 8), fill="x")
        self.bar = tk.Canvas(self, height=48, highlightthickness=0)
        self.bar.pack(fill="x", padx=12, pady=4)
        self.bar.bind("<Configure>", lambda _: self.draw_bar())
        self.detail = ctk.CTkLabel(self, text="", wraplength=330, justify="left")
        self.detail.pack(fill="x", padx=12, pady=8)
        self.model_status = ctk.CTkLabel(self, text="", wraplength=330, justify="left",
                                         text_color=NEUTRAL)
        self.model_status.pack(fill="x", padx=12, pady=(16, 4), side="bottom")

    def say(self, text: str, colour: Any = NEUTRAL, detail: str | None = None) -> None:
        self.headline.configure(text=text, text_color=colour)
        if detail is not None:
            self.detail.configure(text=detail)

    def show(self, verdict: Verdict | None, general: bool) -> None:
        self.verdict = verdict
        if verdict is not None:
            self.say(verdict.text, VERDICT_COLOURS.get(verdict.label, NEUTRAL),
                     explanation(verdict, general))
        self.draw_bar()

    def draw_bar(self) -> None:
        """P(fake) as a bar: the threshold line, the uncertain band outlined over any fill,
        and 0 % and 100 % marks."""
        bar, verdict = self.bar, self.verdict
        bar.delete("all")
        bar.configure(bg=surface_colour(self))
        width, height = bar.winfo_width(), bar.winfo_height()
        if verdict is None or width < 10:
            return
        ink = "white" if dark() else "black"
        top, bottom = 6, height - 16
        bar.create_rectangle(0, top, width, bottom, fill="gray30" if dark() else "gray72",
                             width=0)
        colour = VERDICT_COLOURS.get(verdict.label, NEUTRAL)[dark()]
        bar.create_rectangle(0, top, width * verdict.probability, bottom, fill=colour, width=0,
                             tags="fill")
        if verdict.half_width > 0:
            low = max(0.0, verdict.threshold - verdict.half_width) * width
            high = min(1.0, verdict.threshold + verdict.half_width) * width
            bar.create_rectangle(low, top - 4, high, bottom + 4, outline=ink, dash=(3, 2),
                                 width=1, tags="band")
        x = width * verdict.threshold
        bar.create_line(x, 0, x, bottom + 4, fill=ink, width=2)
        for text, anchor, where in (("0 %", "sw", 1), ("100 %", "se", width - 1)):
            bar.create_text(where, height, text=text, anchor=anchor, fill="gray50",
                            font=("TkDefaultFont", 9), tags="scale")
