"""The learned gate: a small CNN (its own ONNX file) on the main model's input batch."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pneumoscan.errors import ModelError
from pneumoscan.scope.classes import CLASS_REASONS, GATE_CLASSES
from pneumoscan.scope.result import PASS, REFUSE, CheckResult

NAME = "classifier"
#: The second learned gate, trained with other hospitals' children and adults (issue 18): a film is
#: refused when either gate refuses, so nothing the first refuses gets through.
HOSPITALS_NAME = "classifier_hospitals"


class LearnedGate:
    """Owns its ONNX Runtime session; ``threshold`` is on the in-scope class probability."""

    def __init__(self, model_path: Path, threshold: float, threads: int = 2, name: str = NAME) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        # never spin: this small session shares the CPU with the main model's and the decoders
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(str(model_path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - ORT raises several private types
            raise ModelError(f"Scope-gate model could not be loaded by ONNX Runtime: {exc}") from exc
        self.input_name = self.session.get_inputs()[0].name
        self.threshold = float(threshold)
        self.name = name

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """Class probabilities (N, classes) for a batch of model inputs (N, 224, 224, 1)."""
        (probs,) = self.session.run(None, {self.input_name: batch.astype(np.float32)})
        return np.asarray(probs, dtype=np.float64)

    def verdict(self, probs: np.ndarray) -> CheckResult:
        p_in = float(probs[0])
        if p_in >= self.threshold:
            return CheckResult(self.name, PASS, score=p_in)
        top = GATE_CLASSES[1 + int(np.argmax(probs[1:]))]
        return CheckResult(
            self.name,
            REFUSE,
            f"{CLASS_REASONS[top]} (gate score {p_in:.2f} < {self.threshold:.2f})",
            p_in,
            label=top,
        )


def top_class(probs: np.ndarray) -> str:
    return GATE_CLASSES[int(np.argmax(probs))]
