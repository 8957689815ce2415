"""AI Image Classifier & Enhancer: the runtime (decoding, classification, enhancement).

This package never imports a GUI toolkit or the `training` package, so the CLI, the
desktop app and a frozen build all share it.
"""

__version__ = "0.1.0"
