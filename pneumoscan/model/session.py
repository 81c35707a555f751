"""``Model``: the ONNX Runtime session of the shipped network, its calibration, one typed output.

The Screener batches and orders; the Model only turns a batch of preprocessed
images into a ``ModelOutput``. A Ray actor or a DICOM node can build one
without a whole Screener.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pneumoscan.errors import ModelError
from pneumoscan.model.manifest import Manifest
from pneumoscan.model.placement import placed


@dataclass
class ModelOutput:
    """One batch's outputs, row i for image i."""

    probability: np.ndarray  # calibrated probability of pneumonia, (n,)
    cam: np.ndarray | None = None  # class activation maps over the film, (n, 14, 14) or placed (n, 56, 56)
    features: np.ndarray | None = None  # pooled features (the scope gate's distance reads them)
    viral_probability: np.ndarray | None = None  # research aid: viral rather than bacterial, (n,)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class Model:
    """Owns the session; ``predict(batch) -> ModelOutput``."""

    def __init__(self, manifest: Manifest, threads: int = 2) -> None:
        """ORT's threads never spin while idle: the decoders share the cores with them, and spinning
        took them from the decoders (``benchmarks.bench_floor``: 221 -> 282 full-size films/s)."""
        import onnxruntime as ort

        self.manifest = manifest
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, int(threads))
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(
                str(manifest.model_path), opts, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # noqa: BLE001 - ORT raises several private types
            raise ModelError(f"Model could not be loaded by ONNX Runtime: {exc}") from exc
        self.input_name = self.session.get_inputs()[0].name
        outputs = manifest.data["outputs"]
        # a "probability" output carries the calibration inside the model file
        self.calibrated = "probability" in outputs
        self.outputs = {
            "probability": outputs["probability"] if self.calibrated else outputs["logit"],
            "cam": outputs.get("cam", ""),
            "features": outputs.get("features", ""),
            "cam_box": outputs.get("cam_box", ""),  # a model that crops to the lungs: where its map lies
        }
        subtype = manifest.data.get("subtype") or {}
        self.outputs["viral_probability"] = outputs.get("viral_probability", "") if subtype else ""
        self.subtype_threshold = float(subtype["threshold"]) if self.outputs["viral_probability"] else None

    def skip(self, *kinds: str) -> None:
        """Fetch fewer outputs (benchmarks measure the model without the gate's features)."""
        for kind in kinds:
            self.outputs[kind] = ""
        if not self.outputs["cam"]:
            self.outputs["cam_box"] = ""

    @property
    def pinned_digest(self) -> str | None:
        from pneumoscan.model.schema import DIGEST_KEY

        return self.session.get_modelmeta().custom_metadata_map.get(DIGEST_KEY)

    def predict(self, batch: np.ndarray) -> ModelOutput:
        wanted = [(k, n) for k, n in self.outputs.items() if n]
        values = self.session.run([n for _, n in wanted], {self.input_name: batch.astype(np.float32)})
        got = dict(zip([k for k, _ in wanted], values))
        first = np.asarray(got["probability"], dtype=np.float64).reshape(len(batch))
        if not self.calibrated:
            first = sigmoid(first / self.manifest.temperature + self.manifest.bias)
        viral = got.get("viral_probability")
        cam = np.asarray(got["cam"])[..., 0] if "cam" in got else None
        if cam is not None and "cam_box" in got:
            cam = placed(cam, np.asarray(got["cam_box"]))
        return ModelOutput(
            probability=first,
            cam=cam,
            features=np.asarray(got["features"]) if "features" in got else None,
            viral_probability=None
            if viral is None
            else np.asarray(viral, dtype=np.float64).reshape(len(batch)),
        )
