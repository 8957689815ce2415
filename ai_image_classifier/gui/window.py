"""The main window: open an image, read the verdict, look at the evidence, enhance, save.

The window only arranges widgets and calls the runtime (`classifier`, `enhance`, `forensics`,
`explain`, `saving`); all decoding and model work runs in `BackgroundTasks` lanes.
"""

from __future__ import annotations

import logging
import os
import tkinter as tk
from collections.abc import Callable
from pathlib import Path
from typing import Any

import customtkinter as ctk
import numpy as np
from PIL import Image, ImageTk

from .. import __version__
from ..classifier import MODEL_NAME, Classifier, Verdict, bundled_model_names
from ..imaging import ImageDecodeError, open_rgb
from ..resources import resource_path
from . import model_text
from .dialogs import Dialogs
from .enhance_panel import EnhancePanel
from .scan import ScanWindow
from .session import OpenedImage, Session
from .settings import Settings
from .tasks import BackgroundTasks, CancelToken
from .verdict_text import explanation

log = logging.getLogger(__name__)

TITLE = "AI Image Classifier & Enhancer"
MIN_SIZE = (960, 640)
PREVIEW_MAX = 1600  # longest side kept for on-screen previews
PANEL_WIDTH = 400
VIEWS = ("Original", "Enhanced", "Compare", "Heatmap", "ELA")
VERDICT_COLOURS = {"real": ("#1b7f3b", "#4cc36f"), "fake": ("#b3261e", "#ff6b5e")}
NEUTRAL = ("gray40", "gray70")

try:  # drag and drop needs the tkdnd library that tkinterdnd2 ships for each platform
    from tkinterdnd2 import DND_FILES, TkinterDnD

    DnDWrapper: type = TkinterDnD.DnDWrapper
except ImportError:  # pragma: no cover - tkinterdnd2 is in requirements.txt
    TkinterDnD = None
    DnDWrapper = object


