"""Enhancing the picture on screen (Tk-free).

Rules: one enhancement at a time; opening another picture cancels it; progress comes with a
time left; a request that cannot change the picture (1× with denoising off) is refused and
says why, and a result identical to the original is not offered for saving; every result
carries the settings that made it, so a result kept after a cancelled or failed run, or after
the settings changed, is never mistaken for the current settings' result.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

import numpy as np

from ..enhance_settings import DenoiseDecision, EnhanceSettings
from ..imaging import display_name, one_line
from .formatting import make_preview
from .ports import Tasks
from .progress import StagedTimeLeft, TimeLeft
from .state import Enhanced, OpenedImage
from .tasks import CancelToken

METHOD_LABELS = {"learned": "Learned (AI upscaler)", "lanczos": "Lanczos", "bicubic": "Bicubic"}
DENOISE_LABELS = {"auto": "Auto", "off": "Off", "seed": "Original app's (strength 10)",
                  "custom": "Custom"}
NOTHING_TO_DO = ("1× with denoising Off would give an identical copy: choose 2× or 4×, or a "
                 "denoising mode.")
UNCHANGED = ("No change, {denoise}: at 1× the result is the original itself; nothing new to "
             "save.")


def refusal(settings: EnhanceSettings) -> str:
    """Why these settings cannot change a picture ("" when they can)."""
    return NOTHING_TO_DO if settings.scale == 1 and settings.denoise == "off" else ""


def enhance_stages(shape: tuple[int, ...], settings: EnhanceSettings,
                   decision: DenoiseDecision) -> list[tuple[str, float]]:
    """The stages `enhance.enhance` runs, with their work in pixels: denoising on the
    picture, then the learned network on the pixels it makes."""
    pixels = float(shape[0] * shape[1])
    stages = [("denoise", pixels)] if decision.strength > 0 else []
    if settings.runs_network:
        stages.append((f"upscale {settings.scale:g}×", pixels * settings.scale**2))
    return stages


def describe(settings: EnhanceSettings) -> str:
    """ "Learned (AI upscaler) 2×, denoise Auto" """
    denoise = settings.denoise
    words = DENOISE_LABELS[denoise] if isinstance(denoise, str) else f"strength {denoise:g}"
    return f"{METHOD_LABELS[settings.method]} {settings.scale:g}×, denoise {words}"


def result_note(opened: OpenedImage | None, chosen: EnhanceSettings | None) -> str:
    """What made the enhanced picture on show, and whether that is what is chosen now."""
    if opened is None or opened.enhanced is None:
        return ""
    made, denoise = opened.enhanced.settings, opened.enhanced.denoise
    note = f"Enhanced with {describe(made)}" + (f"; {denoise.description}." if denoise else ".")
    if chosen is not None and chosen != made:
        note += " The Enhance tab now has other settings: press Enhance to apply them."
    return note


class EnhanceUI(Protocol):
    def enhance_state(self, running: bool, can_start: bool, fraction: float,
                      text: str) -> None: ...
    def status(self, text: str) -> None: ...
    def enhanced(self, opened: OpenedImage) -> None: ...


class EnhanceFlow:
    def __init__(self, tasks: Tasks, current: Callable[[], OpenedImage | None], ui: EnhanceUI,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.tasks, self._current, self.ui, self._clock = tasks, current, ui, clock
        self.token: CancelToken | None = None
        self._timer: TimeLeft | None = None
        self._fraction = 0.0
        self._decision: DenoiseDecision | None = None  # the running one's, once known
        self._warm = False
        self._settings = EnhanceSettings()  # the running one's

    def time_left_s(self) -> float | None:
        """The running enhancement's time left (None: not known yet, or none running)."""
        return self._timer.left_s(self._fraction) if self._timer is not None else None

    def warm_up(self, chosen: EnhanceSettings) -> None:
        """Load the network the `chosen` settings need once the first verdict is in (or the
        model, with no picture): its first tensor allocation holds the GIL for a moment,
        better spent then than during an Enhance, and not while the first verdict is
        computed. A missing upscaler is reported when an enhancement needs it."""
        if not self._warm and chosen.runs_network:
            self._warm = True
            scale = int(chosen.scale)
            self.tasks.submit("work", lambda: _load_upscaler(scale), lambda _: None,
                              lambda _: None)

    def idle(self, text: str = "") -> None:
        """Show the idle state (after a picture was opened, or a refusal)."""
        self.ui.enhance_state(False, self._current() is not None, 0.0, text)

    def start(self, settings: EnhanceSettings) -> None:
        opened = self._current()
        if opened is None or self.token is not None:
            return
        if refusal(settings):
            self.idle(refusal(settings))
            return
        token = self.token = CancelToken()
        self._timer, self._fraction, self._settings = TimeLeft(self._clock), 0.0, settings
        self.ui.enhance_state(True, False, 0.0, f"Enhancing ({describe(settings)})…")
        self.ui.status(f"Enhancing {display_name(opened.path.name)}…")

        def progress(fraction: float) -> None:
            self.tasks.call_soon(self._progress, token, fraction)

        def work() -> Enhanced | DenoiseDecision:
            """The result, or (when it is the original itself) the decision that left it."""
            from ..enhance import enhance, plan_denoise

            decision = plan_denoise(opened.rgb, settings.denoise)
            self.tasks.call_soon(self._decided, token, decision)
            pixels = enhance(opened.rgb, settings, progress, lambda: token.cancelled, decision)
            if pixels.shape == opened.rgb.shape and np.array_equal(pixels, opened.rgb):
                return decision
            return Enhanced(pixels, make_preview(pixels), settings, decision)

        self.tasks.submit("work", work, lambda result: self._done(token, opened, result),
                          lambda error: self._failed(token, opened, error))

    def _decided(self, token: CancelToken, decision: DenoiseDecision) -> None:
        """Say what denoising will do as soon as it is known, before the pixels change."""
        if token is self.token and not token.cancelled:
            self._decision = decision
            opened = self._current()
            if opened is not None:  # measuring the noise is done: time the stages from here
                self._timer = StagedTimeLeft(enhance_stages(opened.rgb.shape, self._settings,
                                                            decision), self._clock)
            self._progress(token, self._fraction)

    def _progress(self, token: CancelToken, fraction: float) -> None:
        if token is self.token and not token.cancelled and self._timer is not None:
            self._fraction = fraction
            said = f"; {self._decision.description}" if self._decision else ""
            self.ui.enhance_state(True, False, fraction,
                                  f"Enhancing: {self._timer.describe(fraction)}{said}")

    def _finish(self, token: CancelToken) -> bool:
        """Forget a finished run; False when it was not the running one."""
        if token is not self.token:
            return False
        self.token = self._timer = self._decision = None
        return True

    def _done(self, token: CancelToken, opened: OpenedImage,
              result: Enhanced | DenoiseDecision) -> None:
        if not self._finish(token):
            return
        if isinstance(result, Enhanced):
            opened.enhanced = result
        if opened is not self._current():
            self.idle()
            return
        if not isinstance(result, Enhanced):
            self.idle(UNCHANGED.format(denoise=result.description))
            return
        height, width = result.pixels.shape[:2]
        said = f"; {result.denoise.description}" if result.denoise else ""
        self.idle(f"Done: {width}×{height} ({describe(result.settings)}{said}). Save with "
                  "Ctrl+S.")
        self.ui.status(f"Enhanced {display_name(opened.path.name)}: {width}×{height}, not "
                       "saved yet")
        self.ui.enhanced(opened)

    def _failed(self, token: CancelToken, opened: OpenedImage, error: BaseException) -> None:
        from ..enhance import Cancelled

        if not self._finish(token):
            return
        if opened is not self._current():
            self.idle()
            return
        cancelled = isinstance(error, Cancelled)
        kept = f" The earlier result ({describe(opened.enhanced.settings)}) is still shown " \
            "and can be saved." if opened.enhanced is not None else ""
        failure = f"Enhancement failed: {one_line(error)}"
        self.idle(("Cancelled." if cancelled else f"{failure}.") + kept)
        self.ui.status("Enhancement cancelled" if cancelled else failure)

    def cancel(self) -> None:
        """Ask a running enhancement to stop; it says so when it has."""
        if self.token is not None and not self.token.cancelled:
            self.token.cancel()
            self.ui.enhance_state(True, False, self._fraction, "Cancelling…")


def _load_upscaler(scale: int) -> None:
    from ..enhance import learned_upscaler

    learned_upscaler(scale)
