"""The window's rules, without a display (gui/session.py imports no Tk)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from ai_image_classifier.gui.session import OpenedImage, Session

from .conftest import ROOT


def picture(name: str = "a.jpg") -> OpenedImage:
    pixels = np.zeros((4, 4, 3), np.uint8)
    return OpenedImage(Path(name), pixels, Image.fromarray(pixels), report=None)


def test_the_session_module_loads_no_tk():
    code = ("import sys; import ai_image_classifier.gui.session; "
            "print('tkinter' in sys.modules or 'customtkinter' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, check=True)
    assert result.stdout.strip() == "False"


def test_opening_a_picture_cancels_a_running_enhancement():
    session = Session()
    session.show(picture("first.jpg"))
    token = session.start_enhance()
    assert token is not None and session.start_enhance() is None  # one at a time
    session.show(picture("second.jpg"))
    assert token.cancelled
    assert session.enhance_finished(token) and session.enhance_token is None
    assert not session.enhance_finished(token)  # a stale token changes nothing


def test_each_view_is_computed_once_per_picture():
    session, opened = Session(), picture()
    assert session.begin_view(opened, "ela", done=False)
    assert not session.begin_view(opened, "ela", done=False)  # already running
    session.end_view(opened, "ela")
    assert not session.begin_view(opened, "ela", done=True)  # already there
    assert session.begin_view(opened, "heat", done=False)  # another view is its own


def test_a_new_model_invalidates_verdicts_and_judges_the_waiting_picture():
    session, waiting = Session(), picture()
    assert session.verdict_step(waiting) == "wait"
    waiting.verdict, waiting.heat_preview = object(), object()  # type: ignore[assignment]
    assert session.model_loaded(object()) is waiting  # type: ignore[arg-type]
    assert waiting.verdict is None and waiting.heat_preview is None
    assert session.verdict_step(waiting) == "classify"


def test_a_failed_model_load_keeps_the_previous_model():
    session = Session()
    assert not session.model_failed(RuntimeError("damaged"))
    assert session.model_error == "damaged" and session.verdict_step(picture()) == "no-model"
    working = object()
    session.model_loaded(working)  # type: ignore[arg-type]
    assert session.model_failed(RuntimeError("also damaged"))
    assert session.classifier is working and session.model_error is None
