"""The heat map and ELA views' pictures (Tk-free).

The verdict's heat map takes seconds (each hidden tile is one more run of the whole-picture
detector), so it comes coarse first (2 × 2 tiles, a quarter of the work), then refined
(4 × 4), with progress all along; it stops between rows of tiles when asked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from ..classifier import Classifier
from .formatting import make_preview
from .state import HeatMap

if TYPE_CHECKING:
    from .state import OpenedImage

COARSE_GRID, FINE_GRID = 2, 4
#: Runs of the detector for the whole map: the picture as it is, then each hidden tile.
RUNS = 1 + COARSE_GRID ** 2 + FINE_GRID ** 2


def heat_map(classifier: Classifier, opened: OpenedImage, should_stop: Callable[[], bool],
             progress: Callable[[float], None] = lambda _: None,
             draft: Callable[[HeatMap], None] = lambda _: None) -> HeatMap:
    """The heat map of the network that decides: the verdict's own score when the
    whole-picture detector is on (`draft` gets the coarse map, `progress` the share of the
    runs done, `should_stop` ends it with `InterruptedError`), else the face network's."""
    from ..explain import base_score, occlusion_map, overlay_heatmap, verdict_occlusion_map

    preview = np.asarray(opened.preview)
    if classifier.general is None:
        heat, region = occlusion_map(classifier, opened.rgb)
        return HeatMap(Image.fromarray(overlay_heatmap(preview, heat, region=region)), "face")
    base = base_score(classifier, preview)
    done = 1
    progress(done / RUNS)
    for grid in (COARSE_GRID, FINE_GRID):
        heat = verdict_occlusion_map(
            classifier, preview, grid, should_stop, base=base,
            progress=lambda share, before=done, runs=grid ** 2: progress(
                (before + share * runs) / RUNS))
        done += grid ** 2
        shown = HeatMap(Image.fromarray(overlay_heatmap(preview, heat)), "verdict",
                        final=grid == FINE_GRID)
        if not shown.final:
            draft(shown)
    return shown


def ela(opened: OpenedImage) -> Image.Image:
    """On the full-resolution pixels: the JPEG 8×8 grid that error-level analysis relies on
    does not survive the preview's downscaling. Only the result is shrunk for show."""
    from ..forensics import error_level_analysis

    return make_preview(error_level_analysis(opened.rgb))
