"""User settings (theme, folders, recent files, window size) in the platform's config folder."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from platformdirs import user_config_dir, user_pictures_dir

from ..saving import atomic_write

APP_NAME = "AIImageClassifier"
RECENT_LIMIT = 8


def settings_path() -> Path:
    """`AIIC_CONFIG_DIR` overrides the location (tests, portable installs)."""
    folder = os.environ.get("AIIC_CONFIG_DIR") or user_config_dir(APP_NAME, appauthor=False)
    return Path(folder) / "settings.json"


@dataclass
class Settings:
    theme: str = "System"  # System | Light | Dark
    last_folder: str = ""
    last_save_folder: str = ""
    recent_files: list[str] = field(default_factory=list)
    geometry: str = "1280x800"
    jpeg_quality: int = 95

    @classmethod
    def load(cls) -> Settings:
        """Defaults when the file is missing or damaged: settings must never stop the app."""
        try:
            data = json.loads(settings_path().read_text(encoding="utf-8"))
            known = {f.name for f in fields(cls)}
            return cls(**{key: value for key, value in data.items() if key in known})
        except (OSError, ValueError, TypeError):
            return cls()

    def save(self) -> None:
        path = settings_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_write(path, "w", encoding="utf-8") as handle:
                json.dump(asdict(self), handle, indent=2)
        except OSError:
            pass  # a read-only profile loses settings, not the session

    @property
    def start_folder(self) -> str:
        """Where dialogs open: the last folder used, else Pictures, else home; never the
        folder the program happens to run from."""
        for folder in (self.last_folder, user_pictures_dir(), str(Path.home())):
            if folder and Path(folder).is_dir():
                return folder
        return ""

    def recent_entries(self) -> dict[str, str]:
        """Menu label → path for recent files that still exist: the file's name, with its
        folder's name when two share a name."""
        existing = [p for p in self.recent_files if Path(p).is_file()]
        names = [Path(p).name for p in existing]
        return {(Path(p).name if names.count(Path(p).name) == 1
                 else f"{Path(p).name} ({Path(p).parent.name})"): p for p in existing}

    def remember(self, path: Path) -> None:
        entry = str(path)
        self.recent_files = [entry] + [p for p in self.recent_files if p != entry]
        del self.recent_files[RECENT_LIMIT:]
        self.last_folder = str(path.parent)
