"""What the window holds about the picture on show, kept apart from the flows that fill it,
so that the views, the heat map and the flows share it without importing each other."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from ..enhance_settings import DenoiseDecision
from ..provenance import Provenance
from ..verdict import Verdict

if TYPE_CHECKING:
    from concurrent.futures import Future

    from ..classifier import PreparedPicture


@dataclass(frozen=True)
class HeatMap:
    preview: Image.Image
    kind: str  # "verdict" (the whole-picture detector's score) or "face" (the face network)
    final: bool = True  # False: the coarse map, shown while the fine one is computed


@dataclass(frozen=True)
class Enhanced:
    pixels: np.ndarray
    preview: Image.Image
    settings: Any  # EnhanceSettings: what made it, said wherever it is shown or saved
    denoise: DenoiseDecision | None = None  # what denoising did to this picture


@dataclass
class OpenedImage:
    path: Path
    rgb: np.ndarray  # upright: EXIF orientation applied
    preview: Image.Image
    report: Any  # forensics.FileReport
    provenance: Provenance = Provenance()
    orientation: int = 1  # the EXIF Orientation tag (1: stored upright)
    verdict: Verdict | None = None
    prepared: Future[PreparedPicture] | None = None  # its views, made while the model loads
    heat: HeatMap | None = None
    ela_preview: Image.Image | None = None
    enhanced: Enhanced | None = None
    pending: dict[str, int] = field(default_factory=dict)  # view → model generation computing it
    view_errors: dict[str, str] = field(default_factory=dict)
    progress: dict[str, str] = field(default_factory=dict)  # view → how far its computation is
    stopped: set[str] = field(default_factory=set)  # views whose computation was stopped
