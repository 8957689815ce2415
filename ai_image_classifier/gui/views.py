"""What each view of the picture area shows, and the line under it (Tk-free).

The heat map says honestly which network it explains: with the whole-picture detector, the
map is of the verdict's own score (tiles of the whole picture hidden in turn); with a face
network alone, of where that network looked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:
    from .state import OpenedImage

View = Literal["Original", "Enhanced", "Compare", "Heatmap", "ELA"]
VIEWS: tuple[View, ...] = get_args(View)
PIXEL_VIEWS: tuple[View, ...] = ("Original", "Enhanced", "Compare")  # these zoom to 100 %
#: What the picture area shows ("" = a message instead), and what must be computed first.
Picture = Literal["", "original", "enhanced", "compare", "heat", "ela"]
Computed = Literal["", "heat", "ela"]
ZOOM_NOTE = "100 %: drag the picture to move around."
HEAT_CAPTIONS = {
    "verdict": "Where the verdict's score depends most (brighter = more): each of 4 × 4 tiles "
               "of the whole picture hidden in turn. A coarse map of what the detector relies "
               "on, not of what is fake.",
    "face": "Where the face network looked (brighter = hiding it changes its score more). "
            "This is not a map of what is fake.",
}
HEAT_LEGEND = ("Little", "Much effect on the score")
HEAT_WORKING = "Computing the heat map: {progress}. Esc stops it."
HEAT_REFINING = "Coarse map (2 × 2) while the finer one is computed: {progress}. Esc stops it."
HEAT_STOPPED = "The heat map was stopped. Choose another view, then Heatmap, to compute it."
HEAT_COARSE_KEPT = "Coarse map (2 × 2): refining was stopped."
ELA_CAPTION = ("Error level analysis: regions that re-compress differently stand out. Edges "
               "and textures are bright in real photos too.")
NO_ENHANCED = "Enhance the image to see this view (Enhance tab)."


@dataclass(frozen=True)
class ViewPlan:
    picture: Picture = ""  # "" = `message`
    note: str = ""  # the line under the picture
    message: str = ""  # centred text when there is no picture
    compute: Computed = ""  # the view to compute first
    zoomable: bool = False  # whether "100 %" applies to this view
    outline_face: bool = False


def plan(view: View, opened: OpenedImage | None, *, model_ready: bool, zoomed: bool,
         enhanced_note: str = "", drop: bool = False) -> ViewPlan:
    """The plan for `view` of `opened`; `enhanced_note` says what made the enhanced picture
    (and whether it is from other settings than those now chosen)."""
    if opened is None:
        return ViewPlan(message="Open an image (Ctrl+O)" + (" or drop it here" if drop else ""))
    zoom_note = ZOOM_NOTE if zoomed else ""
    if view == "Original":
        face = opened.verdict is not None and opened.verdict.face is not None
        note = "Outlined: the area the face network judged, around the face it found. " \
            if face and not zoomed else ""
        return ViewPlan("original", (note + zoom_note).strip(), zoomable=True,
                        outline_face=face)
    if view in PIXEL_VIEWS:
        if opened.enhanced is None:
            return ViewPlan(message=NO_ENHANCED, note=NO_ENHANCED, zoomable=True)
        slider = "Drag the slider: original on the left, enhanced on the right. " \
            if view == "Compare" else ""
        return ViewPlan(view.lower(), " ".join(filter(None, (slider + enhanced_note,
                                                                 zoom_note))).strip(),
                        zoomable=True)
    kind = "heat" if view == "Heatmap" else "ela"
    error = opened.view_errors.get(kind)
    if error:
        return ViewPlan(message="This view could not be computed.",
                        note=f"Could not compute this view: {error}")
    if kind == "heat":
        return _heat_plan(opened, model_ready)
    if opened.ela_preview is None:
        return ViewPlan(message="Working…", compute="ela", note=ELA_CAPTION)
    return ViewPlan("ela", ELA_CAPTION)


def _heat_plan(opened: OpenedImage, model_ready: bool) -> ViewPlan:
    """The heat map, coarse first, with its progress; or why there is none."""
    heat, stopped = opened.heat, "heat" in opened.stopped
    progress = opened.progress.get("heat") or "starting"
    compute = "" if stopped or (heat is not None and heat.final) else "heat"
    if heat is None and not model_ready:
        return ViewPlan(message="The heat map needs the model, which is not loaded.")
    if heat is None:
        return ViewPlan(message=HEAT_STOPPED if stopped else HEAT_WORKING.format(
            progress=progress), compute=compute)
    caption = HEAT_CAPTIONS[heat.kind]
    if not heat.final:
        caption += " " + (HEAT_COARSE_KEPT if stopped else HEAT_REFINING.format(
            progress=progress))
    return ViewPlan("heat", caption, compute=compute)
