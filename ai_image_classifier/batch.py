"""Enhance one file or a whole folder into another, for the CLI and the scan window alike.

A folder keeps its structure under the output folder. Outputs that exist are skipped unless
the caller allows overwriting, an input is never written over, and one bad file becomes that
file's error while the rest go on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .datasets import iter_image_files
from .enhance import EnhanceSettings, enhance
from .imaging import ImageDecodeError, load_rgb
from .saving import FORMAT_BY_SUFFIX, SaveError, read_metadata, save_image
from .superres import UpscalerLoadError


@dataclass(frozen=True)
class BatchItem:
    source: Path
    target: Path


@dataclass(frozen=True)
class BatchResult:
    item: BatchItem
    status: str  # "done", "skipped" or "error"
    message: str = ""


def target_in(out_dir: Path, relative: Path, suffix: str | None) -> Path:
    """Where `relative` goes under `out_dir`: its own suffix when we can write that type."""
    if suffix is None:
        suffix = relative.suffix if relative.suffix.lower() in FORMAT_BY_SUFFIX else ".png"
    return out_dir / relative.with_suffix(suffix)


def plan_folder(root: Path, out_dir: Path, suffix: str | None = None,
                sources: Iterable[Path] | None = None) -> list[BatchItem]:
    """Every image under `root` (or just `sources`, all under `root`), mapped into `out_dir`.

    Files already inside `out_dir` are left out, so enhancing a folder into a sub-folder of
    itself never enhances its own results.
    """
    out_resolved = out_dir.resolve()
    items = []
    for source in sources if sources is not None else iter_image_files([root]):
        if out_resolved in source.resolve().parents:
            continue
        items.append(BatchItem(source, target_in(out_dir, source.relative_to(root), suffix)))
    return items


def enhance_file(item: BatchItem, settings: EnhanceSettings, *, overwrite: bool = False,
                 quality: int = 95, should_stop: Callable[[], bool] | None = None
                 ) -> BatchResult:
    """Enhance one file into its target; every failure that concerns this file is reported
    in the result, not raised (`Cancelled` and model-load errors still propagate)."""
    if item.target.exists() and item.target.resolve() == item.source.resolve():
        return BatchResult(item, "error", "the output must not be the input file")
    if item.target.exists() and not overwrite:
        return BatchResult(item, "skipped", "the output exists (allow overwriting to replace)")
    try:
        image = load_rgb(item.source)
        result = enhance(image, settings, should_stop=should_stop)
        item.target.parent.mkdir(parents=True, exist_ok=True)
        save_image(result, item.target, overwrite=overwrite, quality=quality,
                   metadata=read_metadata(item.source))
    except UpscalerLoadError:
        raise
    except (ImageDecodeError, SaveError, FileExistsError, OSError, ValueError) as error:
        return BatchResult(item, "error", str(error))
    return BatchResult(item, "done", f"{result.shape[1]}×{result.shape[0]}")


def enhance_batch(items: list[BatchItem], settings: EnhanceSettings, *,
                  overwrite: bool = False, quality: int = 95,
                  should_stop: Callable[[], bool] | None = None,
                  on_each: Callable[[BatchResult], object] | None = None) -> list[BatchResult]:
    """`enhance_file` for each item in turn; `should_stop` ends the batch between and within
    files by raising `Cancelled`, leaving the files already written."""
    results = []
    for item in items:
        result = enhance_file(item, settings, overwrite=overwrite, quality=quality,
                              should_stop=should_stop)
        results.append(result)
        if on_each:
            on_each(result)
    return results
