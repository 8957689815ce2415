"""Files shipped beside the code (model/, assets/), found alike in a checkout, a frozen app and
an installed wheel; and the user's config folder, where newer copies of some can be put."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from platformdirs import user_config_dir

from .logs import APP_NAME

PACKAGE = Path(__file__).resolve().parent
#: Where a wheel installs the top-level folders (pyproject.toml maps them in as package data).
INSTALLED = {"model": PACKAGE / "bundled_model", "assets": PACKAGE / "bundled_assets"}


def resource_path(*parts: str) -> Path:
    """`parts` under the project root, PyInstaller's bundle folder when frozen, or the
    package's own copy when installed from a wheel."""
    root = Path(getattr(sys, "_MEIPASS", PACKAGE.parent))
    path = root.joinpath(*parts)
    if not path.exists() and parts and parts[0] in INSTALLED and INSTALLED[parts[0]].is_dir():
        return INSTALLED[parts[0]].joinpath(*parts[1:])
    return path


def config_dir() -> Path:
    """The user's config folder (settings, a newer C2PA trust list); `AIIC_CONFIG_DIR`
    overrides it (tests, portable installs)."""
    return Path(os.environ.get("AIIC_CONFIG_DIR") or user_config_dir(APP_NAME, appauthor=False))
