"""Progress in words for long tasks: how far, and about how long is left (Tk-free).

The time left is the elapsed time scaled by what remains, once enough has been done for the
rate to mean something; a task's own steps (tiles, files) are roughly even, so this is as good
as a finer model and never jumps about.
"""

from __future__ import annotations

import time
from collections.abc import Callable

#: Say nothing about the time left before this much time and this share of the work.
MIN_ELAPSED_S = 1.5
MIN_FRACTION = 0.02


def duration(seconds: float) -> str:
    """A short, rounded duration: "8 s", "40 s", "1 min 20 s", "12 min"."""
    if seconds < 10:
        return f"{max(1, round(seconds))} s"
    if seconds < 60:
        return f"{round(seconds / 5) * 5} s"
    minutes, rest = divmod(round(seconds / 10) * 10, 60)
    if minutes >= 10 or rest == 0:
        return f"{round(seconds / 60)} min"
    return f"{minutes} min {rest} s"


class TimeLeft:
    """Started with a task; `describe(fraction)` says how far it is and the time left."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.started = clock()

    def left_s(self, fraction: float) -> float | None:
        """Seconds left, or None while there is too little to go on."""
        elapsed = self._clock() - self.started
        if fraction < MIN_FRACTION or elapsed < MIN_ELAPSED_S or fraction >= 1:
            return None
        return elapsed * (1 - fraction) / fraction

    def describe(self, fraction: float) -> str:
        """ "42 %, about 1 min 20 s left" (the time once it can be told)."""
        left = self.left_s(fraction)
        shown = f"{min(99, int(fraction * 100))} %"
        return shown if left is None else f"{shown}, about {duration(left)} left"

    def elapsed(self) -> str:
        return duration(self._clock() - self.started)
