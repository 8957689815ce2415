"""The picture on screen: opening it, its verdict and its computed views (Tk-free).

Rules: an open reads the file once (one decode, one parse of each kind of metadata) and the
verdict is computed on those pixels; opening shows the new picture with no trace of the
previous one's verdict; a result (verdict, heat map) made with an older model is dropped and
its pending mark cleared, so the current model's is computed; each view is computed once per
picture (and per model for the heat map); a result for a picture no longer on screen is kept
with that picture but not shown.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import ExifTags

from ..classifier import PreparedPicture, ViewSpec
from ..imaging import ImageDecodeError, display_name, one_line, open_header, open_rgb, read_bytes
from ..verdict import Verdict
from .formatting import human_size, make_preview
from .heat import ela, heat_map
from .model_flow import ModelFlow
from .ports import Dialogs, Tasks
from .progress import TimeLeft
from .state import HeatMap, OpenedImage
from .tasks import CancelToken
from .verdict_text import WAITING, VerdictView, verdict_view
from .views import ViewPlan, plan

log = logging.getLogger(__name__)

#: How `imaging` names a picture decoded from bytes; the file's own name replaces it.
BYTES_NAME = "the image data"


def _decode(data: bytes, path: Path) -> np.ndarray:
    try:
        return np.asarray(open_rgb(data))
    except ImageDecodeError as error:
        raise type(error)(str(error).replace(BYTES_NAME, display_name(path.name), 1)) from error


def read_picture(path: Path) -> OpenedImage:
    """Everything an open needs, from one read of the file: its pixels decoded once, its
    header facts and its declarations parsed once each."""
    from ..forensics import inspect_file

    data = read_bytes(path)
    rgb = _decode(data, path)
    report = inspect_file(data)
    provenance = report.provenance
    with open_header(data) as header:
        orientation = header.getexif().get(ExifTags.Base.Orientation, 1)
    return OpenedImage(path, rgb, make_preview(rgb), report, provenance,
                       orientation if isinstance(orientation, int) else 1)


class PictureUI(Protocol):
    def status(self, text: str) -> None: ...
    def picture_shown(self, opened: OpenedImage) -> None: ...
    def verdict_shown(self, view: VerdictView | None, waiting: str = "") -> None: ...
    def redraw(self) -> None: ...


class PictureFlow:
    def __init__(self, tasks: Tasks, models: ModelFlow, dialogs: Dialogs, ui: PictureUI,
                 remember: Callable[[Path], None]) -> None:
        """`remember(path)` records an opened file in the settings' recent files."""
        self.tasks, self.models, self.dialogs, self.ui = tasks, models, dialogs, ui
        self._remember = remember
        self.current: OpenedImage | None = None
        self.listeners: list[Callable[[], None]] = []  # told when a picture starts opening
        self._generation = models.generation
        models.listeners.append(self.model_changed)
        self._heat_token = CancelToken()
        self._heat_again = False  # chosen anew while a stopped run still winds down
        self._last_view = ""
        self._opens = 0  # pictures asked for so far: early views of an older one are not made

    def warm_up(self) -> None:
        """Import OpenCV (the face search needs it, and it is slow to import) in the open
        lane while the model loads, rather than in the first verdict."""
        from ..opencv import import_cv2

        self.tasks.submit("open", import_cv2, lambda _: None, lambda _: None)

    # ---------- opening ----------
    def open(self, path: Path) -> None:
        """Decode in its own lane, so that opening never waits behind an enhancement; work on
        the previous picture (its enhancement) is no longer wanted."""
        for listener in self.listeners:
            listener()
        self.ui.status(f"Opening {display_name(path.name)}…")

        def failed(error: BaseException) -> None:
            message = str(error) if isinstance(error, (ImageDecodeError, OSError)) else (
                f"{display_name(path.name)} could not be opened ({type(error).__name__}; "
                "details in the log)")
            if not isinstance(error, (ImageDecodeError, OSError)):
                log.error("opening %s failed", path, exc_info=error)
            self.ui.status(f"Could not open {display_name(path.name)}")
            self.dialogs.error("Cannot open image", message)

        spec = self.models.expected_spec()
        self._opens += 1
        asked = self._opens

        def read() -> OpenedImage:
            opened = read_picture(path)
            opened.prepared = self._views_while_loading(spec, opened, asked) if spec else None
            return opened

        self.tasks.submit("open", read, self._show, failed)

    def _show(self, opened: OpenedImage) -> None:
        for listener in self.listeners:
            listener()
        self.current = opened
        self._remember(opened.path)
        report = opened.report
        height, width = opened.rgb.shape[:2]
        turned = " (turned upright)" if opened.orientation not in (1, 2) else ""
        self.ui.picture_shown(opened)
        self.ui.status(f"{display_name(opened.path.name)} — {width}×{height}{turned}, "
                       f"{report.format}, {human_size(report.file_size)}")
        self.classify(opened)

    # ---------- verdict ----------
    def classify(self, opened: OpenedImage) -> None:
        models = self.models
        classifier, generation = models.classifier, models.generation
        if classifier is None:
            self.ui.verdict_shown(None, WAITING["no-model" if models.error else "model"])
            return
        self.ui.verdict_shown(None, WAITING["analysing"])

        def work() -> Verdict | None:
            if opened is not self.current:
                return None  # another picture was opened meanwhile: not wanted now
            prepared, early = None, opened.prepared
            if early is not None and not early.cancel():  # made, or being made: wait for them
                try:
                    prepared = early.result()
                except Exception:  # noqa: BLE001 - logged there; made again below
                    prepared = None
            with models.lock:
                return classifier.classify_image(opened.rgb, provenance=opened.provenance,
                                                 prepared=prepared)

        def done(verdict: Verdict | None) -> None:
            if verdict is None or generation != models.generation:
                return  # skipped, or made with an older model: the current one's is coming
            opened.verdict, opened.prepared = verdict, None
            if opened is self.current:
                self.ui.verdict_shown(self.verdict_view())
                self.ui.redraw()  # the face outline

        def failed(error: BaseException) -> None:
            log.error("classifying %s failed", opened.path, exc_info=error)
            if opened is self.current and generation == models.generation:
                self.ui.verdict_shown(None, WAITING["failed"])
                self.ui.status(f"No verdict: {one_line(error)}")

        self.tasks.submit("model", work, done, failed)

    def _views_while_loading(self, spec: ViewSpec, opened: OpenedImage, asked: int
                             ) -> Future[PreparedPicture]:
        """While the first model loads: the views and watermark of the picture just read, for
        the `spec` its cards give, made next in the open lane, so that the first verdict waits
        only for the networks. The model lane waits for them once begun, or cancels the job
        and makes them itself; another picture asked for since (`asked`) cancels it too."""
        future: Future[PreparedPicture] = Future()

        def work() -> None:
            if asked != self._opens:
                future.cancel()  # another picture was asked for: this one is not judged
            if not future.set_running_or_notify_cancel():
                return  # not wanted, or the model came first and made them itself
            try:
                future.set_result(PreparedPicture.of(opened.rgb, spec))
            except BaseException as error:  # the verdict's own run makes them again, and says why
                log.warning("preparing a picture's views early failed", exc_info=error)
                future.set_exception(error)  # never left running: the model lane waits on it
                if not isinstance(error, Exception):
                    raise

        self.tasks.submit("open", work, lambda _: None, lambda _: None)
        return future

    def verdict_view(self) -> VerdictView | None:
        opened, classifier = self.current, self.models.classifier
        if opened is None or opened.verdict is None or classifier is None:
            return None
        return verdict_view(opened.verdict, classifier.general is not None,
                            classifier.general_off)

    def model_changed(self) -> None:
        """A new model: the verdict and heat map of the old one are dropped (pending marks
        of the old model stop blocking) and the picture is judged again; no model at all:
        say so."""
        opened = self.current
        if self.models.generation != self._generation:
            self._generation = self.models.generation
            if opened is not None:
                opened.verdict, opened.heat = None, None
                opened.view_errors.pop("heat", None)
                opened.stopped.discard("heat")
                self.classify(opened)
                self.ui.redraw()
        elif self.models.error and opened is not None and opened.verdict is None:
            self.ui.verdict_shown(None, WAITING["no-model"])

    def stop_views(self) -> None:
        """Stop computing the heat map (Esc); a coarse map already shown stays."""
        self._heat_token.cancel()

    # ---------- views ----------
    def view_plan(self, view: str, zoomed: bool, enhanced_note: str = "",
                  drop: bool = False) -> ViewPlan:
        """What `view` shows now; starts computing it when it is not there yet (again, when
        it was stopped and is chosen anew)."""
        if view != self._last_view and self.current is not None:
            self.current.stopped.discard("heat")
            # Chosen anew while a stopped run still winds down: computed again once it has.
            self._heat_again = view == "Heatmap" and self._heat_token.cancelled
        self._last_view = view
        shown = plan(view, self.current, model_ready=self.models.classifier is not None,
                     zoomed=zoomed, enhanced_note=enhanced_note, drop=drop)
        if shown.compute:
            self._compute(shown.compute)
        return shown

    def _compute(self, kind: str) -> None:
        opened, models = self.current, self.models
        classifier = models.classifier
        generation = models.generation if kind == "heat" else 0
        if opened is None or opened.pending.get(kind) == generation:
            return  # nothing to show, or the same computation is running (or stopping)
        if kind == "heat" and classifier is None:
            return
        opened.pending[kind] = generation
        if kind == "heat":
            self._heat_token = CancelToken()
        token = self._heat_token
        timer = TimeLeft()

        def wanted() -> bool:
            return opened is self.current and generation == models.generation

        def progress(fraction: float) -> None:
            opened.progress[kind] = timer.describe(fraction)
            if wanted():
                self.ui.redraw()

        def draft(heat: HeatMap) -> None:
            if wanted() and not token.cancelled:
                opened.heat = heat
                self.ui.redraw()

        def work() -> Any:
            if kind == "ela":
                return ela(opened)
            with models.lock:  # stopped when asked, or once another picture or model takes over
                return heat_map(classifier, opened,
                                lambda: token.cancelled or not wanted(),
                                progress=lambda f: self.tasks.call_soon(progress, f),
                                draft=lambda heat: self.tasks.call_soon(draft, heat))

        def finish(result: Any, error: BaseException | None) -> None:
            if opened.pending.get(kind) == generation:
                del opened.pending[kind]
            opened.progress.pop(kind, None)
            if isinstance(error, InterruptedError) and token.cancelled and wanted():
                if self._heat_again and self._last_view == "Heatmap":
                    self._heat_again = False  # chosen anew meanwhile: not "stopped"
                    self._compute(kind)
                else:
                    opened.stopped.add(kind)  # stopped by the person: said, not restarted
                self.ui.redraw()
            if (kind == "heat" and generation != models.generation) or isinstance(
                    error, InterruptedError):
                return  # made with an older model, or stopped: dropped
            if error is not None:
                log.error("computing the %s view failed", kind, exc_info=error)
                opened.view_errors[kind] = str(error)
            elif kind == "heat":
                opened.heat = result
            else:
                opened.ela_preview = result
            if opened is self.current:
                self.ui.redraw()

        self.tasks.submit("model" if kind == "heat" else "work", work,
                          lambda result: finish(result, None),
                          lambda error: finish(None, error))
