"""The learned scope gate: a small CNN on the main model's input, pooled (112x112 as shipped).

It is trained on pooled arrays (cheap) and exported with the pooling in front,
so the shipped gate takes the very batch the main model takes and runs beside
it in the same pipeline, not as a second pass over the files.
"""

from __future__ import annotations

import keras
from keras import layers

from pneumoscan.scope.classes import GATE_CLASSES
from training.model import conv_bn_relu
from training.scope_data import POOL


def build_gate(
    size: int = 224 // POOL, dropout: float = 0.3, n_classes: int = len(GATE_CLASSES)
) -> keras.Model:
    """(size, size, 1) pooled input -> class logits; a strided stem brings any size to 56.

    Augmentation lives in ``augmenter``.
    """
    inp = keras.Input((size, size, 1), name="pooled")
    x = conv_bn_relu(inp, 24, stride=max(1, size // 56), kernel=5, name="g0")
    x = layers.MaxPooling2D(2, name="g0_pool")(x)  # 28
    x = conv_bn_relu(x, 48, name="g1a")
    x = conv_bn_relu(x, 48, name="g1b")
    x = layers.MaxPooling2D(2, name="g1_pool")(x)  # 14
    x = conv_bn_relu(x, 96, name="g2a")
    x = conv_bn_relu(x, 96, name="g2b")
    x = layers.MaxPooling2D(2, name="g2_pool")(x)  # 7
    x = conv_bn_relu(x, 128, name="g3")
    x = layers.GlobalAveragePooling2D(name="g_gap")(x)
    x = layers.Dropout(dropout, name="g_drop")(x)
    out = layers.Dense(n_classes, name="g_logits")(x)
    return keras.Model(inp, out, name="scope_gate")


def augmenter(seed: int) -> keras.Sequential:
    """Framing changes, so the gate judges content rather than one hospital's framing."""
    return keras.Sequential(
        [
            layers.RandomRotation(0.035, fill_mode="nearest", seed=seed),
            layers.RandomZoom((-0.2, 0.2), fill_mode="nearest", seed=seed + 1),
            layers.RandomTranslation(0.08, 0.08, fill_mode="nearest", seed=seed + 2),
            layers.GaussianNoise(0.05, seed=seed + 3),
        ],
        name="gate_aug",
    )


def export_gate(core: keras.Model) -> keras.Model:
    """Full-size model input -> class probabilities (softmax), pooling included."""
    inp = keras.Input((224, 224, 1), name="image")
    pooled = layers.AveragePooling2D(224 // core.input.shape[1], name="gate_pool")(inp)
    probs = layers.Softmax(name="gate_probs")(core(pooled))
    return keras.Model(inp, probs, name="scope_gate_export")
