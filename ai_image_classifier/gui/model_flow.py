"""Which model judges pictures, since when, and what to say about it (Tk-free).

Rules: a model that fails to load leaves the working one in place, and the footer keeps
naming the working one; each model loaded gets a new generation number, so that a result
computed with an older one is recognised and dropped; the window and folder scans share one
loaded model, and its networks (not thread-safe) are used under one lock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future

from ..cards import ModelLoadError
from ..classifier import Classifier, ViewSpec, expected_view_spec
from ..imaging import one_line
from . import model_text
from .ports import Dialogs, Tasks

log = logging.getLogger(__name__)


#: Loads started by `load_early`, by source, until `ModelFlow.load` takes them over.
_early: dict[str | None, Future[Classifier]] = {}


def load_early(source: str | None = None) -> None:
    """Start loading the model before the window module is even imported: the encoder's
    session is built (native code, off the GIL) while CustomTkinter is imported and the
    window drawn, about a second of a first verdict's time. A daemon thread: a start with no
    display does not wait for it."""
    future: Future[Classifier] = Future()

    def run() -> None:
        try:
            future.set_result(Classifier.load(source))
        except BaseException as error:  # noqa: BLE001 - handed to ModelFlow.load's caller
            future.set_exception(error)

    _early[source] = future
    threading.Thread(target=run, name="early-model", daemon=True).start()


def plain_error(error: BaseException) -> str:
    """A load error in words: the parser's own text (JSON positions, library messages) goes
    to the log, not to people."""
    if not isinstance(error, ModelLoadError):
        return f"the model could not be loaded ({type(error).__name__}; details in the log)"
    text = one_line(error)
    if error.__cause__ is not None:
        text = text.replace(f" ({one_line(error.__cause__)})", "")
    return text


class ModelFlow:
    def __init__(self, tasks: Tasks, dialogs: Dialogs, start_folder: Callable[[], str],
                 load: Callable[[str | None], Classifier] | None = None) -> None:
        """`load(source)` loads a model (by default `Classifier.load`)."""
        self.tasks, self.dialogs, self._start_folder, self._load = tasks, dialogs, \
            start_folder, load
        self.classifier: Classifier | None = None
        self.error = ""  # why there is no model at all ("" while loading or loaded)
        self.loading = False
        self._source: str | None = None  # what the latest load asked for
        self.generation = 0  # models loaded so far; results carry the one they were made with
        self.lock = threading.Lock()  # held while any network of the classifier runs
        self.ready = threading.Event()  # the first load has ended, with a model or an error
        self.listeners: list[Callable[[], None]] = []

    def load(self, source: str | None = None) -> None:
        """Load `source` (a bundled model's name or a file; None: the default) in the model
        lane; a source the person chose is reported if it fails."""
        self.loading, self._source = True, source
        self._changed()
        early = _early.pop(source, None) if self._load is None else None
        load = (lambda _source: early.result()) if early else self._load or Classifier.load
        self.tasks.submit("model", lambda: load(source), self._loaded,
                          lambda error: self._failed(error, asked=source is not None))

    def expected_spec(self) -> ViewSpec | None:
        """While the first model loads: how it will look at pictures, when its cards tell."""
        if self.classifier is not None or not self.loading:
            return None
        return expected_view_spec(self._source)

    def choose_file(self, dialogs: Dialogs | None = None) -> None:
        """Ask for a model file with `dialogs` (those of the window that asks; by default
        the main window's)."""
        path = (dialogs or self.dialogs).open_model(self._start_folder())
        if path:
            self.load(path)

    def _loaded(self, classifier: Classifier) -> None:
        self.classifier, self.error, self.loading = classifier, "", False
        self.generation += 1
        self.ready.set()
        self._changed()

    def _failed(self, error: BaseException, asked: bool) -> None:
        log.error("model not loaded", exc_info=error)
        self.loading = False
        message = plain_error(error)
        if self.classifier is not None:
            self.dialogs.error("Cannot use this model", f"{message}.\n\nThe model in use is "
                                                        f"unchanged: {self.title}.")
        else:
            self.error = message
            if asked:
                self.dialogs.error("Cannot load model", message)
        self.ready.set()
        self._changed()

    def _changed(self) -> None:
        for listener in self.listeners:
            listener()

    # ---------- what to say ----------
    @property
    def name(self) -> str:
        """The loaded model's bundled name or file stem ("" when none)."""
        source = self.classifier.source if self.classifier else None
        return source.name.split(".")[0] if source else ""

    @property
    def title(self) -> str:
        card = (self.classifier.card or {}) if self.classifier else {}
        return model_text.title(card.get("name") or self.name)

    @property
    def general_off(self) -> str:
        return self.classifier.general_off if self.classifier else ""

    def status(self) -> str:
        """The footer line: the model in use (a failed switch does not replace it)."""
        if self.classifier is not None:
            return model_text.status_line(self.classifier.card or {}, self.general_off)
        if self.error:
            return f"No model: {self.error}. Enhancement still works."
        return "Loading the model…"

    def notice(self) -> str:
        """What the window must say beside every verdict ("" when all is well)."""
        return model_text.off_line(self.general_off)

    def card_text(self, details: bool = False) -> str:
        """The Model… window's text: plain words, or the card's facts with `details`."""
        if self.classifier is None:
            return f"No model loaded. {self.error or 'Loading…'}"
        classifier, card = self.classifier, self.classifier.card or {}
        if not details:
            return model_text.summary(card, self.general_off)
        from .. import __version__

        return model_text.details(card, classifier.threshold, classifier.half_width,
                                  classifier.input_size, __version__)
