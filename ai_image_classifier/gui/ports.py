"""What the Tk-free workflows need from the window, as protocols: the window passes its
`BackgroundTasks` and `Dialogs`; the tests pass fakes that answer the same calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, Protocol

#: The worker lanes: each is one thread, so the work in a lane (every use of the model, say)
#: never runs concurrently with itself.
Lane = Literal["model", "open", "work", "save", "scan", "batch"]


class Tasks(Protocol):
    def call_soon(self, callback: Callable[..., None], *args: Any) -> None:
        """From any thread: run `callback(*args)` on the Tk thread."""
        ...

    def later(self, ms: int, callback: Callable[[], None]) -> None:
        """On the Tk thread: run `callback()` in `ms` milliseconds."""
        ...

    def submit(self, lane: Lane, work: Callable[[], Any],
               on_done: Callable[[Any], None], on_error: Callable[[BaseException], None]) -> None:
        """Run `work()` in `lane`; then `on_done(result)` or `on_error(exc)` on the Tk thread.
        May be called from any thread (a lane's work may queue the next job)."""
        ...


class Dialogs(Protocol):
    """Questions and messages; each answer of a file dialog is a path, or "" when cancelled."""

    def for_window(self, window: Any) -> Dialogs: ...
    def open_image(self, folder: str) -> str: ...
    def open_folder(self, folder: str, title: str = "Scan folder") -> str: ...
    def open_model(self, folder: str) -> str: ...
    def save_image_as(self, folder: str, name: str, type_name: str) -> str: ...
    def save_as(self, folder: str, name: str, types: list[tuple[str, str]]) -> str: ...
    def confirm(self, title: str, message: str) -> bool: ...
    def error(self, title: str, message: str) -> None: ...
