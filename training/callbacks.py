"""Callbacks beyond Keras's own."""

from __future__ import annotations

import keras


class CustomEarlyStopping(keras.callbacks.Callback):
    """Stop as soon as a monitored metric reaches a target (the seed stops at val accuracy 0.93).

    Used together with `keras.callbacks.EarlyStopping`, because on our data the seed network
    never reaches 0.93 and would otherwise run for every epoch.
    """

    def __init__(self, target: float = 0.93, monitor: str = "val_accuracy") -> None:
        super().__init__()
        self.target = target
        self.monitor = monitor
        self.stopped_epoch: int | None = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        value = (logs or {}).get(self.monitor)
        if value is not None and value >= self.target:
            self.stopped_epoch = epoch
            self.model.stop_training = True
