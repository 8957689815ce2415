"""Enhance one file or a whole folder into another, for the CLI and the scan window alike.

A folder keeps its structure under the output folder. Outputs that exist are skipped unless
the caller allows overwriting, an input is never written over, and one bad file becomes that
file's error while the rest go on.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .datasets import iter_image_files
from .enhance import Cancelled, EnhanceSettings, check_output_size, enhance, plan_denoise
from .imaging import ImageDecodeError, load_rgb, one_line, open_header, read_file
from .metadata import enhancement_steps
from .saving import FORMAT_BY_SUFFIX, SaveCancelled, SaveError, read_metadata, save_image
from .superres import UpscalerLoadError

log = logging.getLogger(__name__)


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
    """Where `relative` goes under `out_dir`: its own suffix when we can write that type,
    else PNG after its own suffix ("a.gif" → "a.gif.png"), so that "a.gif" and "a.png" in one
    folder do not both become "a.png"."""
    if suffix is None:
        if relative.suffix.lower() in FORMAT_BY_SUFFIX:
            return out_dir / relative
        return out_dir / relative.with_name(relative.name + ".png")
    return out_dir / relative.with_suffix(suffix)


def plan_folder(root: Path, out_dir: Path, suffix: str | None = None,
                sources: Iterable[Path] | None = None) -> list[BatchItem]:
    """Every image under `root` (or just `sources`, all under `root`), mapped into `out_dir`.

    Files already inside `out_dir` are left out, so enhancing a folder into a sub-folder of
    itself never enhances its own results.
    """
    out_resolved = out_dir.resolve()
    items, planned = [], set()
    for source in sources if sources is not None else iter_image_files([root]):
        if out_resolved in source.resolve().parents:
            continue
        relative = source.relative_to(root)
        target = target_in(out_dir, relative, suffix)
        if target in planned:  # "a.gif" and "a.png" asked to become PNG: keep both
            target = out_dir / relative.with_name(relative.name + target.suffix)
        planned.add(target)
        items.append(BatchItem(source, target))
    return items


def enhance_file(item: BatchItem, settings: EnhanceSettings, *, overwrite: bool = False,
                 quality: int = 95, should_stop: Callable[[], bool] | None = None
                 ) -> BatchResult:
    """Enhance one file into its target; the result's message says its size and what
    denoising did. Every failure that concerns this file is reported in the result, not
    raised (`Cancelled` and model-load errors still propagate)."""
    if is_same_file(item.source, item.target):
        return BatchResult(item, "error", "the output must not be the input file (or a link "
                                          "to it)")
    if item.target.exists() and not overwrite:
        return BatchResult(item, "skipped", "the output exists (allow overwriting to replace)")
    try:
        with open_header(item.source) as header:
            check_output_size(header.size, settings)  # before reading a single pixel
        data = read_file(item.source)  # once: the pixels and the metadata of one file
        metadata = read_metadata(data)
        image = load_rgb(data)
        decision = plan_denoise(image, settings.denoise)
        result = enhance(image, settings, should_stop=should_stop, decision=decision)
        item.target.parent.mkdir(parents=True, exist_ok=True)
        saved = save_image(result, item.target, overwrite=overwrite, quality=quality,
                           metadata=metadata, should_stop=should_stop,
                           steps=enhancement_steps(settings.scale, decision.strength > 0))
    except (UpscalerLoadError, Cancelled):
        raise
    except SaveCancelled:
        raise Cancelled from None
    except (ImageDecodeError, SaveError, FileExistsError, OSError, ValueError) as error:
        return BatchResult(item, "error", one_line(error))
    except MemoryError:
        return BatchResult(item, "error", "not enough memory for this image at this scale")
    except Exception as error:  # noqa: BLE001 - one file's fault never ends a batch
        log.exception("enhancing %s failed", item.source)
        return BatchResult(item, "error", f"could not be enhanced ({type(error).__name__}; "
                                          "details in the log)")
    said = f"{result.shape[1]}×{result.shape[0]}; {decision.description}"
    return BatchResult(item, "done", f"{said}; {saved.note}" if saved.note else said)


def is_same_file(source: Path, target: Path) -> bool:
    """True when writing `target` would write over `source` (same path, link or hard link)."""
    try:
        return target.exists() and os.path.samefile(source, target)
    except OSError:
        return False


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
