"""The Verdict tab, under the verdict's headline (the badge above the tabs): two parts kept
apart, "The file declares" and "The model sees" (the model's own score as a bar with its
scale and uncertain band), then what a "real" answer is worth; the model's status line at the
bottom. The parts scroll (wheel, or Up/Down once Tab reaches them) rather than squeeze: at the
window's minimum size a long verdict would otherwise print over itself. It shows a
`VerdictView` and decides nothing."""

from __future__ import annotations

import tkinter as tk
from typing import Any

import customtkinter as ctk

from .keys import scroll_by_keyboard
from .theme import NEUTRAL, dark, surface_colour, tone_colour
from .verdict_text import VerdictView

WRAP = 320
BAR_HEIGHT = 44  # the bar, and its scale's labels under it


class VerdictPanel(ctk.CTkFrame):
    def __init__(self, master: Any, background: Any) -> None:
        """`background`: the tab's (light, dark) colour; the scrolling area needs it given,
        as "transparent" inside it keeps the colour of the theme it was made in."""
        super().__init__(master, fg_color="transparent")
        self.view: VerdictView | None = None
        self.model_status = ctk.CTkLabel(self, text="Loading the model…", wraplength=WRAP,
                                         justify="left", anchor="w", text_color=NEUTRAL)
        self.model_status.pack(fill="x", padx=12, pady=(8, 4), side="bottom")
        self.body = body = ctk.CTkScrollableFrame(self, fg_color=background)
        body.pack(fill="both", expand=True)
        scroll_by_keyboard(body)
        self.message = ctk.CTkLabel(body, text="Open or drop an image.", wraplength=WRAP,
                                    justify="left", anchor="w", text_color=NEUTRAL)
        bold = ctk.CTkFont(weight="bold")
        self.declared_title = ctk.CTkLabel(body, text="The file declares", font=bold,
                                           anchor="w")
        self.declared = ctk.CTkLabel(body, text="", wraplength=WRAP, justify="left",
                                     anchor="w")
        self.model_title = ctk.CTkLabel(body, text="The model sees", font=bold, anchor="w")
        self.score = ctk.CTkLabel(body, text="", anchor="w", text_color=NEUTRAL)
        self.bar = tk.Canvas(body, height=BAR_HEIGHT, highlightthickness=0)
        self.bar.bind("<Configure>", lambda _: self.draw_bar())
        self.model = ctk.CTkLabel(body, text="", wraplength=WRAP, justify="left", anchor="w")
        self.caveat = ctk.CTkLabel(body, text="", wraplength=WRAP, justify="left", anchor="w",
                                   text_color=NEUTRAL)
        self._parts = (self.declared_title, self.declared, self.model_title, self.score,
                       self.bar, self.model, self.caveat)
        self.show(None, "Open or drop an image.")

    def show(self, view: VerdictView | None, waiting: str = "") -> None:
        """A verdict's two parts, or only `waiting` (nothing of a previous picture stays)."""
        self.view = view
        for part in (self.message, *self._parts):
            part.pack_forget()
        if view is None:
            self._put(self.message, waiting, pady=(8, 0))
            return
        if view.declared:
            self._put(self.declared_title, pady=(4, 0))
            self._put(self.declared, view.declared)
        self._put(self.model_title, pady=(8, 0))
        self._put(self.score, f"The model's score: {view.score:.1%}", pady=0)
        self._put(self.bar, pady=(0, 4))
        self._put(self.model, view.model)
        if view.caveat:
            self._put(self.caveat, view.caveat)
        self.draw_bar()

    @staticmethod
    def _put(widget: Any, text: str | None = None, pady: Any = (0, 6)) -> None:
        if text is not None:
            widget.configure(text=text)
        widget.pack(fill="x", padx=12, pady=pady)

    def draw_bar(self) -> None:
        """The model's score as a bar coloured by its own answer: the threshold line, the
        uncertain band outlined over any fill, and 0 % and 100 % marks."""
        bar, view = self.bar, self.view
        bar.delete("all")
        bar.configure(bg=surface_colour(self))
        width, height = bar.winfo_width(), bar.winfo_height()
        if view is None or width < 10:
            return
        ink = "white" if dark() else "black"
        top, bottom = 6, height - 20
        bar.create_rectangle(0, top, width, bottom, fill="gray30" if dark() else "gray72",
                             width=0)
        bar.create_rectangle(0, top, width * view.score, bottom, width=0, tags="fill",
                             fill=tone_colour(view.score_tone)[dark()])
        if view.half_width > 0:
            low = max(0.0, view.threshold - view.half_width) * width
            high = min(1.0, view.threshold + view.half_width) * width
            bar.create_rectangle(low, top - 4, high, bottom + 4, outline=ink, dash=(3, 2),
                                 width=1, tags="band")
        x = width * view.threshold
        bar.create_line(x, 0, x, bottom + 4, fill=ink, width=2)
        for text, anchor, where in (("0 %", "sw", 1), ("100 %", "se", width - 1)):
            bar.create_text(where, height - 1, text=text, anchor=anchor, fill="gray50",
                            font=("TkDefaultFont", 9), tags="scale")
