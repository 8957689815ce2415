"""Progress in words for long tasks: how far, and about how long is left (Tk-free).

`TimeLeft`: the elapsed time scaled by what remains, once enough has been done for the rate
to mean something; right when a task's steps (files, tiles of one pass) are roughly even.
`StagedTimeLeft`: for a task of unequal stages (an enhancement: denoising, then the network
that makes 4 or 16 times the pixels), from the throughput measured on each kind
of stage and the work of the stages still to run.
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

    def _too_early(self, fraction: float) -> bool:
        return (fraction < MIN_FRACTION or self._clock() - self.started < MIN_ELAPSED_S
                or fraction >= 1)

    def left_s(self, fraction: float) -> float | None:
        """Seconds left, or None while there is too little to go on."""
        if self._too_early(fraction):
            return None
        elapsed = self._clock() - self.started
        return elapsed * (1 - fraction) / fraction

    def describe(self, fraction: float) -> str:
        """ "42 %, about 1 min 20 s left" (the time once it can be told)."""
        left = self.left_s(fraction)
        shown = f"{min(99, int(fraction * 100))} %"
        return shown if left is None else f"{shown}, about {duration(left)} left"

    def elapsed(self) -> str:
        return duration(self._clock() - self.started)


class StagedTimeLeft(TimeLeft):
    """`stages`: (kind, work) in the order they run, e.g. [("denoise", pixels),
    ("upscale 4×", 16 × pixels)], reported as one fraction in which each
    stage has an equal share (as `enhance.enhance` reports). The time left is the rest of the
    running stage and every later one, each at the throughput measured on its kind (work per
    second; for a kind not run yet, that of all the work done so far)."""

    def __init__(self, stages: list[tuple[str, float]],
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(clock)
        self.stages = stages or [("work", 1.0)]
        self._spent: dict[str, float] = {}  # seconds on each kind, in finished stages
        self._done: dict[str, float] = {}  # work of each kind, in finished stages
        self._stage, self._stage_started = 0, self.started

    def _reach(self, fraction: float) -> tuple[int, float]:
        """The running stage and how far into it; stages finished since the last report are
        booked to their kind."""
        position = min(max(fraction, 0.0), 1.0) * len(self.stages)
        index = min(len(self.stages) - 1, int(position))
        now = self._clock()
        while self._stage < index:
            kind, work = self.stages[self._stage]
            self._spent[kind] = self._spent.get(kind, 0.0) + now - self._stage_started
            self._done[kind] = self._done.get(kind, 0.0) + work
            self._stage, self._stage_started = self._stage + 1, now
        return index, position - index

    def left_s(self, fraction: float) -> float | None:
        index, within = self._reach(fraction)
        if self._too_early(fraction):
            return None
        kind, work = self.stages[index]
        spent, done = dict(self._spent), dict(self._done)
        spent[kind] = spent.get(kind, 0.0) + self._clock() - self._stage_started
        done[kind] = done.get(kind, 0.0) + work * within
        overall = sum(done.values()) / max(1e-9, sum(spent.values()))
        if overall <= 0:
            return None

        def rate(of: str) -> float:
            measured = done.get(of, 0.0) > 0 and spent.get(of, 0.0) > 0
            return done[of] / spent[of] if measured else overall

        return work * (1 - within) / rate(kind) + sum(
            later / rate(later_kind) for later_kind, later in self.stages[index + 1:])
