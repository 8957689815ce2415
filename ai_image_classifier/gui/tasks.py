"""Run heavy work off the Tk thread and hand results back on it.

Tk may only be touched from the thread running its event loop, so workers put results on a
queue that the loop drains every few milliseconds (`after`). Each lane (`ports.Lane`) is one
thread, so the work in a lane never runs concurrently with itself.
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, get_args

from .ports import Lane

log = logging.getLogger(__name__)

POLL_MS = 15
LANES: tuple[Lane, ...] = get_args(Lane)


class CancelToken:
    """Asked for by the UI, polled by the worker."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


class BackgroundTasks:
    def __init__(self, widget: Any, lanes: tuple[Lane, ...] = LANES) -> None:
        self._widget = widget
        self._lanes = {lane: ThreadPoolExecutor(1, thread_name_prefix=lane) for lane in lanes}
        self._inbox: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._closed = False
        self._poll()

    def call_soon(self, callback: Callable[..., None], *args: Any) -> None:
        """From any thread: run `callback(*args)` on the Tk thread."""
        self._inbox.put(lambda: callback(*args))

    def later(self, ms: int, callback: Callable[[], None]) -> None:
        """On the Tk thread: run `callback()` in `ms` milliseconds (unless closed by then)."""
        self._widget.after(ms, lambda: None if self._closed else callback())

    def submit(self, lane: Lane, work: Callable[[], Any],
               on_done: Callable[[Any], None], on_error: Callable[[BaseException], None]) -> None:
        """Run `work()` in `lane`; then `on_done(result)` or `on_error(exc)` on the Tk thread."""

        def run() -> None:
            try:
                result = work()
            except BaseException as error:  # noqa: BLE001 - every failure goes back to the UI
                self.call_soon(on_error, error)
            else:
                self.call_soon(on_done, result)

        self._lanes[lane].submit(run)

    def _poll(self) -> None:
        """Run what workers handed back. A callback that raises is reported (Tk's
        `report_callback_exception` and the log) and the poll goes on: one bug must not stop
        every later result from arriving."""
        if self._closed:
            return
        try:
            while True:
                try:
                    callback = self._inbox.get_nowait()
                except queue.Empty:
                    break
                try:
                    callback()
                except Exception:  # noqa: BLE001 - reported below, the loop must survive
                    log.exception("a callback on the window failed")
                    report = getattr(self._widget, "report_callback_exception", None)
                    if report:
                        report(*sys.exc_info())
        finally:
            self._widget.after(POLL_MS, self._poll)

    def close(self) -> None:
        self._closed = True
        for executor in self._lanes.values():
            executor.shutdown(wait=False, cancel_futures=True)