def make_preview(image: Image.Image | np.ndarray) -> Image.Image:
    pil = Image.fromarray(image) if isinstance(image, np.ndarray) else image.copy()
    pil.thumbnail((PREVIEW_MAX, PREVIEW_MAX), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return pil


def human_size(size: int | None) -> str:
    if size is None:
        return "?"
    if size < 1024:
        return f"{size} bytes"
    value = size / 1024
    for unit in ("KB", "MB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


class App(ctk.CTk, DnDWrapper):
    def __init__(self, dialogs: Dialogs | None = None, model_path: str | None = None) -> None:
        super().__init__()
        self.settings = Settings.load()
        ctk.set_appearance_mode(self.settings.theme)
        self.title(TITLE)
        self.minsize(*MIN_SIZE)
        self.geometry(self.settings.geometry)
        self.dialogs = dialogs or Dialogs(self)
        self.tasks = BackgroundTasks(self)
        self.session = Session()
        self.scan_window: ScanWindow | None = None
        self._photo: ImageTk.PhotoImage | None = None
        self.drop_enabled = False
        self._set_icon()
        self._build()
        self._enable_drop()
        self._bind_keys()
        self.protocol("WM_DELETE_WINDOW", self.close)
        self.load_model(model_path)

    # The session holds the state; these read it for the widgets, tests and benchmarks.
    current = property(lambda self: self.session.current)
    classifier = property(lambda self: self.session.classifier)
    model_error = property(lambda self: self.session.model_error)
    enhance_token = property(lambda self: self.session.enhance_token)

    # ---------- layout ----------
    def _build(self) -> None:
        self.grid_columnconfigure(0, weight=1)
        self.grid_rowconfigure(1, weight=1)

        bar = ctk.CTkFrame(self, corner_radius=0)
        bar.grid(row=0, column=0, columnspan=2, sticky="ew")
        ctk.CTkButton(bar, text="Open image…", width=120, command=self.ask_open).pack(
            side="left", padx=(10, 4), pady=8)
        self._recent: dict[str, str] = {}
        self.recent_menu = ctk.CTkOptionMenu(bar, width=150, values=["No recent files"],
                                             command=self._open_recent)
        self.recent_menu.pack(side="left", padx=4)
        ctk.CTkButton(bar, text="Scan folder…", width=120, command=self.ask_scan_folder).pack(
            side="left", padx=4)
        self.save_button = ctk.CTkButton(bar, text="Save…", width=90, command=self.ask_save,
                                         state="disabled")
        self.save_button.pack(side="left", padx=4)
        ctk.CTkButton(bar, text="About…", width=80, command=self.show_about).pack(
            side="right", padx=(4, 10))
        ctk.CTkButton(bar, text="Model…", width=90, command=self.show_model).pack(
            side="right", padx=4)
        self.theme_menu = ctk.CTkOptionMenu(bar, width=110, values=["System", "Light", "Dark"],
                                            command=self.set_theme)
        self.theme_menu.set(self.settings.theme)
        self.theme_menu.pack(side="right", padx=4)
        ctk.CTkLabel(bar, text="Theme").pack(side="right", padx=(10, 2))
        self._refresh_recent()

        viewer = ctk.CTkFrame(self)
        viewer.grid(row=1, column=0, sticky="nsew", padx=(10, 5), pady=10)
        viewer.grid_columnconfigure(0, weight=1)
        viewer.grid_rowconfigure(1, weight=1)
        self.view_switch = ctk.CTkSegmentedButton(viewer, values=list(VIEWS),
                                                  command=lambda _: self.show_view())
        self.view_switch.set("Original")
        self.view_switch.grid(row=0, column=0, pady=(8, 4))
        self.canvas = tk.Canvas(viewer, highlightthickness=0, borderwidth=0)
        self.canvas.grid(row=1, column=0, sticky="nsew", padx=8, pady=4)
        self.canvas.bind("<Configure>", lambda _: self.show_view())
        self.compare_slider = ctk.CTkSlider(viewer, from_=0, to=1,
                                            command=lambda _: self.show_view())
        self.compare_slider.set(0.5)
        self.view_note = ctk.CTkLabel(viewer, text="", text_color=NEUTRAL, wraplength=480)
        self.view_note.grid(row=3, column=0, pady=(0, 6))
        self._paint_canvas_background()

        # The right panel keeps one width whichever tab shows, and the verdict badge stays
        # above the tabs, so the answer is visible while enhancing or reading metadata.
        right = ctk.CTkFrame(self, width=PANEL_WIDTH, fg_color="transparent")
        right.grid(row=1, column=1, sticky="ns", padx=(5, 10), pady=(10, 10))
        right.grid_propagate(False)
        right.grid_columnconfigure(0, weight=1)
        right.grid_rowconfigure(1, weight=1)
        self.badge = ctk.CTkLabel(right, text="No picture yet", corner_radius=8, height=36,
                                  font=ctk.CTkFont(size=14, weight="bold"),
                                  fg_color=("gray85", "gray25"), text_color=NEUTRAL)
        self.badge.grid(row=0, column=0, sticky="ew", pady=(0, 4))
        side = ctk.CTkTabview(right, width=PANEL_WIDTH)
        side.grid(row=1, column=0, sticky="nsew")
        self._build_verdict_tab(side.add("Verdict"))
        self._build_enhance_tab(side.add("Enhance"))
        self._build_metadata_tab(side.add("Metadata"))

        self.status = ctk.CTkLabel(self, text="", anchor="w")
        self.status.grid(row=2, column=0, columnspan=2, sticky="ew", padx=12, pady=(0, 6))

    def _build_verdict_tab(self, tab: ctk.CTkFrame) -> None:
        self.verdict_label = ctk.CTkLabel(tab, text="Open or drop an image",
                                          font=ctk.CTkFont(size=20, weight="bold"),
                                          wraplength=330, justify="center")
        self.verdict_label.pack(pady=(18, 8), fill="x")
        self.probability_bar = tk.Canvas(tab, height=48, highlightthickness=0)
        self.probability_bar.pack(fill="x", padx=12, pady=4)
        self.probability_bar.bind("<Configure>", lambda _: self._draw_probability())
        self.verdict_detail = ctk.CTkLabel(tab, text="", wraplength=330, justify="left")
        self.verdict_detail.pack(fill="x", padx=12, pady=8)
        self.model_status = ctk.CTkLabel(tab, text="", wraplength=330, justify="left",
                                         text_color=NEUTRAL)
        self.model_status.pack(fill="x", padx=12, pady=(16, 4), side="bottom")

    def _build_enhance_tab(self, tab: ctk.CTkFrame) -> None:
        self.enhance_panel = EnhancePanel(tab, self.settings.jpeg_quality, self.start_enhance,
                                          self.cancel_enhance)
        self.enhance_panel.pack(fill="both", expand=True)
        self.enhance_button = self.enhance_panel.enhance_button
        self.cancel_button = self.enhance_panel.cancel_button
        self.enhance_progress = self.enhance_panel.progress
        self.enhance_status = self.enhance_panel.status

    def _build_metadata_tab(self, tab: ctk.CTkFrame) -> None:
        self.metadata_box = ctk.CTkTextbox(tab, wrap="word")
        self.metadata_box.pack(fill="both", expand=True, padx=6, pady=6)
        self.metadata_box.configure(state="disabled")

    def _set_icon(self) -> None:
        icon = resource_path("assets", "icon.png")
        if icon.is_file():
            self._icon = ImageTk.PhotoImage(Image.open(icon))
            self.iconphoto(True, self._icon)

    def _enable_drop(self) -> None:
        if TkinterDnD is None:
            return
        try:
            self.TkdndVersion = TkinterDnD._require(self)
        except (RuntimeError, tk.TclError):
            return  # no tkdnd for this platform: the Open button still works
        self.drop_target_register(DND_FILES)
        self.dnd_bind("<<Drop>>", self._on_drop)
        self.drop_enabled = True

    def _bind_keys(self) -> None:
        for modifier in ("Control", "Command") if self.tk.call("tk", "windowingsystem") == "aqua" \
                else ("Control",):
            self.bind_all(f"<{modifier}-o>", lambda _: self.ask_open())
            self.bind_all(f"<{modifier}-s>", lambda _: self.ask_save())
        self.bind_all("<Escape>", lambda _: self.cancel_enhance())

    def report_callback_exception(self, exc, value, traceback) -> None:
        """An unexpected error in a handler becomes a message, not a dead window."""
        log.error("unexpected error in the window", exc_info=(exc, value, traceback))
        self.set_status(f"Unexpected error: {value}")
        self.dialogs.error("Unexpected error", f"{exc.__name__}: {value}")

    def set_status(self, text: str) -> None:
        self.status.configure(text=text)

    # ---------- model ----------
    def load_model(self, path: str | None = None) -> None:
        self.model_status.configure(text="Loading model…")

        def done(classifier: Classifier) -> None:
            target = self.session.model_loaded(classifier)
            self._describe_model()
            self._preload_upscaler()
            if target is not None:
                self.classify(target)

        def failed(error: BaseException) -> None:
            if self.session.model_failed(error):  # keep the model that works, say why
                self.model_status.configure(text=f"Kept the previous model: the new one "
                                                 f"failed to load ({error}).")
                self.dialogs.error("Cannot load model", f"{error}\n\nThe previous model is "
                                                        "still in use.")
                return
            self.model_status.configure(text=f"No model: {error}. Enhancement still works.")
            if self.current is not None:
                self._say_verdict("No verdict (no model)")
            if path is not None:
                self.dialogs.error("Cannot load model", str(error))

        self.tasks.submit("model", lambda: Classifier.load(path), done, failed)

    def _preload_upscaler(self) -> None:
        """Load the upscaler in the enhancement lane once the window is up and the classifier
        loaded: its first tensor allocation holds the GIL for a moment, better spent then than
        during an Enhance. Loading again is free; a missing model is reported when an
        enhancement needs it."""
        def load() -> None:
            from ..enhance import learned_upscaler

            learned_upscaler()

        self.tasks.submit("work", load, lambda _: None, lambda _: None)

    def _describe_model(self) -> None:
        assert self.classifier is not None
        card = self.classifier.card or {}
        text = (f"Model: {card.get('architecture', 'unknown')}, {self.classifier.input_size} px"
                f" input, threshold {self.classifier.threshold:.2f}")
        test = card.get("metrics", {}).get("test", {}).get("overall")
        if test:
            text += f". Test accuracy {test['accuracy']:.0%} on {test['n']} unseen images"
        self.model_status.configure(text=text)

    def show_model(self) -> None:
        window = ctk.CTkToplevel(self)
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
            show(self.model_card_text(details=showing_details[0]))
            fold.configure(text="Hide details" if showing_details[0] else "Details…")

        show(self.model_card_text())
        row = ctk.CTkFrame(window, fg_color="transparent")
        row.pack(pady=(0, 10))
        fold = ctk.CTkButton(row, text="Details…", width=100, command=toggle)
        fold.pack(side="left", padx=4)
        ctk.CTkLabel(row, text="Bundled model").pack(side="left", padx=4)
        choice = ctk.CTkOptionMenu(row, values=bundled_model_names(),
                                   command=lambda name: self._switch_model(name, window))
        choice.set(self.classifier.source.name.split(".")[0]
                   if self.classifier and self.classifier.source
                   else MODEL_NAME)
        choice.pack(side="left", padx=4)
        ctk.CTkButton(row, text="Open model file…",
                      command=lambda: self.ask_model(window)).pack(side="left", padx=4)
        window.after(50, window.lift)

    def model_card_text(self, details: bool = False) -> str:
        """Plain words by default; the card's technical facts with `details`."""
        if self.classifier is None:
            return f"No model loaded. {self.model_error or 'Loading…'}"
        card = self.classifier.card or {}
        if not details:
            return model_text.summary(card)
        return model_text.details(card, self.classifier.threshold, self.classifier.half_width,
                                  self.classifier.input_size, __version__)

    def show_about(self) -> None:
        """Version, the promise that nothing leaves the machine, and the log folder."""
        from ..logs import log_dir

        window = ctk.CTkToplevel(self)
        window.title("About")
        window.geometry("520x260")
        folder = log_dir()
        ctk.CTkLabel(window, justify="left", wraplength=480, text=(
            f"{TITLE} {__version__}\n\nEverything runs on this computer: no picture, "
            "verdict or setting is sent anywhere.\n\nWhen something goes wrong, the details "
            f"are written to a log file in:\n{folder}")).pack(padx=16, pady=16, anchor="w")
        ctk.CTkButton(window, text="Open log folder",
                      command=lambda: self.open_folder(folder)).pack(pady=(0, 12))
        window.after(50, window.lift)

    def open_folder(self, folder: Path) -> None:
        """Show a folder in the system's file manager."""
        import subprocess
        import sys

        folder.mkdir(parents=True, exist_ok=True)
        try:
            if sys.platform == "win32":
                os.startfile(folder)  # type: ignore[attr-defined]
            else:
                opener = "open" if sys.platform == "darwin" else "xdg-open"
                subprocess.Popen([opener, str(folder)], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        except OSError as error:
            self.dialogs.error("Cannot open the folder", f"{folder}: {error}")

    def _switch_model(self, name: str, parent: Any) -> None:
        self.load_model(name)
        parent.destroy()

    def ask_model(self, parent: Any = None) -> None:
        path = self.dialogs.open_model(self.settings.start_folder)
        if path:
            self.load_model(path)
            if parent is not None:
                parent.destroy()

    # ---------- opening ----------
    def ask_open(self) -> None:
        path = self.dialogs.open_image(self.settings.start_folder)
        if path:
            self.open_path(Path(path))

    def _open_recent(self, choice: str) -> None:
        path = self._recent.get(choice)
        self.recent_menu.set("Recent")
        if path:
            self.open_path(Path(path))

    def _refresh_recent(self) -> None:
        """Recent files by name (files that are gone are left out); the menu's title is not
        one of its items."""
        self._recent = self.settings.recent_entries()
        self.recent_menu.configure(values=list(self._recent) or ["No recent files"],
                                   state="normal" if self._recent else "disabled")
        self.recent_menu.set("Recent")

    def _on_drop(self, event: Any) -> None:
        paths = [Path(p) for p in self.tk.splitlist(event.data)]
        if len(paths) == 1 and paths[0].is_dir():
            self.scan_folder(paths[0])
        elif paths:
            self.open_path(paths[0])

    def open_path(self, path: Path) -> None:
        """Decode in its own lane, so that opening never waits behind an enhancement; a
        running enhancement of the previous picture is cancelled, its result no longer
        wanted."""
        self.cancel_enhance()
        self.set_status(f"Opening {path.name}…")

        def work() -> OpenedImage:
            from ..forensics import inspect_file

            rgb = np.asarray(open_rgb(path))
            return OpenedImage(path, rgb, make_preview(rgb), inspect_file(path))

        def failed(error: BaseException) -> None:
            message = str(error) if isinstance(error, (ImageDecodeError, OSError)) else repr(error)
            self.set_status(f"Could not open {path.name}")
            self.dialogs.error("Cannot open image", message)

        self.tasks.submit("open", work, self._show_opened, failed)

    def _show_opened(self, opened: OpenedImage) -> None:
        self.cancel_enhance()
        self.session.show(opened)
        self.settings.remember(opened.path)
        self.settings.save()
        self._refresh_recent()
        report = opened.report
        height, width = opened.rgb.shape[:2]  # upright: EXIF rotation already applied
        self.set_status(f"{opened.path.name} — {width}×{height}, {report.format}, "
                        f"{human_size(report.file_size)}")
        self.title(f"{opened.path.name} — {TITLE}")
        self.enhance_button.configure(state="normal")
        self.save_button.configure(state="disabled")
        self.enhance_progress.set(0)
        self.enhance_status.configure(text="")
        self.view_switch.set("Original")
        self._fill_metadata(report)
        self.show_view()
        self.classify(opened)

    def _fill_metadata(self, report: Any) -> None:
        lines = [f"Format: {report.format}, {report.width}×{report.height}, mode {report.mode}",
                 f"File size: {human_size(report.file_size)}", ""]
        lines += [f"{key}: {value}" for key, value in report.exif.items()] or ["No EXIF data"]
        lines.append("")
        lines.append("C2PA content credentials: " + (
            report.content_credentials or ("present but unreadable" if report.c2pa_manifest
                                           else "none")))
        lines.append("AI-generator traces: " + (", ".join(report.generator_traces) or "none"))
        lines.append("Editing-software traces: " + (", ".join(report.editor_traces) or "none"))
        for key, value in report.text_chunks.items():
            lines.append(f"\nText chunk '{key}':\n{value[:2000]}")
        lines.append("\nMetadata can be removed or forged: its absence proves nothing.")
        self.metadata_box.configure(state="normal")
        self.metadata_box.delete("1.0", "end")
        self.metadata_box.insert("end", "\n".join(lines))
        self.metadata_box.configure(state="disabled")

    # ---------- verdict ----------
    def classify(self, opened: OpenedImage) -> None:
        step = self.session.verdict_step(opened)
        if step != "classify":
            self._say_verdict("No verdict (no model)" if step == "no-model"
                              else "Waiting for the model…")
            return
        classifier = self.classifier
        self._say_verdict("Analysing…")
        self.verdict_detail.configure(text="")

        def done(verdict: Verdict) -> None:
            opened.verdict = verdict
            if opened is self.current:
                self._show_verdict()

        def failed(error: BaseException) -> None:
            if opened is self.current:
                self._say_verdict("No verdict")
                self.verdict_detail.configure(text=str(error))

        self.tasks.submit("model", lambda: classifier.classify_file(opened.path), done, failed)

    def _say_verdict(self, text: str, colour: Any = NEUTRAL) -> None:
        """The verdict tab's headline and the badge above the tabs, always alike."""
        self.verdict_label.configure(text=text, text_color=colour)
        self.badge.configure(text=text, text_color=colour)

    def _show_verdict(self) -> None:
        verdict = self.current.verdict if self.current else None
        if verdict is None:
            return
        self._say_verdict(verdict.text, VERDICT_COLOURS.get(verdict.label, NEUTRAL))
        general = self.classifier is not None and self.classifier.general is not None
        self.verdict_detail.configure(text=explanation(verdict, general))
        if self.view_switch.get() == "Original":
            self.show_view()
        self._draw_probability()

    def _draw_probability(self) -> None:
        bar = self.probability_bar
        bar.delete("all")
        bar.configure(bg=self._surface(bar.master))
        verdict = self.current.verdict if self.current else None
        width, height = bar.winfo_width(), bar.winfo_height()
        if verdict is None or width < 10:
            return
        dark = ctk.get_appearance_mode() == "Dark"
        ink = "white" if dark else "black"
        top, bottom = 6, height - 16  # the bar; the scale's 0 % and 100 % marks below it
        bar.create_rectangle(0, top, width, bottom, fill="gray30" if dark else "gray72",
                             width=0)
        colour = VERDICT_COLOURS.get(verdict.label, NEUTRAL)[dark]
        bar.create_rectangle(0, top, width * verdict.probability, bottom, fill=colour, width=0,
                             tags="fill")
        if verdict.half_width > 0:  # the uncertain band, outlined over any fill
            low = max(0.0, verdict.threshold - verdict.half_width) * width
            high = min(1.0, verdict.threshold + verdict.half_width) * width
            bar.create_rectangle(low, top - 4, high, bottom + 4, outline=ink, dash=(3, 2),
                                 width=1, tags="band")
        x = width * verdict.threshold
        bar.create_line(x, 0, x, bottom + 4, fill=ink, width=2)
        for text, anchor, where in (("0 %", "sw", 1), ("100 %", "se", width - 1)):
            bar.create_text(where, height, text=text, anchor=anchor, fill="gray50",
                            font=("TkDefaultFont", 9), tags="scale")

    # ---------- views ----------
    @staticmethod
    def _surface(frame: ctk.CTkFrame) -> str:
        """The colour a CustomTkinter frame shows in the current theme, for plain Tk canvases."""
        colour = frame.cget("fg_color")
        if isinstance(colour, (list, tuple)):  # (light, dark), as CustomTkinter themes give it
            colour = colour[ctk.get_appearance_mode() == "Dark"]
        return str(colour)

    def _paint_canvas_background(self) -> None:
        self.canvas.configure(bg=self._surface(self.canvas.master))

    def show_view(self) -> None:
        """Draw the current view into the canvas, computing heat map or ELA on first use."""
        view = self.view_switch.get()
        self.canvas.delete("all")
        if view == "Compare":
            self.compare_slider.grid(row=2, column=0, sticky="ew", padx=40, pady=4)
        else:
            self.compare_slider.grid_remove()
        opened = self.current
        if opened is None:
            self._draw_text("Open an image (Ctrl+O)"
                            + (" or drop it here" if self.drop_enabled else ""))
            return
        note = ""
        picture: Image.Image | None = opened.preview
        if view in ("Enhanced", "Compare") and opened.enhanced_preview is None:
            picture, note = None, "Enhance the image to see this view (Enhance tab)."
        elif view == "Enhanced":
            picture = opened.enhanced_preview
        elif view == "Compare":
            picture = self._compare_picture(opened)
            note = "Drag the slider: original on the left, enhanced on the right."
        elif view == "Heatmap":
            picture = opened.heat_preview
            note = ("Where the model looked (red = hiding it changes the verdict most). "
                    "This is not a map of what is fake.")
            if picture is None:
                self._compute_heatmap(opened)
        elif view == "ELA":
            picture = opened.ela_preview
            note = ("Error level analysis: regions that re-compress differently stand out. "
                    "Edges and textures are bright in real photos too.")
            if picture is None:
                self._compute_ela(opened)
        self.view_note.configure(text=note)
        if picture is None and view == "Heatmap" and self.classifier is None:
            self._draw_text("The heat map needs the model, which is not loaded.")
        elif picture is None:
            self._draw_text("Working…" if view in ("Heatmap", "ELA") else note)
        else:
            self._draw_picture(picture)

    def _draw_text(self, text: str) -> None:
        self.canvas.create_text(self.canvas.winfo_width() // 2, self.canvas.winfo_height() // 2,
                                text=text, fill="gray60", font=("TkDefaultFont", 14))

    def _fit(self, picture: Image.Image) -> Image.Image:
        width, height = max(self.canvas.winfo_width(), 1), max(self.canvas.winfo_height(), 1)
        ratio = min(width / picture.width, height / picture.height)
        size = (max(1, int(picture.width * ratio)), max(1, int(picture.height * ratio)))
        return picture.resize(size, Image.Resampling.BILINEAR)

    def _draw_picture(self, picture: Image.Image) -> None:
        fitted = self._fit(picture)
        self._photo = ImageTk.PhotoImage(fitted)
        centre_x, centre_y = self.canvas.winfo_width() // 2, self.canvas.winfo_height() // 2
        self.canvas.create_image(centre_x, centre_y, image=self._photo)
        verdict = self.current.verdict if self.current else None
        if verdict and verdict.face and self.view_switch.get() == "Original":
            left, top = centre_x - fitted.width / 2, centre_y - fitted.height / 2
            x0, y0, x1, y1 = verdict.face
            self.canvas.create_rectangle(left + x0 * fitted.width, top + y0 * fitted.height,
                                         left + x1 * fitted.width, top + y1 * fitted.height,
                                         outline="#ffd400", width=3, tags="face")

    def _compare_picture(self, opened: OpenedImage) -> Image.Image:
        after = opened.enhanced_preview
        before = opened.preview.resize(after.size, Image.Resampling.BICUBIC)
        split = int(after.width * self.compare_slider.get())
        combined = after.copy()
        combined.paste(before.crop((0, 0, split, after.height)), (0, 0))
        line = Image.new("RGB", (2, after.height), (255, 255, 255))
        combined.paste(line, (max(0, split - 1), 0))
        return combined

    def _compute_heatmap(self, opened: OpenedImage) -> None:
        if self.classifier is None:
            return
        classifier = self.classifier

        def work() -> Image.Image:
            from ..explain import occlusion_map, overlay_heatmap

            heat, region = occlusion_map(classifier, opened.rgb)
            return Image.fromarray(overlay_heatmap(np.asarray(opened.preview), heat,
                                                   region=region))

        self._compute_view(opened, "heat", "model", work)

    def _compute_ela(self, opened: OpenedImage) -> None:
        """On the full-resolution pixels: the JPEG 8×8 grid that error-level analysis relies
        on does not survive the preview's downscaling. Only the result is shrunk for show."""
        def work() -> Image.Image:
            from ..forensics import error_level_analysis

            return make_preview(error_level_analysis(opened.rgb))

        self._compute_view(opened, "ela", "work", work)

    def _compute_view(self, opened: OpenedImage, kind: str, lane: str,
                      work: Callable[[], Image.Image]) -> None:
        """Run `work` once per picture and view kind; show its result if still on screen."""
        if not self.session.begin_view(opened, kind,
                                       getattr(opened, f"{kind}_preview") is not None):
            return

        def done(image: Image.Image) -> None:
            self.session.end_view(opened, kind)
            setattr(opened, f"{kind}_preview", image)
            if opened is self.current:
                self.show_view()

        def failed(error: BaseException) -> None:
            self.session.end_view(opened, kind)
            if opened is self.current:
                self.view_note.configure(text=f"Could not compute this view: {error}")

        self.tasks.submit(lane, work, done, failed)

    # ---------- enhancement ----------
    def start_enhance(self) -> None:
        opened = self.current
        token = self.session.start_enhance()
        if opened is None or token is None:
            return
        settings = self.enhance_panel.settings()
        self.enhance_button.configure(state="disabled")
        self.cancel_button.configure(state="normal")
        self.enhance_progress.set(0)
        self.enhance_status.configure(text="Enhancing…")
        self.set_status(f"Enhancing {opened.path.name}…")  # no stale "Saved …" from before

        def progress(fraction: float) -> None:
            self.tasks.call_soon(self._enhance_progress, token, fraction)

        def work() -> tuple[np.ndarray, Image.Image]:
            from ..enhance import enhance

            result = enhance(opened.rgb, settings, progress, lambda: token.cancelled)
            return result, make_preview(result)

        def done(result: tuple[np.ndarray, Image.Image]) -> None:
            self._enhance_finished(token)
            opened.enhanced, opened.enhanced_preview = result
            if opened is self.current:
                height, width = result[0].shape[:2]
                self.enhance_status.configure(text=f"Done: {width}×{height}. Save with Ctrl+S.")
                self.save_button.configure(state="normal")
                self.view_switch.set("Compare")
                self.show_view()

        def failed(error: BaseException) -> None:
            from ..enhance import Cancelled

            self._enhance_finished(token)
            cancelled = isinstance(error, Cancelled)
            if opened is self.current:
                self.enhance_status.configure(
                    text="Cancelled." if cancelled else f"Enhancement failed: {error}")
                self.enhance_progress.set(0)

        self.tasks.submit("work", work, done, failed)

    def _enhance_progress(self, token: CancelToken, fraction: float) -> None:
        if token is self.enhance_token and not token.cancelled:
            self.enhance_progress.set(fraction)

    def _enhance_finished(self, token: CancelToken) -> None:
        if self.session.enhance_finished(token):
            self.cancel_button.configure(state="disabled")
            self.enhance_button.configure(state="normal" if self.current else "disabled")

    def cancel_enhance(self) -> None:
        if self.session.cancel_enhance():
            self.enhance_status.configure(text="Cancelling…")

    # ---------- saving ----------
    def ask_save(self) -> None:
        opened = self.current
        if opened is None or opened.enhanced is None:
            self.set_status("Nothing to save yet: enhance the image first.")
            return
        folder = self.settings.last_save_folder or str(opened.path.parent)
        name = f"{opened.path.stem}_enhanced.png"
        while True:  # "No" to a question returns to the dialog, as in other programs
            chosen = self.dialogs.save_as(folder, name)
            if not chosen:
                return
            target = Path(chosen)
            folder, name = str(target.parent), target.name
            if target.exists() and target.resolve() == opened.path.resolve():
                self.dialogs.error("Cannot save", "Saving over the original is not allowed "
                                                  "here; choose another name.")
                continue
            if target.exists() and not self.dialogs.confirm(
                    "Replace file?", f"{target.name} already exists. Replace it?"):
                continue
            break
        self.settings.last_save_folder = folder
        self.save_to(opened, target, overwrite=target.exists())

    def save_to(self, opened: OpenedImage, target: Path, overwrite: bool) -> None:
        quality = self.enhance_panel.jpeg_quality
        self.settings.jpeg_quality = quality
        self.set_status(f"Saving {target.name}…")

        def work() -> Path:
            from ..saving import read_metadata, save_image

            try:
                metadata = read_metadata(opened.path)
            except (ImageDecodeError, OSError):
                metadata = None
            return save_image(opened.enhanced, target, overwrite=overwrite, quality=quality,
                              metadata=metadata)

        def failed(error: BaseException) -> None:
            self.set_status(f"Not saved: {error}")
            self.dialogs.error("Cannot save", f"{error}\n\nThe enhanced image is still here; "
                                              "try another folder or name.")

        self.tasks.submit("work", work, lambda path: self.set_status(f"Saved {path}"), failed)

    # ---------- folder scan, theme, closing ----------
    def ask_scan_folder(self) -> None:
        folder = self.dialogs.open_folder(self.settings.start_folder)
        if not folder:
            return
        if not Path(folder).is_dir():  # a file name typed into the dialog is not a folder
            self.dialogs.error("Not a folder", f"{folder} is not a folder; choose a folder "
                                               "to scan.")
            return
        self.scan_folder(Path(folder))

    def scan_folder(self, folder: Path) -> None:
        if self.scan_window is not None:
            self.scan_window.cancel()
        model_path = self.classifier.source if self.classifier else None
        self.scan_window = ScanWindow(self, folder, self.tasks, self.dialogs, model_path,
                                      self.enhance_panel, on_open=self.open_path)

    def set_theme(self, theme: str) -> None:
        ctk.set_appearance_mode(theme)
        self.settings.theme = theme
        if self.scan_window is not None and self.scan_window.winfo_exists():
            self.scan_window.theme_table()
        self.settings.save()
        self._paint_canvas_background()
        self._draw_probability()

    def close(self) -> None:
        self.cancel_enhance()
        if self.scan_window is not None:
            self.scan_window.cancel()
        self.settings.geometry = self.geometry().split("+")[0]
        self.settings.save()
        self.tasks.close()
        self.destroy()
