"""Static INT8 quantization (QDQ) calibrated on training images through the core preprocessing."""

from __future__ import annotations

from pathlib import Path

import numpy as np


class ImageReader:
    """Feeds preprocessed training images to ORT's calibrator in small batches."""

    def __init__(self, tensors: np.ndarray, batch: int = 1) -> None:
        # ORT's histogram collectors need equal batch shapes; single images always are
        self.tensors, self.batch, self.pos = tensors, batch, 0

    def get_next(self):
        if self.pos >= len(self.tensors):
            return None
        chunk = self.tensors[self.pos : self.pos + self.batch]
        self.pos += self.batch
        return {"image": chunk}

    def rewind(self) -> None:
        self.pos = 0


def preprocess_files(paths: list[Path], spec=None) -> np.ndarray:
    """The exact serving path: ``load_image`` then ``preprocess`` (at ``spec``'s size if given:
    the lung segmenter's input is smaller than the classifier's)."""
    from pneumoscan.model.preprocess import InputSpec, preprocess
    from pneumoscan.reading.loader import load_image

    spec = spec or InputSpec()
    return np.stack([preprocess(load_image(p).pixels, spec) for p in paths]).astype(np.float32)


# An in-graph lung mask (training.lung_graph) and the box its map covers (the export's cam_box),
# kept FP32 when a masked model is quantized: its thresholds and statistics are what INT8 rounding
# upsets (on a trained run the logits moved 0.31 on average all INT8, 0.08 with these FP32;
# benchmarks/README.md); the classifier after it is INT8.
LUNG_MASK_FP32 = {"fp32_upstream_of": "lung_mask", "fp32_named": ("pneumoscan_export_cam_box",)}


def quantize(
    fp32_path: Path,
    out_path: Path,
    calibration: np.ndarray,
    per_channel: bool = True,
    activation: str = "QUInt8",
    exclude_first_conv: bool = False,
    method: str = "Percentile",
    fp32_upstream_of: str = "",
    fp32_named: tuple[str, ...] = (),
    float_heads: bool = True,
) -> dict:
    """Run ``quant_pre_process`` then ``quantize_static``; return the settings used.

    ``fp32_upstream_of``: a layer name (``"lung_mask"``); that layer and everything it reads stay
    FP32. Why: the in-graph lung mask thresholds its segmenter's logits, so INT8 rounding near
    the threshold flips a cell of the mask and moves the film's score (``training.lung_graph``).
    ``fp32_named``: name scopes (``training.lung_graph.SMALL``) whose nodes alone stay FP32, what
    they read staying INT8: the mask's small tensors, without its passes over the whole film.
    ``float_heads``: the dense heads (``Gemm``: the logit, the subtype logit) keep INT8 inputs and
    weights but write FP32. Why: an INT8 logit has 256 levels (a step of about 0.1 logit, about
    0.03 in probability near the default threshold), so films tie on the grid, the threshold
    falls on one of its points, and the report shows probabilities in coarse steps.
    """
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    prep = out_path.with_suffix(".prep.onnx")
    quant_pre_process(str(fp32_path), str(prep), skip_symbolic_shape=True)
    exclude = []
    if exclude_first_conv:
        import onnx

        model = onnx.load(str(prep))
        exclude = [next(n.name for n in model.graph.node if n.op_type == "Conv")]
    if fp32_upstream_of:
        import onnx

        exclude += upstream(onnx.load(str(prep)).graph, fp32_upstream_of)
    if fp32_named:
        import onnx

        nodes = onnx.load(str(prep)).graph.node
        exclude += [n.name for n in nodes if any(f"/{scope}" in n.name for scope in fp32_named)]
    extra: dict = {"CalibPercentile": 99.99} if method == "Percentile" else {}
    if float_heads:
        extra["OpTypesToExcludeOutputQuantization"] = ["Gemm"]
    quantize_static(
        str(prep),
        str(out_path),
        ImageReader(calibration),
        quant_format=QuantFormat.QDQ,
        per_channel=per_channel,
        activation_type=getattr(QuantType, activation),
        weight_type=QuantType.QInt8,
        calibrate_method=getattr(CalibrationMethod, method),
        nodes_to_exclude=exclude,
        extra_options=extra,
    )
    prep.unlink(missing_ok=True)
    return {
        "format": "QDQ",
        "per_channel": per_channel,
        "activations": activation,
        "weights": "QInt8",
        "calibration": f"{method} on {len(calibration)} training images",
        "excluded_nodes": exclude,
        "float_outputs": ["Gemm"] if float_heads else [],
    }


def fp32_weight_bytes(path: Path) -> int:
    """Bytes of the FP32 weight tensors left in a quantized model (what ``fp32_upstream_of`` or
    ``fp32_named`` kept): the size check counts them at full size. Tensors under 64 values are
    left out; a quantized layer's per-channel scales are counted, a few hundred bytes a layer."""
    import onnx
    from onnx import numpy_helper

    weights = onnx.load(str(path)).graph.initializer
    arrays = (numpy_helper.to_array(w) for w in weights if w.data_type == onnx.TensorProto.FLOAT)
    return sum(a.nbytes for a in arrays if a.size >= 64)


def upstream(graph, layer: str) -> list[str]:
    """The names of the nodes of ``layer`` (tf2onnx names them ``.../layer_1/...``) and of every
    node they read from, in graph order."""
    made_by = {out: n for n in graph.node for out in n.output}
    todo = [n for n in graph.node if f"/{layer}" in n.name]
    seen: set[str] = set()
    while todo:
        n = todo.pop()
        if n.name in seen:
            continue
        seen.add(n.name)
        todo += [made_by[i] for i in n.input if i in made_by]
    return [n.name for n in graph.node if n.name in seen]
