"""User settings (theme, folders, recent files, window size) in the platform's config folder."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from platformdirs import user_config_dir

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

    def remember(self, path: Path) -> None:
        entry = str(path)
        self.recent_files = [entry] + [p for p in self.recent_files if p != entry]
        del self.recent_files[RECENT_LIMIT:]
        self.last_folder = str(path.parent)
