"""Stand-ins for the window's parts, so that its controllers run without a display."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ai_image_classifier.classifier import Classifier
from ai_image_classifier.provenance import Provenance
from ai_image_classifier.verdict import Verdict


class FakeTasks:
    """Holds submitted work until `run()`, so that tests choose the order things finish in."""

    def __init__(self) -> None:
        self.jobs: list[tuple[str, Callable[[], Any], Callable[[Any], None],
                              Callable[[BaseException], None]]] = []
        self.timers: list[Callable[[], None]] = []

    def submit(self, lane, work, on_done, on_error) -> None:
        self.jobs.append((lane, work, on_done, on_error))

    def call_soon(self, callback, *args) -> None:
        """At once: as a window whose loop is never behind."""
        callback(*args)

    def later(self, ms: int, callback) -> None:
        self.timers.append(callback)

    def lanes(self) -> list[str]:
        return [job[0] for job in self.jobs]

    def run(self, lane: str | None = None, count: int | None = None) -> int:
        """Run queued jobs (of `lane`), in order, as the real lanes would: the work, then its
        result or error. Returns how many ran."""
        ran = 0
        while count is None or ran < count:
            job = next((j for j in self.jobs if lane is None or j[0] == lane), None)
            if job is None:
                break
            self.jobs.remove(job)
            _, work, on_done, on_error = job
            try:
                result = work()
            except BaseException as error:  # noqa: BLE001 - handed back like the real lanes
                on_error(error)
            else:
                on_done(result)
            ran += 1
        return ran


class Recorder:
    """Records every call made on it: a stand-in for any widget-facing interface."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple, dict]] = []

    def __getattr__(self, name: str) -> Callable[..., None]:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.calls.append((name, args, kwargs))

    def all(self, name: str) -> list[tuple]:
        return [args for called, args, _ in self.calls if called == name]

    def last(self, name: str) -> tuple:
        found = self.all(name)
        assert found, f"{name} was never called"
        return found[-1]


class FakeDialogs:
    """Answers the app's questions from a script and records its messages."""

    def __init__(self) -> None:
        self.open_answer = ""
        self.save_answers: list[str] = []
        self.folder_answers: list[str] = []
        self.confirm_answer = False
        self.errors: list[tuple[str, str]] = []
        self.confirmations: list[str] = []
        self.asked: list[tuple] = []

    def for_window(self, window: Any) -> FakeDialogs:
        """One script answers for every window."""
        return self

    def open_image(self, folder: str) -> str:
        return self.open_answer

    def open_folder(self, folder: str, title: str = "") -> str:
        self.asked.append(("folder", folder, title))
        return self.folder_answers.pop(0) if self.folder_answers else ""

    def open_model(self, folder: str) -> str:
        return self.open_answer

    def save_image_as(self, folder: str, name: str, type_name: str) -> str:
        """Each answer is given once, as a person answers one dialog."""
        self.asked.append(("save", folder, name, type_name))
        return self.save_answers.pop(0) if self.save_answers else ""

    def save_as(self, folder: str, name: str, types=None) -> str:
        self.asked.append(("export", folder, name))
        return self.save_answers.pop(0) if self.save_answers else ""

    def confirm(self, title: str, message: str) -> bool:
        self.confirmations.append(message)
        return self.confirm_answer

    def error(self, title: str, message: str) -> None:
        self.errors.append((title, message))


class FakeClassifier:
    """Answers like a face-only classifier, and counts what it was asked."""

    general = None
    general_off = ""
    threshold, half_width, input_size = 0.5, 0.1, 128

    def __init__(self, probability: float = 0.2, name: str = "fake") -> None:
        self.probability = probability
        self.card = {"name": name}
        self.source = Path(f"{name}.tflite")
        self.images: list[tuple[Any, Provenance | None]] = []
        self.prepared: list[Any] = []  # the views made while it loaded, per call

    def classify_files(self, paths, batch_size: int = 32):
        """Per file, as the real one: a file that is not an image yields its error."""
        from ai_image_classifier.imaging import ImageDecodeError, open_header

        self.batch_size = batch_size
        for path in paths:
            try:
                open_header(path).close()
            except ImageDecodeError as error:
                yield path, error
                continue
            yield path, self.classify_image(None)

    def classify_image(self, image, provenance: Provenance | None = None,
                       prepared=None) -> Verdict:
        self.images.append((image, provenance))
        self.prepared.append(prepared)
        label = "fake" if self.probability >= self.threshold else "real"
        verdict = Verdict(label, self.probability, self.threshold, self.half_width)
        return Classifier.with_provenance(verdict, provenance) if provenance else verdict


def write_picture(path: Path, size: tuple[int, int] = (40, 30)) -> Path:
    import numpy as np
    from PIL import Image

    Image.fromarray(np.full((size[1], size[0], 3), 120, np.uint8)).save(path)
    return path
