"""The picture area: the views (original, enhanced, compare, heat map, ELA), the compare
slider, the face outline, and zoom to 100 % with drag to pan, so that a 12 MP before/after can
be judged pixel for pixel. It draws a `ViewPlan`; "100 %" is greyed where it does not
apply."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from typing import Any

import customtkinter as ctk
import numpy as np
from PIL import Image, ImageTk

from .keys import FOCUS_COLOUR
from .state import OpenedImage
from .theme import NEUTRAL, dark, surface_colour
from .views import HEAT_LEGEND, PIXEL_VIEWS, VIEWS, ViewPlan

ZOOMS = ("Fit", "100 %")


class Viewer(ctk.CTkFrame):
    def __init__(self, master: Any, on_change: Callable[[], None]) -> None:
        """`on_change()` is called when the view, zoom or slider changes (the App redraws)."""
        super().__init__(master)
        self.grid_columnconfigure(0, weight=1)
        self.grid_rowconfigure(1, weight=1)
        top = ctk.CTkFrame(self, fg_color="transparent")
        top.grid(row=0, column=0, pady=(8, 4))
        self.view_switch = ctk.CTkSegmentedButton(top, values=list(VIEWS),
                                                  command=lambda _: on_change())
        self.view_switch.set("Original")
        self.view_switch.pack(side="left", padx=4)
        self.zoom_switch = ctk.CTkSegmentedButton(top, values=list(ZOOMS),
                                                  command=lambda _: on_change())
        self.zoom_switch.set("Fit")
        self.zoom_switch.pack(side="left", padx=(12, 4))
        self.canvas = tk.Canvas(self, highlightthickness=0, borderwidth=0)
        self.canvas.grid(row=1, column=0, sticky="nsew", padx=8, pady=4)
        self.canvas.bind("<Configure>", lambda _: on_change())
        self.canvas.bind("<ButtonPress-1>", self._grab)
        self.canvas.bind("<B1-Motion>", self._drag)
        self._keys_move_around()
        self.compare_slider = ctk.CTkSlider(self, from_=0, to=1, command=lambda _: on_change())
        self.compare_slider.set(0.5)
        self.legend: ctk.CTkFrame | None = None  # the heat map's colour scale, made once shown
        self.view_note = ctk.CTkLabel(self, text="", text_color=NEUTRAL, wraplength=480)
        self.view_note.grid(row=3, column=0, pady=(0, 6))
        self.centre = (0.5, 0.5)  # the 100 % view's centre, as fractions of the picture
        self._grabbed: tuple[int, int, tuple[float, float]] | None = None
        self._on_change = on_change
        self._photo: ImageTk.PhotoImage | None = None
        self._full_size: tuple[int, int] = (1, 1)
        self.paint_background()

    @property
    def view(self) -> str:
        return self.view_switch.get()

    @property
    def zoomed(self) -> bool:
        """Whether "100 %" is chosen (it applies to the pixel views only)."""
        return self.zoom_switch.get() == ZOOMS[1]

    @property
    def at_full_size(self) -> bool:
        return self.zoomed and self.view in PIXEL_VIEWS

    def choose_view(self, view: str) -> None:
        """Show `view` as a click on its switch would."""
        self.view_switch.set(view)
        self._on_change()

    def toggle_zoom(self) -> None:
        """Fit ↔ 100 %, where 100 % applies."""
        if self.zoom_switch.cget("state") != "disabled":
            self.zoom_switch.set(ZOOMS[0] if self.zoomed else ZOOMS[1])
            self._on_change()

    def paint_background(self) -> None:
        colour = surface_colour(self)  # the focus ring, when not focused, is the background
        self.canvas.configure(bg=colour, highlightbackground=colour,
                              highlightcolor=FOCUS_COLOUR[dark()])

    def _keys_move_around(self) -> None:
        """Tab reaches the picture (outlined); the arrows pan at 100 % and move the compare
        slider in Compare: what dragging does with a mouse."""
        self.canvas.configure(takefocus=1, highlightthickness=2)
        self.canvas.bind("<Button-1>", lambda _e: self.canvas.focus_set(), add="+")
        for key, (x, y) in {"<Left>": (-1, 0), "<Right>": (1, 0), "<Up>": (0, -1),
                            "<Down>": (0, 1)}.items():
            self.canvas.bind(key, lambda _e, x=x, y=y: self.nudge(x, y))

    def nudge(self, x: int, y: int) -> None:
        """An arrow key: pan a tenth of the view at 100 %, or move the compare slider."""
        if self.at_full_size:
            width, height = self._full_size
            step_x = self.canvas.winfo_width() / 10 / max(width, 1)
            step_y = self.canvas.winfo_height() / 10 / max(height, 1)
            self.pan_to(self.centre[0] + x * step_x, self.centre[1] + y * step_y)
        elif self.view == "Compare" and x:
            self.compare_slider.set(min(1.0, max(0.0, self.compare_slider.get() + x / 20)))
            self._on_change()

    def render(self, plan: ViewPlan, opened: OpenedImage | None) -> None:
        """Draw `plan`: its picture (with the face outline when asked) or its message, and
        its note; the zoom switch is greyed where 100 % does not apply."""
        self.canvas.delete("all")
        if plan.picture == "compare":
            self.compare_slider.grid(row=2, column=0, sticky="ew", padx=40, pady=4)
        else:
            self.compare_slider.grid_remove()
        if plan.picture == "heat":
            self._heat_legend().grid(row=2, column=0, pady=4)
        elif self.legend is not None:
            self.legend.grid_remove()
        zoom_state = "normal" if plan.zoomable else "disabled"
        if self.zoom_switch.cget("state") != zoom_state:  # redrawing it is not free
            self.zoom_switch.configure(state=zoom_state)
        self.view_note.configure(text=plan.note)
        picture = None
        if opened is not None and plan.picture in ("original", "enhanced", "compare"):
            picture = self.picture_for(opened)
        elif opened is not None and plan.picture == "heat" and opened.heat is not None:
            picture = opened.heat.preview
        elif opened is not None and plan.picture == "ela":
            picture = opened.ela_preview
        if picture is None:
            self.canvas.create_text(self.canvas.winfo_width() // 2,
                                    self.canvas.winfo_height() // 2, text=plan.message,
                                    fill="gray60", font=("TkDefaultFont", 14), tags="message")
            return
        verdict = opened.verdict if opened is not None else None
        self.draw_picture(picture, verdict.face if plan.outline_face and verdict else None)

    def _heat_legend(self) -> ctk.CTkFrame:
        """What the heat map's colours say: the scale from little to much effect."""
        if self.legend is None:
            from ..explain import legend_strip  # OpenCV: only once a heat map is shown

            strip = Image.fromarray(legend_strip(180, 14))
            self.legend = ctk.CTkFrame(self, fg_color="transparent")
            ctk.CTkLabel(self.legend, text=HEAT_LEGEND[0]).pack(side="left", padx=6)
            self._legend_image = ctk.CTkImage(strip, strip, size=strip.size)
            ctk.CTkLabel(self.legend, text="", image=self._legend_image).pack(side="left")
            ctk.CTkLabel(self.legend, text=HEAT_LEGEND[1]).pack(side="left", padx=6)
        return self.legend

    # ---------- pictures ----------
    def picture_for(self, opened: OpenedImage) -> Image.Image | None:
        """The picture a pixel view shows: fitted previews, or at 100 % the full-resolution
        pixels around `centre`, the canvas's size."""
        view, result = self.view, opened.enhanced
        if view != "Original" and result is None:
            return None
        if not self.at_full_size:
            if view == "Original":
                return opened.preview
            if view == "Enhanced":
                return result.preview
            return self._compare(opened.preview.resize(result.preview.size,
                                                       Image.Resampling.BICUBIC),
                                 result.preview)
        if view == "Original":
            return Image.fromarray(self._window(opened.rgb))
        enhanced = self._window(result.pixels)
        if view == "Enhanced":
            return Image.fromarray(enhanced)
        scale = result.pixels.shape[0] / opened.rgb.shape[0]
        before = self._window(opened.rgb, scale)
        return self._compare(Image.fromarray(before).resize(
            (enhanced.shape[1], enhanced.shape[0]), Image.Resampling.NEAREST),
            Image.fromarray(enhanced))

    def _window(self, pixels: np.ndarray, scale: float = 1.0) -> np.ndarray:
        """The canvas-sized part of `pixels` around `centre` (for the original in compare,
        the part that covers the same place in a picture `scale` times larger)."""
        height, width = pixels.shape[:2]
        self._full_size = (round(width * scale), round(height * scale))
        view_w = min(width, max(1, round(self.canvas.winfo_width() / scale)))
        view_h = min(height, max(1, round(self.canvas.winfo_height() / scale)))
        left = min(max(0, round(self.centre[0] * width - view_w / 2)), width - view_w)
        top = min(max(0, round(self.centre[1] * height - view_h / 2)), height - view_h)
        return pixels[top:top + view_h, left:left + view_w]

    def _compare(self, before: Image.Image, after: Image.Image) -> Image.Image:
        split = int(after.width * self.compare_slider.get())
        combined = after.copy()
        combined.paste(before.crop((0, 0, split, after.height)), (0, 0))
        combined.paste(Image.new("RGB", (2, after.height), (255, 255, 255)),
                       (max(0, split - 1), 0))
        return combined

    def draw_picture(self, picture: Image.Image,
                     face: tuple[float, float, float, float] | None = None) -> None:
        """Fit the picture to the canvas (a 100 % window is drawn as it is), with the face
        outline when given."""
        fitted = picture if self.at_full_size else self._fit(picture)
        self._photo = ImageTk.PhotoImage(fitted)
        centre_x, centre_y = self.canvas.winfo_width() // 2, self.canvas.winfo_height() // 2
        self.canvas.create_image(centre_x, centre_y, image=self._photo)
        if face and not self.at_full_size:
            left, top = centre_x - fitted.width / 2, centre_y - fitted.height / 2
            x0, y0, x1, y1 = face
            self.canvas.create_rectangle(left + x0 * fitted.width, top + y0 * fitted.height,
                                         left + x1 * fitted.width, top + y1 * fitted.height,
                                         outline="#ffd400", width=3, tags="face")

    def _fit(self, picture: Image.Image) -> Image.Image:
        width, height = max(self.canvas.winfo_width(), 1), max(self.canvas.winfo_height(), 1)
        ratio = min(width / picture.width, height / picture.height)
        size = (max(1, int(picture.width * ratio)), max(1, int(picture.height * ratio)))
        return picture.resize(size, Image.Resampling.BILINEAR)

    # ---------- panning ----------
    def _grab(self, event: Any) -> None:
        self._grabbed = (event.x, event.y, self.centre)

    def _drag(self, event: Any) -> None:
        if self._grabbed is None or not self.at_full_size:
            return
        x, y, (cx, cy) = self._grabbed
        width, height = self._full_size
        self.pan_to(cx - (event.x - x) / width, cy - (event.y - y) / height)

    def pan_to(self, x: float, y: float) -> None:
        """Centre the 100 % view on (x, y), fractions of the picture."""
        self.centre = (min(1.0, max(0.0, x)), min(1.0, max(0.0, y)))
        self._on_change()
