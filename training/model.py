"""The from-scratch CNN: plain Conv-BN-ReLU blocks, pooled features, two heads.

Plain blocks fold into Conv+ReLU at export and quantize well; 32-256 channels
with two convs a block keep the INT8 kernels busy (thin nets ran INT8 slower
than FP32 here).

The heads read the global averages of the last two stages (stride 16, 14x14,
and stride 32, 7x7), concatenated. Because each head is linear in those
averages, the class activation map stays exact at 14x14: the stride-16 stage's
map plus the stride-32 stage's map repeated over its 2x2 cells has the logit as
its spatial mean. A 7x7 map could not tell a hilum from the heart.
"""

from __future__ import annotations

import keras
from keras import layers

from training import (
    lung_graph,  # also registers its layer for load_model
    spectral,  # noqa: F401  registers its loss, which best.keras names, for load_model
)
from training.mixstyle import AFTER_BLOCKS, MixStyle

WIDTHS = (32, 64, 128, 256)
STEMS = ("conv", "patch")
MID_LAYER = "b2b_relu"  # stride 16
LAST_LAYER = "b3b_relu"  # stride 32


@keras.saving.register_keras_serializable(package="pneumoscan")
class GradientReversal(layers.Layer):
    """Identity forward, gradient times ``-scale`` backward (source-adversarial training).

    The hospital head learns to tell hospitals apart from the pooled features;
    through this layer the network learns features that make it fail. ``scale``
    is a non-trainable weight so that a callback can ramp it up.
    """

    def build(self, input_shape) -> None:
        self.scale = self.add_weight(shape=(), initializer="zeros", trainable=False, name="scale")

    def call(self, x):
        s = keras.ops.cast(self.scale, x.dtype)
        return keras.ops.stop_gradient(x * (1.0 + s)) - s * x


def conv_bn_relu(x, filters: int, stride: int = 1, kernel: int = 3, name: str = ""):
    x = layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def build_model(
    height: int = 224,
    width: int = 224,
    dropout: float = 0.3,
    widths=WIDTHS,
    subtype: bool = True,
    hospitals: int = 0,
    mixstyle: float = 0.0,
    lung_segmenter: str | None = None,
    lung_intensity: str = "film",
    lung_crop: bool = False,
    stem: str = "conv",
    lung_margin: int = 1,
) -> keras.Model:
    """Training model: image (H, W, 1) in [-1, 1] -> {"logit": pneumonia, "subtype": viral vs bacterial}.

    ``hospitals`` > 0 adds a "hospital" head behind a gradient reversal (training only:
    the export reads the pneumonia and subtype heads). ``mixstyle`` > 0 mixes the early blocks'
    feature statistics between films with that chance a batch (``training.mixstyle``; the
    identity at inference). ``lung_segmenter``: a ``training.lung_graph`` segmenter, frozen, that
    masks the input to the lungs inside the graph (the export and the ONNX model keep it);
    ``lung_intensity``: ``training.lung_graph.INTENSITIES``; ``lung_crop``: cropped to the lungs' box;
    ``lung_margin``: cells (of 32) the mask grows by beyond the lungs.
    ``stem``: ``"conv"`` (5x5, stride 2, then a 2x2 max pool) or ``"patch"`` (4x4 patches, stride 4,
    as ConvNeXt's): both reach 56 x 56; the first is about a third of the INT8 model's time (a
    one-channel convolution at 224), which the in-graph lung mask needs (issue 18: +20%).
    """
    if stem not in STEMS:
        raise ValueError(f"stem must be one of {STEMS}, not {stem!r}")
    inp = keras.Input((height, width, 1), name="image")
    x = inp
    if lung_segmenter:
        x = lung_graph.masked_input(
            inp,
            keras.models.load_model(lung_segmenter, compile=False),
            lung_intensity,
            lung_crop,
            margin=lung_margin,
        )
    if stem == "patch":
        x = conv_bn_relu(x, widths[0], stride=4, kernel=4, name="stem")  # 56
    else:
        x = conv_bn_relu(x, widths[0], stride=2, kernel=5, name="stem")  # 112
        x = layers.MaxPooling2D(2, name="stem_pool")(x)  # 56
    mid = None
    for i, w in enumerate(widths):
        x = conv_bn_relu(x, w, name=f"b{i}a")
        x = conv_bn_relu(x, w, name=f"b{i}b")
        if mixstyle > 0 and i in AFTER_BLOCKS:
            x = MixStyle(p=mixstyle, name=f"b{i}_mixstyle")(x)
        if i == len(widths) - 2:
            mid = x
        if i < len(widths) - 1:
            x = layers.MaxPooling2D(2, name=f"b{i}_pool")(x)  # 28, 14, 7
    pooled = layers.Concatenate(name="pooled")(
        [layers.GlobalAveragePooling2D(name="gap_mid")(mid), layers.GlobalAveragePooling2D(name="gap")(x)]
    )
    drop = layers.Dropout(dropout, name="dropout")(pooled)
    outputs = {"logit": layers.Dense(1, name="logit")(drop)}
    if subtype:
        outputs["subtype"] = layers.Dense(1, name="subtype")(drop)
    if hospitals:
        rev = GradientReversal(name="reverse")(pooled)
        hid = layers.Dense(128, activation="relu", name="hospital_hidden")(rev)
        outputs["hospital"] = layers.Dense(hospitals, name="hospital")(hid)
    return keras.Model(inp, outputs, name="pneumoscan_cnn")


