"""Start the desktop app: `python app.py [IMAGE]`."""

import sys

from ai_image_classifier.gui import main

if __name__ == "__main__":
    sys.exit(main())
