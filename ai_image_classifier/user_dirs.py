"""The only folders the app writes on its own: the user's config folder and log folder.

Both follow the platform's rules (`platformdirs`); `AIIC_CONFIG_DIR` and `AIIC_LOG_DIR`
override them (tests, portable installs).
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "AIImageClassifier"


def config_dir() -> Path:
    override = os.environ.get("AIIC_CONFIG_DIR")
    if override:
        return Path(override)
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    override = os.environ.get("AIIC_LOG_DIR")
    if override:
        return Path(override)
    from platformdirs import user_log_dir

    return Path(user_log_dir(APP_NAME, appauthor=False))