def _split_dense_as_convs(dense, n_mid: int, name: str):
    """The dense unit as two 1x1 convs: one per stage, the bias on the first."""
    kernel, bias = (w.numpy() if hasattr(w, "numpy") else w for w in dense.get_weights())
    mid = layers.Conv2D(1, 1, use_bias=True, name=f"{name}_mid")
    last = layers.Conv2D(1, 1, use_bias=False, name=f"{name}_last")
    mid.build((None, None, None, n_mid))
    last.build((None, None, None, kernel.shape[0] - n_mid))
    mid.set_weights([kernel[:n_mid].reshape(1, 1, n_mid, 1), bias])
    last.set_weights([kernel[n_mid:].reshape(1, 1, -1, 1)])
    return mid, last


def head_logits(model: keras.Model, x, batch: int = 64):
    """The trained head's logit for model inputs (N, H, W, 1): what every probe and evaluation reads."""
    import numpy as np

    head = keras.Model(model.input, model.get_layer("logit").output)
    return np.asarray(head.predict(x, batch_size=batch, verbose=0))[:, 0]


def export_model(model: keras.Model, name: str = "pneumoscan_export") -> keras.Model:
    """Inference graph: logit, 14x14 class activation map, pooled features, subtype logit.

    mean(CAM) == logit exactly: the mid-stage map has mean w_mid . mean(f_mid) + b,
    the last-stage map repeated 2x2 has the last stage's mean.
    """
    mid = model.get_layer(MID_LAYER).output
    last = model.get_layer(LAST_LAYER).output
    pooled = model.get_layer("pooled").output
    dense = model.get_layer("logit")
    conv_mid, conv_last = _split_dense_as_convs(dense, mid.shape[-1], f"{name}_cam")
    up = layers.UpSampling2D(2, interpolation="nearest", name=f"{name}_cam_up")(conv_last(last))
    cam = layers.Add(name=f"{name}_cam")([conv_mid(mid), up])
    logit = dense(pooled)
    try:
        subtype = model.get_layer("subtype")(pooled)
    except ValueError:
        subtype = layers.Lambda(lambda t: t[:, :1] * 0.0, name=f"{name}_no_subtype")(pooled)
    outputs = [logit, cam, pooled, subtype]
    if (box := cropping_box(model, name)) is not None:
        outputs.append(box)  # where the map lies on the film (``cam_box``)
    return keras.Model(model.input, outputs, name=name)


def cropping_box(model: keras.Model, name: str = "pneumoscan_export"):
    """The lungs' box (B, 4) a model with the in-graph crop (``lung_graph``) reads, else None."""
    if (ops := crop_layer(model)) is None:
        return None
    config = {k: v for k, v in ops.get_config().items() if k not in ("name", "trainable", "dtype")}
    return lung_graph.LungBox(**config, name=f"{name}_cam_box")(ops.input[1])


def crop_layer(model: keras.Model):
    """The model's in-graph lung mask when it crops to the lungs' box, else None."""
    try:
        ops = model.get_layer("lung_mask")
    except ValueError:
        return None
    return ops if getattr(ops, "crop", False) else None


def ensemble_export(models: list[keras.Model]) -> keras.Model:
    """Average of several trained CNNs, as one inference graph.

    The logits and CAMs are averaged (the CAM stays exact: its mean is the
    averaged logit); the pooled features are concatenated.
    """
    if len(models) == 1:
        return export_model(models[0])
    if any(crop_layer(m) is not None for m in models):
        raise ValueError("models that crop to the lungs place their maps in their own boxes: no average")
    members = [export_model(m, name=f"member_{i}") for i, m in enumerate(models)]
    inp = keras.Input(models[0].input.shape[1:], name="image")
    outs = [m(inp) for m in members]
    logit = layers.Average(name="logit_mean")([o[0] for o in outs])
    cam = layers.Average(name="cam_mean")([o[1] for o in outs])
    features = layers.Concatenate(name="features_concat")([o[2] for o in outs])
    subtype = layers.Average(name="subtype_mean")([o[3] for o in outs])
    return keras.Model(inp, [logit, cam, features, subtype], name="pneumoscan_ensemble")
