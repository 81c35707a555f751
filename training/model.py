"""The from-scratch CNN: plain Conv-BN-ReLU blocks, global average pooling, one unit.

Plain blocks fold into Conv+ReLU at export and quantize well; 32-256 channels
with two convs a block keep the INT8 kernels busy (thin nets ran INT8 slower
than FP32 here). GAP + a single dense unit makes the class activation map exact:
the logit is the spatial mean of the map.
"""

from __future__ import annotations

import keras
from keras import layers

WIDTHS = (32, 64, 128, 256)


def conv_bn_relu(x, filters: int, stride: int = 1, kernel: int = 3, name: str = ""):
    x = layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def build_model(height: int = 224, width: int = 224, dropout: float = 0.3, widths=WIDTHS) -> keras.Model:
    """Return the training model: image (H, W, 1) in [-1, 1] -> pneumonia logit."""
    inp = keras.Input((height, width, 1), name="image")
    x = conv_bn_relu(inp, widths[0], stride=2, kernel=5, name="stem")  # 112
    x = layers.MaxPooling2D(2, name="stem_pool")(x)  # 56
    for i, w in enumerate(widths):
        x = conv_bn_relu(x, w, name=f"b{i}a")
        x = conv_bn_relu(x, w, name=f"b{i}b")
        if i < len(widths) - 1:
            x = layers.MaxPooling2D(2, name=f"b{i}_pool")(x)  # 28, 14, 7
    features = x
    pooled = layers.GlobalAveragePooling2D(name="gap")(features)
    drop = layers.Dropout(dropout, name="dropout")(pooled)
    logit = layers.Dense(1, name="logit")(drop)
    return keras.Model(inp, logit, name="pneumoscan_cnn")


def export_model(model: keras.Model, name: str = "pneumoscan_export") -> keras.Model:
    """Inference graph with three outputs: logit, class activation map, pooled features.

    The CAM applies the dense unit at every position of the last feature map
    (same weights and bias), so mean(CAM) == logit exactly.
    """
    features = model.get_layer("b3b_relu").output
    pooled = model.get_layer("gap").output
    dense = model.get_layer("logit")
    logit = dense(pooled)
    cam = dense(features)
    return keras.Model(model.input, [logit, cam, pooled], name=name)


def ensemble_export(models: list[keras.Model]) -> keras.Model:
    """Average of several trained CNNs, as one inference graph.

    The logit and the CAM are averaged (the CAM stays exact: its mean is the
    averaged logit); the pooled features are concatenated.
    """
    if len(models) == 1:
        return export_model(models[0])
    members = [export_model(m, name=f"member_{i}") for i, m in enumerate(models)]
    inp = keras.Input(models[0].input.shape[1:], name="image")
    outs = [m(inp) for m in members]
    logit = layers.Average(name="logit_mean")([o[0] for o in outs])
    cam = layers.Average(name="cam_mean")([o[1] for o in outs])
    features = layers.Concatenate(name="features_concat")([o[2] for o in outs])
    return keras.Model(inp, [logit, cam, features], name="pneumoscan_ensemble")
