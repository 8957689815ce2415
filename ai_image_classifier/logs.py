"""Where what the user should not see, but we must, goes: a rotating log file.

Every caught exception is logged with its traceback while the user reads one clear line;
Python warnings (Pillow's notes on damaged files) go to the log instead of the console.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .user_dirs import log_dir

LOG_FILE = "aiic.log"


def setup_logging(level: int = logging.INFO) -> Path | None:
    """Log to a rotating file (1 MB × 3) and route warnings there; returns the file, or None
    when the folder cannot be written (logging must never stop the app)."""
    root = logging.getLogger()
    logging.captureWarnings(True)
    if any(isinstance(h, logging.handlers.RotatingFileHandler) for h in root.handlers):
        return Path(next(h.baseFilename for h in root.handlers  # type: ignore[attr-defined]
                         if isinstance(h, logging.handlers.RotatingFileHandler)))
    path = log_dir() / LOG_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3,
                                                       encoding="utf-8")
    except OSError:
        root.addHandler(logging.NullHandler())
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    return path


_stderr_lock = threading.Lock()


@contextmanager
def native_stderr_to_log(what: str) -> Iterator[None]:
    """Send what C libraries print on file descriptor 2 while `what` runs (LiteRT's delegate
    notice, libtiff's warnings) to the log instead of the user's console."""
    with _stderr_lock:
        try:
            sys.stderr.flush() if sys.stderr else None
            saved = os.dup(2)
        except (OSError, ValueError):  # no descriptor 2 (a windowed app): nothing to hide
            yield
            return
        with tempfile.TemporaryFile() as capture:
            os.dup2(capture.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(saved, 2)
                os.close(saved)
                capture.seek(0)
                text = capture.read().decode("utf-8", "replace").strip()
                if text:
                    logging.getLogger(__name__).info("%s said: %s", what, text)
