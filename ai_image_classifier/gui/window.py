"""The main window: open an image, read the verdict, look at the evidence, enhance, save.

The window only arranges widgets and calls the runtime (`classifier`, `enhance`, `forensics`,
`explain`, `saving`); all decoding and model work runs in `BackgroundTasks` lanes.
"""

from __future__ import annotations

import gc
import logging
import tkinter as tk
from collections.abc import Callable
from pathlib import Path
from typing import Any

import customtkinter as ctk
import numpy as np
from PIL import Image, ImageTk

from ..classifier import Classifier, Verdict
from ..imaging import ImageDecodeError, open_rgb
from ..resources import resource_path
from . import info_windows, model_text
from .dialogs import Dialogs
from .enhance_panel import EnhancePanel
from .formatting import TITLE, human_size, make_preview, metadata_text
from .scan import ScanWindow
from .session import OpenedImage, Session
from .settings import Settings
from .tasks import BackgroundTasks, CancelToken
from .theme import NEUTRAL, VERDICT_COLOURS
from .verdict_panel import VerdictPanel
from .viewer import PIXEL_VIEWS, Viewer
from .widgets import set_enabled

log = logging.getLogger(__name__)

MIN_SIZE = (960, 640)
PANEL_WIDTH = 400

try:  # drag and drop needs the tkdnd library that tkinterdnd2 ships for each platform
    from tkinterdnd2 import DND_FILES, TkinterDnD

    DnDWrapper: type = TkinterDnD.DnDWrapper
except ImportError:  # pragma: no cover - tkinterdnd2 is in requirements.txt
    TkinterDnD = None
    DnDWrapper = object


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
        set_enabled(self.save_button, False)
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

        self.viewer = Viewer(self, self.show_view)
        self.viewer.grid(row=1, column=0, sticky="nsew", padx=(10, 5), pady=10)
        self.view_switch, self.canvas = self.viewer.view_switch, self.viewer.canvas
        self.compare_slider, self.view_note = self.viewer.compare_slider, self.viewer.view_note

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
        self.verdict_panel = VerdictPanel(tab)
        self.verdict_panel.pack(fill="both", expand=True)
        panel = self.verdict_panel
        self.verdict_label, self.verdict_detail = panel.headline, panel.detail
        self.probability_bar, self.model_status = panel.bar, panel.model_status

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
        self.model_status.configure(text=model_text.status_line(self.classifier.card or {}))

    def show_model(self) -> None:
        info_windows.show_model(self)

    def model_card_text(self, details: bool = False) -> str:
        return info_windows.model_card_text(self, details)

    def show_about(self) -> None:
        info_windows.show_about(self)

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
        set_enabled(self.enhance_button, True)
        set_enabled(self.save_button, False)
        self.enhance_progress.set(0)
        self.enhance_status.configure(text="")
        self.view_switch.set("Original")
        self._fill_metadata(report)
        self.show_view()
        self.classify(opened)

    def _fill_metadata(self, report: Any) -> None:
        self.metadata_box.configure(state="normal")
        self.metadata_box.delete("1.0", "end")
        self.metadata_box.insert("end", metadata_text(report))
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
        self.verdict_panel.say(text, colour)
        self.badge.configure(text=text, text_color=colour)

    def _show_verdict(self) -> None:
        verdict = self.current.verdict if self.current else None
        if verdict is None:
            return
        general = self.classifier is not None and self.classifier.general is not None
        self.verdict_panel.show(verdict, general)
        self._say_verdict(verdict.text, VERDICT_COLOURS.get(verdict.label, NEUTRAL))
        if self.view_switch.get() == "Original":
            self.show_view()

    # ---------- views ----------
    def show_view(self) -> None:
        """Draw the current view, computing heat map or ELA on first use."""
        viewer, view, opened = self.viewer, self.viewer.view, self.current
        viewer.clear(compare=view == "Compare")
        if opened is None:
            viewer.draw_text("Open an image (Ctrl+O)"
                             + (" or drop it here" if self.drop_enabled else ""))
            return
        note, picture = "", None
        if view in PIXEL_VIEWS:
            picture = viewer.picture_for(opened)
            if picture is None:
                note = "Enhance the image to see this view (Enhance tab)."
            elif view == "Compare":
                note = "Drag the slider: original on the left, enhanced on the right."
            if viewer.at_full_size and picture is not None:
                note += " 100 %: drag the picture to move around."
        elif view == "Heatmap":
            picture = opened.heat_preview
            note = ("Where the face network looked (red = hiding it changes its score most). "
                    "This is not a map of what is fake.")
            if picture is None:
                self._compute_heatmap(opened)
        else:
            picture = opened.ela_preview
            note = ("Error level analysis: regions that re-compress differently stand out. "
                    "Edges and textures are bright in real photos too.")
            if picture is None:
                self._compute_ela(opened)
        self.view_note.configure(text=note.strip())
        if picture is None and view == "Heatmap" and self.classifier is None:
            viewer.draw_text("The heat map needs the model, which is not loaded.")
        elif picture is None:
            viewer.draw_text("Working…" if view in ("Heatmap", "ELA") else note)
        else:
            verdict = opened.verdict
            viewer.draw_picture(picture, verdict.face if verdict and view == "Original"
                                else None)

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
        set_enabled(self.enhance_button, False)
        set_enabled(self.cancel_button, True)
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
                self.set_status(f"Enhanced {opened.path.name}: {width}×{height}, not saved yet")
                set_enabled(self.save_button, True)
                self.view_switch.set("Compare")
                self.show_view()

        def failed(error: BaseException) -> None:
            from ..enhance import Cancelled

            self._enhance_finished(token)
            cancelled = isinstance(error, Cancelled)
            if opened is self.current:
                self.enhance_status.configure(
                    text="Cancelled." if cancelled else f"Enhancement failed: {error}")
                self.set_status("Enhancement cancelled" if cancelled
                                else f"Enhancement failed: {error}")
                self.enhance_progress.set(0)

        self.tasks.submit("work", work, done, failed)

    def _enhance_progress(self, token: CancelToken, fraction: float) -> None:
        if token is self.enhance_token and not token.cancelled:
            self.enhance_progress.set(fraction)

    def _enhance_finished(self, token: CancelToken) -> None:
        if self.session.enhance_finished(token):
            set_enabled(self.cancel_button, False)
            set_enabled(self.enhance_button, bool(self.current))

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
        self.viewer.paint_background()
        self.verdict_panel.draw_bar()

    def close(self) -> None:
        self.cancel_enhance()
        if self.scan_window is not None:
            self.scan_window.cancel()
        self.settings.geometry = self.geometry().split("+")[0]
        self.settings.save()
        self.tasks.close()
        self.destroy()
        # Widgets keep fonts in reference cycles; collected later in a worker thread, their
        # Tk calls would wait for this interpreter's loop, which has ended. Free them here.
        gc.collect()
