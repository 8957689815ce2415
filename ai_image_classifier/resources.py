"""Files shipped beside the code (model/, assets/), found alike in a checkout and a frozen app."""

from __future__ import annotations

import sys
from pathlib import Path


def resource_path(*parts: str) -> Path:
    """`parts` under the project root, or under PyInstaller's bundle folder when frozen."""
    root = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parent.parent))
    return root.joinpath(*parts)
