"""One small class per model format (rembg's pattern).

`LiteRTBackend` runs the `.tflite` export with no TensorFlow, `KerasBackend` the canonical
`.keras` file (a user's retrained model), and `FlipAveragedBackend` wraps either when the
model's card asks for flip averaging.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .calibration import logit, sigmoid
from .cards import ModelLoadError
from .logs import native_stderr_to_log

log = logging.getLogger(__name__)


class ModelBackend(Protocol):
    input_size: int

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """P(fake) for an N×S×S×3 uint8 batch."""
        ...


class LiteRTBackend:
    """The fast runtime export: no TensorFlow needed."""

    def __init__(self, path: Path, num_threads: int | None = None) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:  # pragma: no cover - installed with the runtime
            raise ModelLoadError("the LiteRT runtime (ai-edge-litert) is not installed") from exc
        try:
            with native_stderr_to_log("LiteRT"):
                self._interpreter = Interpreter(model_path=str(path), num_threads=num_threads)
                self._interpreter.allocate_tensors()
        except Exception as exc:  # LiteRT raises ValueError or RuntimeError for damaged files
            log.error("cannot load %s", path, exc_info=True)
            raise ModelLoadError(f"{path.name}: not a valid LiteRT model "
                                 "(damaged or truncated?)") from exc
        self._input = self._interpreter.get_input_details()[0]
        self._output = self._interpreter.get_output_details()[0]
        self.input_size = int(self._input["shape"][1])
        self._batch = int(self._input["shape"][0])

    def predict(self, batch: np.ndarray) -> np.ndarray:
        if len(batch) != self._batch:
            self._interpreter.resize_tensor_input(self._input["index"], list(batch.shape))
            self._interpreter.allocate_tensors()
            self._batch = len(batch)
        self._interpreter.set_tensor(self._input["index"], batch.astype(np.float32))
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output["index"]).reshape(-1).copy()


class KerasBackend:
    """The canonical `.keras` model; needs TensorFlow (training requirements)."""

    def __init__(self, path: Path | None = None, model: Any = None) -> None:
        if model is None:
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up notes
            try:
                with native_stderr_to_log("TensorFlow"):
                    import keras
            except ImportError as exc:
                raise ModelLoadError(
                    "a .keras model needs TensorFlow: pip install -r requirements-train.txt"
                ) from exc
            try:
                model = keras.saving.load_model(path, compile=False, safe_mode=True)
            except Exception as exc:  # Keras raises many types for a damaged archive
                log.error("cannot load %s", path, exc_info=True)  # its text can be a whole config
                raise ModelLoadError(f"{Path(str(path)).name}: not a valid Keras model "
                                     "(damaged or truncated?)") from exc
        self.model = model
        self.input_size = int(model.input_shape[1])

    def predict(self, batch: np.ndarray) -> np.ndarray:
        output = self.model(batch.astype(np.float32), training=False)
        return np.asarray(output).reshape(-1)


class FlipAveragedBackend:
    """Test-time augmentation around any backend: the networks were trained on randomly
    mirrored faces, so an image and its mirror are equally good views of it; averaging their
    logits cancels part of the network's noise (measured on val in the model report)."""

    def __init__(self, backend: ModelBackend) -> None:
        self.backend = backend
        self.input_size = backend.input_size

    def predict(self, batch: np.ndarray) -> np.ndarray:
        both = logit(self.backend.predict(np.concatenate([batch, batch[:, :, ::-1]])))
        return sigmoid((both[:len(batch)] + both[len(batch):]) / 2)


def load_backend(path: Path, flip_average: bool = False) -> ModelBackend:
    """The backend for a model file, wrapped in flip averaging when its card asks for it."""
    if not path.is_file():
        raise ModelLoadError(f"model file not found: {path}")
    backend: ModelBackend
    if path.suffix == ".keras":
        backend = KerasBackend(path)
    elif path.suffix == ".tflite":
        backend = LiteRTBackend(path)
    else:
        raise ModelLoadError(f"{path.name}: unknown model type (expected .keras or .tflite)")
    return FlipAveragedBackend(backend) if flip_average else backend
