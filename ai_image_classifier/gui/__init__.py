"""The CustomTkinter desktop app; it calls the runtime and never re-implements it."""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Open the window; an image path given on the command line is opened at once."""
    from .window import App

    args = sys.argv[1:] if argv is None else argv
    app = App()
    if args:
        app.after(0, app.open_path, Path(args[0]))
    app.mainloop()
    return 0
