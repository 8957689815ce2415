"""Saving the enhanced picture (Tk-free).

Rules: the dialog proposes a name that does not exist yet, in the last folder and type used
(the first time, the original's type); the type chosen in the dialog decides the suffix; the
original is never written over (not by another spelling of its name either, on a file system
that ignores case), and an existing file is replaced only after a "Yes" ("No" returns to the
dialog); the metadata saved is what was read when the picture was opened, never the file as it
is now; one save at a time, with the time it has taken, or its progress and time left, and
Cancel where the writer can stop; the status names what was saved, the settings that made it
and what the saved file could not keep.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from ..file_types import WRITE_FORMATS, type_name_of
from ..imaging import display_name, one_line
from ..metadata import Metadata, enhancement_steps
from .enhance_flow import describe
from .ports import Dialogs, Tasks
from .progress import TimeLeft
from .settings import Settings, first_folder
from .state import Enhanced, OpenedImage
from .tasks import CancelToken

#: How often a long save's progress line (and its time left) is refreshed.
TICK_MS = 1000


def write_image(pixels: np.ndarray, target: Path, *, overwrite: bool, quality: int,
                metadata: Metadata, steps: tuple[str, ...],
                progress: Callable[[float], object], should_stop: Callable[[], bool]) -> str:
    """The one call that writes a picture, with the `metadata` its original carried when it
    was opened; returns what the saved file could not keep ("" when it kept everything). A
    stop raises `saving.SaveCancelled`, with nothing written."""
    from ..saving import save_image

    return save_image(pixels, target, overwrite=overwrite, quality=quality, metadata=metadata,
                      steps=steps, progress=progress, should_stop=should_stop).note


def is_original(target: Path, original: Path) -> bool:
    """Whether writing `target` would write over `original`: the same file (a link, or another
    spelling on a file system that ignores case), or the same name in any case, which would
    be that file on Windows and macOS."""
    try:
        if target.exists() and os.path.samefile(target, original):
            return True
    except OSError:
        pass
    return (os.path.normcase(os.path.realpath(target)).casefold()
            == os.path.normcase(os.path.realpath(original)).casefold())


def free_stem(folder: Path, stem: str) -> str:
    """`stem`, or `stem-2`, `stem-3`…: the first with no file of any type we write."""
    candidate, number = stem, 2
    while any((folder / f"{candidate}{suffix}").exists() for suffix in WRITE_FORMATS):
        candidate, number = f"{stem}-{number}", number + 1
    return candidate


class SaveUI(Protocol):
    def save_state(self, running: bool, fraction: float | None, text: str,
                   can_cancel: bool) -> None: ...
    def status(self, text: str) -> None: ...


class SaveFlow:
    def __init__(self, tasks: Tasks, dialogs: Dialogs, settings: Settings, ui: SaveUI,
                 write: Callable[..., str] = write_image, can_stop: bool = True,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.tasks, self.dialogs, self.settings, self.ui = tasks, dialogs, settings, ui
        self._write, self.can_stop, self._clock = write, can_stop, clock
        self.token: CancelToken | None = None
        self._timer: TimeLeft | None = None
        self._target = Path()
        self._fraction: float | None = None  # None until the writer reports progress

    def suggestion(self, opened: OpenedImage) -> tuple[str, str, str]:
        """(folder, name without suffix, type) the dialog starts with."""
        folder = first_folder(self.settings.last_save_folder, str(opened.path.parent))
        kind = self.settings.last_save_type or type_name_of(str(opened.path)) or "PNG"
        return folder, free_stem(Path(folder), f"{opened.path.stem}_enhanced"), kind

    def ask(self, opened: OpenedImage | None, quality: int) -> None:
        if opened is None or opened.enhanced is None:
            self.ui.status("Nothing to save yet: enhance the image first.")
            return
        if self.token is not None:
            self.ui.status("Already saving: wait for it to finish, or cancel it.")
            return
        enhanced = opened.enhanced
        folder, name, kind = self.suggestion(opened)
        while True:  # "No" to a question returns to the dialog, as in other programs
            chosen = self.dialogs.save_image_as(folder, name, kind)
            if not chosen:
                return
            target = Path(chosen)
            folder, name, kind = str(target.parent), target.stem, type_name_of(chosen) or kind
            if is_original(target, opened.path):
                self.dialogs.error("Cannot save", "Saving over the original is not allowed "
                                                  "here; choose another name.")
                continue
            if target.exists() and not self.dialogs.confirm(
                    "Replace file?", f"{target.name} already exists. Replace it?"):
                continue
            break
        self.settings.last_save_folder, self.settings.last_save_type = folder, kind
        self.settings.jpeg_quality = quality
        self.settings.save()
        self.save(opened, enhanced, target, overwrite=target.exists(), quality=quality)

    def save(self, opened: OpenedImage, enhanced: Enhanced, target: Path, *, overwrite: bool,
             quality: int) -> None:
        token = self.token = CancelToken()
        self._timer, self._target, self._fraction = TimeLeft(self._clock), target, None
        self.ui.save_state(True, None, f"Saving {display_name(target.name)}…", self.can_stop)

        def progress(fraction: float) -> None:
            self.tasks.call_soon(self._progress, token, fraction)

        denoised = enhanced.denoise is not None and enhanced.denoise.strength > 0
        steps = enhancement_steps(enhanced.settings.scale, denoised)

        def work() -> str:
            return self._write(enhanced.pixels, target, overwrite=overwrite, quality=quality,
                               metadata=opened.report.metadata, steps=steps,
                               progress=progress, should_stop=lambda: token.cancelled)

        def done(note: str) -> None:
            if self._finish(token):
                made = describe(enhanced.settings)
                self.ui.status(f"Saved {target} ({made})" + (f"; {note}" if note else ""))

        def failed(error: BaseException) -> None:
            from ..enhance import Cancelled
            from ..saving import SaveCancelled

            if not self._finish(token):
                return
            if isinstance(error, Cancelled | SaveCancelled) or token.cancelled:
                self.ui.status(f"Not saved: cancelled ({display_name(target.name)} was left "
                               "as it was)")
                return
            self.ui.status(f"Not saved: {one_line(error)}")
            self.dialogs.error("Cannot save", f"{error}\n\nThe enhanced image is still here; "
                                              "try another folder or name.")

        self.tasks.submit("save", work, done, failed)
        self.tasks.later(TICK_MS, lambda: self._tick(token))

    def _progress(self, token: CancelToken, fraction: float) -> None:
        if token is self.token and self._timer is not None and not token.cancelled:
            self._fraction = fraction
            self.ui.save_state(True, fraction, f"Saving {display_name(self._target.name)}: "
                                               f"{self._timer.describe(fraction)}",
                               self.can_stop)

    def _tick(self, token: CancelToken) -> None:
        """Without progress from the writer, say how long it has taken so far."""
        if token is not self.token or self._timer is None:
            return
        if self._fraction is None and not token.cancelled:
            self.ui.save_state(True, None, f"Saving {display_name(self._target.name)}… "
                                           f"({self._timer.elapsed()} so far)", self.can_stop)
        self.tasks.later(TICK_MS, lambda: self._tick(token))

    def _finish(self, token: CancelToken) -> bool:
        if token is not self.token:
            return False
        self.token = self._timer = None
        self.ui.save_state(False, None, "", False)
        return True

    def cancel(self) -> None:
        if self.token is not None and self.can_stop and not self.token.cancelled:
            self.token.cancel()
            self.ui.save_state(True, None, "Cancelling the save…", False)
