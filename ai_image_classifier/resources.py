"""Files shipped beside the code (model/, assets/), found alike in a checkout, a frozen app and
an installed wheel."""

from __future__ import annotations

import sys
from pathlib import Path

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
