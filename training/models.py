"""Model builders. Preprocessing (scaling) and augmentation are layers inside the model, so a
saved model carries them and serving cannot drift from training (keras-io's pattern).
Augmentation layers are identity at inference, so exports contain only the network."""

from __future__ import annotations

import keras
from keras import layers


def seed_augmentation(seed: int | None = None) -> keras.Sequential:
    """The seed app's augmentation: flips, small rotations and zooms."""
    return keras.Sequential(
        [
            # Each layer its own seed: with one seed for all three, their random draws were
            # the same numbers, so flips, rotations and zooms always came together.
            layers.RandomFlip("horizontal", seed=seed),
            layers.RandomRotation(0.1, seed=None if seed is None else seed + 1),
            layers.RandomZoom(0.1, seed=None if seed is None else seed + 2),
        ],
        name="augmentation",
    )


def build_seed_model(
    input_size: int = 32, hidden_units: int = 128, dropout: float = 0.25, seed: int | None = None
) -> keras.Model:
    """The seed network: three Conv2D blocks (16, 32, 64 filters), each followed by
    MaxPooling2D and BatchNormalization; Dropout 0.25; Flatten; a hidden Dense; a sigmoid unit
    giving P(fake). Inputs are uint8-range RGB; `Rescaling` maps them to [0, 1]."""
    inputs = keras.Input((input_size, input_size, 3), name="image")
    x = layers.Rescaling(1.0 / 255, name="rescale")(inputs)
    x = seed_augmentation(seed)(x)
    for filters in (16, 32, 64):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D()(x)
        x = layers.BatchNormalization()(x)
    x = layers.Dropout(dropout)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(hidden_units, activation="relu")(x)
    outputs = layers.Dense(1, activation="sigmoid", name="p_fake")(x)
    return keras.Model(inputs, outputs, name="seed_cnn")


def build_mobilenet_model(
    input_size: int = 128, weights: str | None = None, dropout: float = 0.2,
    seed: int | None = None
) -> keras.Model:
    """ImageNet MobileNetV2 (weights from a local file, e.g. ../shared/weights) with a sigmoid
    head. The base starts frozen; it is always called with training=False so its batch-norm
    statistics stay those of ImageNet while fine-tuning (the file's folded batch norm is exact
    only in inference mode). Inputs are uint8-range RGB, scaled to [-1, 1] inside the model."""
    inputs = keras.Input((input_size, input_size, 3), name="image")
    x = layers.Rescaling(1.0 / 127.5, offset=-1.0, name="rescale")(inputs)
    x = seed_augmentation(seed)(x)
    base = keras.applications.MobileNetV2(include_top=False, input_shape=(input_size,) * 2 + (3,),
                                          pooling="avg", weights=weights)
    base.trainable = False
    x = base(x, training=False)
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(1, activation="sigmoid", name="p_fake")(x)
    return keras.Model(inputs, outputs, name="mobilenet_v2")


def build_residual_model(
    input_size: int = 128, widths: tuple[int, ...] = (48, 96, 192), dropout: float = 0.3,
    seed: int | None = None
) -> keras.Model:
    """A small network trained from scratch: residual blocks of depthwise-separable
    convolutions (keras-io's mini-Xception). Unlike an ImageNet base it has no features tuned
    to recognise objects, so it may keep more of the pixel-level traces edits leave. Inputs
    are uint8-range RGB, scaled to [0, 1] inside the model."""
    inputs = keras.Input((input_size, input_size, 3), name="image")
    x = layers.Rescaling(1.0 / 255, name="rescale")(inputs)
    x = seed_augmentation(seed)(x)
    x = layers.Conv2D(32, 3, strides=2, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    previous = x
    for filters in widths:
        for _ in range(2):
            x = layers.Activation("relu")(x)
            x = layers.SeparableConv2D(filters, 3, padding="same", use_bias=False)(x)
            x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        shortcut = layers.Conv2D(filters, 1, strides=2, padding="same")(previous)
        x = previous = layers.add([x, shortcut])
    x = layers.SeparableConv2D(widths[-1] * 3 // 2, 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(1, activation="sigmoid", name="p_fake")(x)
    return keras.Model(inputs, outputs, name="residual_cnn")


def compile_model(model: keras.Model, learning_rate: float) -> keras.Model:
    """Adam + binary cross-entropy with the seed's metrics."""
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.BinaryCrossentropy(),
        metrics=[
            keras.metrics.BinaryAccuracy(name="accuracy"),
            keras.metrics.Precision(name="precision"),
            keras.metrics.Recall(name="recall"),
            keras.metrics.AUC(name="auc"),
        ],
    )
    return model


def unfreeze_all(model: keras.Model) -> keras.Model:
    """Fine-tuning (seed §6): every layer trainable again, before a low-learning-rate run."""
    model.trainable = True
    for layer in model.layers:
        layer.trainable = True
    return model
