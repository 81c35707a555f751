"""The backstop: Mahalanobis distance of the main model's pooled features to the training films.

Whatever the learned gate misses, the pneumonia model itself has never seen an
input whose features sit far from every training film; the statistics (mean,
shrunk inverse covariance) were fitted on training images only and ship with
the model they belong to.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pneumoscan.errors import ModelError
from pneumoscan.scope.result import PASS, REFUSE, CheckResult

NAME = "distance"


def symmetric_from_upper(upper: np.ndarray, n: int) -> np.ndarray:
    """Rebuild the symmetric (n, n) matrix stored as its upper triangle (row-major, with the diagonal)."""
    full = np.zeros((n, n), dtype=np.float64)
    rows, cols = np.triu_indices(n)
    full[rows, cols] = upper
    full[cols, rows] = upper
    return full


class FeatureDistance:
    def __init__(self, mean: np.ndarray, precision: np.ndarray, threshold: float) -> None:
        self.mean = np.asarray(mean, dtype=np.float64)
        self.precision = np.asarray(precision, dtype=np.float64)
        self.threshold = float(threshold)

    @classmethod
    def from_file(cls, path: Path, threshold: float) -> FeatureDistance:
        try:
            with np.load(path, allow_pickle=False) as z:
                mean = np.asarray(z["mean"], dtype=np.float64)
                return cls(mean, symmetric_from_upper(z["precision_upper"], len(mean)), threshold)
        except (OSError, KeyError, ValueError) as exc:
            raise ModelError(f"Scope-gate statistics {path.name} are unreadable: {exc}") from exc

    def distances(self, features: np.ndarray) -> np.ndarray:
        diff = np.asarray(features, dtype=np.float64).reshape(len(features), -1) - self.mean
        # (diff @ P) * diff goes through BLAS: 14x faster than the equivalent three-operand einsum
        return np.sqrt(np.maximum(((diff @ self.precision) * diff).sum(axis=1), 0.0))

    def verdict(self, distance: float) -> CheckResult:
        if not np.isfinite(distance) or distance > self.threshold:
            return CheckResult(
                NAME,
                REFUSE,
                f"unlike the training films (distance {distance:.0f} > {self.threshold:.0f})",
                distance,
            )
        return CheckResult(NAME, PASS, score=float(distance))
