"""OpenCV, imported under one lock.

cv2's loader swaps the module in `sys.modules` part-way through its first import, so a second
thread importing it at that moment gets a half-built module (no `cv2.data`): a folder scan or
the training loader, deciding faces in several threads, failed that way 4 times in 5. The app
imports OpenCV lazily (it is slow), so every module takes it from here.
"""

from __future__ import annotations

import threading
from types import ModuleType

_first_import = threading.Lock()


def import_cv2() -> ModuleType:
    with _first_import:
        import cv2

        return cv2
