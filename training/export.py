"""Export a Keras model to LiteRT (`.tflite`), the format the app runs without TensorFlow."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from ai_image_classifier.backends import LiteRTBackend


def export_tflite(model: keras.Model, path: Path) -> Path:
    """Float32 export with a dynamic batch dimension."""
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    path.write_bytes(converter.convert())
    return path


def parity(model: keras.Model, path: Path, batch: np.ndarray) -> float:
    """Largest |P_keras − P_litert| over `batch`: the two must agree to serve the same verdicts."""
    expected = np.asarray(model(batch.astype(np.float32), training=False)).reshape(-1)
    actual = LiteRTBackend(path).predict(batch)
    return float(np.max(np.abs(expected - actual)))
