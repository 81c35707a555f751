"""Source-adversarial training's two pieces that live in the training loop (fifth recipe).

The hospital head and its gradient reversal are in ``training.model``; the hospital targets in
``training.sources``. Here: the evaluation sets' empty hospital targets, and the ramp that lets
the hospital head learn before its reversed gradient reaches the features."""

from __future__ import annotations

import numpy as np

RAMP = 5  # epochs over which the reversed gradient grows from 0 to --adversarial


def no_hospital_target(targets: dict, weights: dict) -> None:
    """Validation sets carry a hospital target of weight 0 (Keras wants one per output)."""
    n = len(targets["logit"])
    targets["hospital"] = np.zeros(n, np.int32)
    weights["hospital"] = np.zeros(n, np.float32)


def reversal_ramp(model, top: float):
    """Let the hospital head learn first, then reverse its gradient into the features, growing."""
    import keras

    layer = model.get_layer("reverse")

    def begin(epoch: int, logs=None) -> None:
        layer.scale.assign(top * min(1.0, epoch / RAMP))

    return keras.callbacks.LambdaCallback(on_epoch_begin=begin)
