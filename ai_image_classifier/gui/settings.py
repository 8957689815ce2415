"""User settings in the platform's config folder: theme, folders, recent files, window size,
the last save type and the Enhance tab's choices.

Every field is checked when read: a damaged or hand-edited `settings.json` (`[]`,
`{"geometry": 5}`) falls back to the defaults, field by field, with a line in the log, and can
never stop the app or reach a widget.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from platformdirs import user_pictures_dir

from ..enhance_settings import DENOISE_MODES, METHODS, SCALES, EnhanceSettings
from ..file_types import WRITE_FORMATS
from ..saving import atomic_write
from ..user_dirs import config_dir

log = logging.getLogger(__name__)

RECENT_LIMIT = 8
THEMES = ("System", "Light", "Dark")
SAVE_TYPES = tuple(dict.fromkeys(name for _, name in WRITE_FORMATS.values()))
#: The custom denoise strengths the Enhance tab's slider offers.
STRENGTHS = (1.0, 30.0)
_GEOMETRY = re.compile(r"(\d{2,5})x(\d{2,5})")


class _WriteOrder:
    """Orders writes of settings snapshots made from several threads (the window writes on
    closing while an earlier open's write may still run in a worker): each snapshot is
    numbered when taken, writes are serialised, and one older than what the file already
    holds is dropped, so a stale snapshot is never written last. Taking a snapshot never
    waits for a disk write, so the window does not either."""

    def __init__(self) -> None:
        self.numbering = threading.Lock()
        self.writing = threading.Lock()
        self.taken = 0
        self.written = 0

    def snapshot(self, settings: Settings) -> tuple[int, str]:
        """The settings' text and its number, taken together."""
        with self.numbering:
            self.taken += 1
            return self.taken, json.dumps(asdict(settings), indent=2)


_WRITE_ORDER = _WriteOrder()


def settings_path() -> Path:
    return config_dir() / "settings.json"


def _text(value: Any) -> bool:
    return isinstance(value, str) and "\0" not in value


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _geometry(value: Any) -> bool:
    match = _GEOMETRY.fullmatch(value) if isinstance(value, str) else None
    return bool(match) and all(200 <= int(side) <= 20000 for side in match.groups())


def _one_of(options: Any) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, str) and value in options


def _denoise(value: Any) -> bool:
    low, high = STRENGTHS
    return _one_of(DENOISE_MODES)(value) or (_number(value) and low <= value <= high)


#: Each field's check, and what it must be (for the log line).
CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "theme": (_one_of(THEMES), f"one of {', '.join(THEMES)}"),
    "last_folder": (_text, "a folder"),
    "last_save_folder": (_text, "a folder"),
    "last_output_folder": (_text, "a folder"),
    "last_save_type": (_one_of(("", *SAVE_TYPES)), f"one of {', '.join(SAVE_TYPES)}"),
    "recent_files": (lambda v: isinstance(v, list) and all(_text(p) for p in v),
                     "a list of file names"),
    "geometry": (_geometry, "WIDTHxHEIGHT, e.g. 1280x800"),
    "jpeg_quality": (lambda v: isinstance(v, int) and not isinstance(v, bool)
                     and 50 <= v <= 100, "a whole number from 50 to 100"),
    "enhance_method": (_one_of(METHODS), f"one of {', '.join(METHODS)}"),
    "enhance_scale": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v in SCALES,
                      f"one of {', '.join(map(str, SCALES))}"),
    "enhance_denoise": (_denoise, f"one of {', '.join(DENOISE_MODES)} or a strength from "
                                  f"{STRENGTHS[0]:.0f} to {STRENGTHS[1]:.0f}"),
}


@dataclass
class Settings:
    theme: str = "System"
    last_folder: str = ""
    last_save_folder: str = ""
    last_output_folder: str = ""  # where "Enhance all…" last wrote
    last_save_type: str = ""  # none yet: the first save offers the original's type
    recent_files: list[str] = field(default_factory=list)
    geometry: str = "1280x800"
    jpeg_quality: int = 95
    enhance_method: str = "learned"
    enhance_scale: int = 2
    enhance_denoise: str | float = "auto"

    @classmethod
    def load(cls) -> Settings:
        """The saved settings; defaults, with a log line, for whatever is missing or wrong."""
        path = settings_path()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as error:
            log.warning("%s is unreadable (%s); using the default settings", path, error)
            return cls()
        if not isinstance(data, dict):
            log.warning("%s does not hold an object; using the default settings", path)
            return cls()
        return cls(**checked(data, str(path)))

    def save(self) -> None:
        self.writer()()

    def writer(self) -> Callable[[], None]:
        """Writes the settings as they are now, from any thread (its disk write and fsync
        need not hold up the window); a newer snapshot already written wins."""
        version, text = _WRITE_ORDER.snapshot(self)

        def write() -> None:
            path = settings_path()
            with _WRITE_ORDER.writing:
                if version < _WRITE_ORDER.written:
                    return
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    with atomic_write(path, "w", encoding="utf-8") as handle:
                        handle.write(text)
                except OSError as error:  # a read-only profile loses settings, not the session
                    log.warning("settings not saved: %s", error)
                    return
                _WRITE_ORDER.written = version

        return write

    @property
    def start_folder(self) -> str:
        """Where dialogs open: the last folder used, else Pictures, else home; never the
        folder the program happens to run from."""
        return first_folder(self.last_folder, user_pictures_dir(), str(Path.home()))

    @property
    def enhance_settings(self) -> EnhanceSettings:
        return EnhanceSettings(self.enhance_method, self.enhance_scale, self.enhance_denoise)

    def remember_enhance(self, settings: EnhanceSettings) -> None:
        self.enhance_method, self.enhance_denoise = settings.method, settings.denoise
        self.enhance_scale = int(settings.scale)

    def recent_entries(self) -> dict[str, str]:
        """Menu label → path for recent files that still exist: the file's name and where it
        is (home shortened to ~), so that two photos called IMG_0001.jpg are told apart."""
        home = Path.home()
        entries = {}
        for entry in self.recent_files:
            path = Path(entry)
            if not path.is_file():
                continue
            folder = path.parent
            shown = str(folder)
            if folder.is_relative_to(home):
                shown = str(Path("~", folder.relative_to(home)))
            entries[f"{path.name}  —  {shown}"] = entry
        return entries

    def remember(self, path: Path) -> None:
        entry = str(path)
        self.recent_files = [entry] + [p for p in self.recent_files if p != entry]
        del self.recent_files[RECENT_LIMIT:]
        self.last_folder = str(path.parent)


def first_folder(*candidates: str) -> str:
    """The first of `candidates` that is an existing folder ("" when none is)."""
    return next((folder for folder in candidates if folder and Path(folder).is_dir()), "")


def checked(data: dict[str, Any], where: str) -> dict[str, Any]:
    """The fields of `data` that pass their check; each one that does not is logged and left
    to its default, as are unknown keys."""
    known = {f.name for f in fields(Settings)}
    kept = {}
    for key, value in data.items():
        if key not in known:
            log.info("%s: unknown setting %r ignored", where, key)
            continue
        check, wanted = CHECKS[key]
        if check(value):
            kept[key] = list(value) if isinstance(value, list) else value
        else:
            log.warning("%s: %r must be %s, not %s; using the default", where, key, wanted,
                        json.dumps(value)[:60])
    return kept
