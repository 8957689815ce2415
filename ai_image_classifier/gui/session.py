"""What the window shows and waits for, and the rules of its work: no Tk here, so every rule
is unit-tested without a display.

Rules: opening a picture cancels a running enhancement (its result is no longer wanted); each
view of a picture is computed once; a new model invalidates the verdicts of the old one; a
model that fails to load leaves the working one in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ..classifier import Classifier, Verdict
from .tasks import CancelToken


@dataclass
class OpenedImage:
    path: Path
    rgb: np.ndarray
    preview: Image.Image
    report: Any  # forensics.FileReport
    verdict: Verdict | None = None
    heat_preview: Image.Image | None = None
    ela_preview: Image.Image | None = None
    enhanced: np.ndarray | None = None
    enhanced_preview: Image.Image | None = None
    pending: set[str] = field(default_factory=set)  # views being computed


@dataclass
class Session:
    current: OpenedImage | None = None
    classifier: Classifier | None = None
    model_error: str | None = None
    waiting_for_model: OpenedImage | None = None
    enhance_token: CancelToken | None = None

    def cancel_enhance(self) -> bool:
        """Ask a running enhancement to stop; True if there was one."""
        if self.enhance_token is None:
            return False
        self.enhance_token.cancel()
        return True

    def show(self, opened: OpenedImage) -> None:
        """`opened` becomes the picture on screen; an enhancement of another one stops."""
        self.cancel_enhance()
        self.current = opened

    def start_enhance(self) -> CancelToken | None:
        """A token for a new enhancement of the current picture, or None when there is no
        picture or one is already running."""
        if self.current is None or self.enhance_token is not None:
            return None
        self.enhance_token = CancelToken()
        return self.enhance_token

    def enhance_finished(self, token: CancelToken) -> bool:
        """Forget a finished enhancement; True if it was the running one."""
        if token is not self.enhance_token:
            return False
        self.enhance_token = None
        return True

    def begin_view(self, opened: OpenedImage, kind: str, done: bool) -> bool:
        """Whether to start computing view `kind` (not if it is done or already running)."""
        if done or kind in opened.pending:
            return False
        opened.pending.add(kind)
        return True

    @staticmethod
    def end_view(opened: OpenedImage, kind: str) -> None:
        opened.pending.discard(kind)

    def verdict_step(self, opened: OpenedImage) -> str:
        """What to do for `opened`'s verdict: "classify", "wait" for the model, or
        "no-model"."""
        if self.classifier is not None:
            return "classify"
        if self.model_error:
            return "no-model"
        self.waiting_for_model = opened
        return "wait"

    def model_loaded(self, classifier: Classifier) -> OpenedImage | None:
        """Use `classifier` from now on; returns the picture to judge again (the one waiting,
        else the one on screen), whose old verdict and heat map are dropped."""
        self.classifier, self.model_error = classifier, None
        target = self.waiting_for_model or self.current
        self.waiting_for_model = None
        if target is not None:
            target.verdict = target.heat_preview = None
        return target

    def model_failed(self, error: BaseException) -> bool:
        """A model failed to load: True when a working model stays in use."""
        if self.classifier is not None:
            return True
        self.model_error = str(error)
        return False
