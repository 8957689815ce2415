"""The `aiic` command as a script: the frozen build's console program (aiic.exe on Windows,
where the windowed app has no console to print to)."""

import sys

from ai_image_classifier.cli import main

if __name__ == "__main__":
    sys.exit(main())
