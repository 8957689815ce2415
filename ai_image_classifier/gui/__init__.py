"""The CustomTkinter desktop app; it calls the runtime and never re-implements it.

The same program answers without a screen, so a build can be checked anywhere:
`AIImageClassifier --version`, `AIImageClassifier --classify IMG... [--json]` (the output of
`aiic classify`) and `--enhance IN OUT` (`aiic enhance` with its defaults);
`--exit-when-ready` opens the window, waits for the model and closes it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from .. import __version__
from .fonts import keep_fonts_in_app_folder

keep_fonts_in_app_folder()  # before CustomTkinter is first imported (it would write ~/.fonts)


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="AIImageClassifier",
        description="Open a picture to see whether it is a real photo or AI-generated or "
                    "edited, and enhance it. Without options, the window opens.",
        epilog="Everything runs on this computer; nothing is sent anywhere. The `aiic` "
               "command does the same from a terminal (aiic --help).")
    parser.add_argument("image", nargs="?", help="an image to open at start")
    parser.add_argument("--version", action="version", version=f"AIImageClassifier {__version__}")
    parser.add_argument("--classify", nargs="+", metavar="PATH",
                        help="print verdicts for files or folders and exit (no window)")
    parser.add_argument("--json", action="store_true", help="with --classify: JSON lines")
    parser.add_argument("--enhance", nargs=2, metavar=("IN", "OUT"),
                        help="enhance IN into OUT with the default settings and exit (no "
                             "window)")
    parser.add_argument("--model", help="a .keras or .tflite model instead of the bundled one")
    parser.add_argument("--exit-when-ready", action="store_true",
                        help="open the window, wait for the model (and the verdict on IMAGE), "
                             "print what happened, then close: a self-check for builds")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    if args.classify:
        from ..cli import main as cli_main

        options = ["--json"] if args.json else []
        options += ["--model", args.model] if args.model else []
        return cli_main(["classify", *args.classify, *options])
    if args.enhance:
        from ..cli import main as cli_main

        return cli_main(["enhance", args.enhance[0], "-o", args.enhance[1]])

    from ..allocator import return_freed_memory
    from ..logs import setup_logging
    from .model_flow import load_early

    setup_logging()
    return_freed_memory()  # the window lives long and holds large results: give pages back
    if _has_display():
        load_early(args.model)  # while the window's modules load and it is built
    from .dialogs import ConsoleDialogs
    from .window import App

    try:
        app = App(dialogs=ConsoleDialogs(None) if args.exit_when_ready else None,
                  model_path=args.model)
    except Exception as error:  # noqa: BLE001 - Tk raises TclError without a display
        if "display" not in str(error).lower():
            raise
        message = ("AIImageClassifier: no display to open a window on; use --classify or "
                   "--enhance here, or the `aiic` command")
        if sys.stderr is not None:
            print(message, file=sys.stderr)
        return 2
    if args.image:
        app.after(0, app.pictures.open, Path(args.image))
    check = SelfCheck(app, bool(args.image)) if args.exit_when_ready else None
    app.mainloop()
    return 0 if check is None or check.ok else 1


def _has_display() -> bool:
    """Whether a window can open here: only X11 and Wayland sessions say so beforehand."""
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class SelfCheck:
    """--exit-when-ready: wait for the model (and the verdict on the image), report, close."""

    TIMEOUT_S = 60

    def __init__(self, app, wants_image: bool) -> None:
        self.app, self.wants_image, self.ok = app, wants_image, False
        self.deadline = time.monotonic() + self.TIMEOUT_S
        app.after(0, self.poll)

    def poll(self) -> None:
        app = self.app
        models, current = app.models, app.pictures.current
        model_pending = models.classifier is None and not models.error
        verdict_pending = models.classifier is not None and (
            current is None or current.verdict is None)
        image_failed = bool(app.dialogs.errors)
        waiting = model_pending or (self.wants_image and verdict_pending and not image_failed)
        if waiting and time.monotonic() < self.deadline:
            app.after(20, self.poll)
            return
        self.ok = models.classifier is not None
        print("window up; model " + ("ready" if self.ok else f"failed: {models.error}"),
              flush=True)
        if current is not None and current.verdict is not None:
            verdict = current.verdict
            print(f"verdict: {verdict.text} (P(fake)={verdict.probability:.3f})", flush=True)
        elif self.wants_image:
            self.ok = False
            print("verdict: none", flush=True)
        app.close()
