"""AI Image Classifier & Enhancer: the runtime (decoding, classification, enhancement).

This package never imports a GUI toolkit or the `training` package, so the CLI, the
desktop app and a frozen build all share it.
"""

import os

__version__ = "0.1.0"

# onnxruntime's builds carry Microsoft's telemetry: on first use it writes a device id and
# queues events under ~/.cache/Microsoft for upload, unless this is set before the library
# loads (it treats CI=true the same way, which is why tests run with CI unset too). Every
# entry point (window, CLI, frozen app, training) imports this package first.
os.environ["ORT_DISABLE_TELEMETRY"] = "1"
