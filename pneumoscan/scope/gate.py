"""``ScopeGate``: every check in order, cheapest first; verdicts as values.

Stage 1 (tags, then pixels) runs on the decoded image before the model, so a
refused image costs no inference. Stage 2 (the learned gate and the feature
distance) runs on the same batch as the pneumonia model. When the gate is
switched off (research use) the checks still run and their verdicts are kept
as notes, so a report never hides what the gate would have said.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pneumoscan.errors import ModelError
from pneumoscan.scope.affirm import check_affirmed
from pneumoscan.scope.classifier import HOSPITALS_NAME, LearnedGate, top_class
from pneumoscan.scope.classifier import NAME as CLASSIFIER
from pneumoscan.scope.distance import NAME as DISTANCE
from pneumoscan.scope.distance import FeatureDistance
from pneumoscan.scope.pixels import PIXEL_CHECKS
from pneumoscan.scope.result import NOT_RUN, CheckResult
from pneumoscan.scope.tags import TAG_CHECKS

CONFIG_FILE = "scope_gate.json"


@dataclass
class ModelStage:
    """What stage 2 found for one image."""

    checks: list[CheckResult]
    scope_class: str = ""
    in_scope: float | None = None
    distance: float | None = None


def cheap_checks(pixels: np.ndarray, meta: dict[str, Any]) -> list[CheckResult]:
    """Tag and pixel checks, all of them (callers stop at the first refusal if they wish).

    The tags' joint word (``affirm``) never refuses; it is here so that the report shows it.
    """
    tags = [check(meta) for check in TAG_CHECKS] + [check_affirmed(meta)]
    return tags + [check(pixels, meta) for check in PIXEL_CHECKS]


def _sha_ok(path: Path, expected: str, what: str) -> None:
    from pneumoscan.model.manifest import sha256_file

    if not path.is_file():
        raise ModelError(f"{what} not found: {path}")
    if sha256_file(path) != str(expected).lower():
        raise ModelError(
            f"{what} {path.name} does not match its SHA-256 in {CONFIG_FILE}; reinstall PneumoScan."
        )


class ScopeGate:
    """Loads ``scope_gate.json`` (if the model ships one) and runs the checks."""

    def __init__(
        self,
        config_path: Path | None,
        main_model_sha256: str = "",
        threads: int = 2,
        enabled: bool = True,
    ) -> None:
        self.enabled = enabled
        self.config: dict[str, Any] = {}
        self.classifier: LearnedGate | None = None
        self.second: LearnedGate | None = None  # the multi-hospital gate, when shipped
        self.distance: FeatureDistance | None = None
        if config_path is None:
            return
        try:
            self.config = json.loads(Path(config_path).read_text(encoding="utf-8"))
            cls_cfg, dist_cfg = self.config["classifier"], self.config["distance"]
            base = Path(config_path).parent
            _sha_ok(base / cls_cfg["model_file"], cls_cfg["sha256"], "Scope-gate model")
            _sha_ok(base / dist_cfg["stats_file"], dist_cfg["sha256"], "Scope-gate statistics")
            if str(dist_cfg["main_model_sha256"]).lower() != main_model_sha256.lower():
                raise ModelError(
                    "Scope-gate statistics were fitted for another pneumonia model; reinstall PneumoScan."
                )
            self.classifier = LearnedGate(base / cls_cfg["model_file"], float(cls_cfg["threshold"]), threads)
            second = self.config.get("classifier_hospitals")
            if second:
                _sha_ok(base / second["model_file"], second["sha256"], "Scope-gate model (hospitals)")
                self.second = LearnedGate(
                    base / second["model_file"], float(second["threshold"]), threads, HOSPITALS_NAME
                )
            self.distance = FeatureDistance.from_file(
                base / dist_cfg["stats_file"], float(dist_cfg["threshold"])
            )
        except ModelError:
            raise
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"Scope-gate configuration {config_path} is invalid: {exc}") from exc

    def cheap(self, pixels: np.ndarray, meta: dict[str, Any]) -> list[CheckResult]:
        return cheap_checks(pixels, meta)

    def model_stage(self, batch: np.ndarray, features: np.ndarray | None) -> list[ModelStage]:
        """Learned gate and distance for a batch; 'not run' with the reason when absent."""
        n = len(batch)
        out = [ModelStage(checks=[]) for _ in range(n)]
        if self.classifier is None:
            for st in out:
                st.checks.append(CheckResult(CLASSIFIER, NOT_RUN, "this model ships no learned scope gate"))
        else:
            probs = self._learned(self.classifier, batch, out)
            for st, p in zip(out, probs if probs is not None else []):
                st.scope_class, st.in_scope = top_class(p), float(p[0])
        if self.second is not None:
            self._learned(self.second, batch, out)
        if self.distance is None or features is None:
            why = "no feature statistics shipped" if self.distance is None else "model has no features output"
            for st in out:
                st.checks.append(CheckResult(DISTANCE, NOT_RUN, f"{why}"))
        else:
            for st, d in zip(out, self.distance.distances(features)):
                st.checks.append(self.distance.verdict(float(d)))
                st.distance = float(d)
        return out

    @staticmethod
    def _learned(gate: LearnedGate, batch: np.ndarray, out: list[ModelStage]) -> np.ndarray | None:
        """One learned gate's verdict on each film ('not run' when its model fails); its probabilities."""
        try:
            probs = gate.predict(batch)
        except Exception as exc:  # noqa: BLE001 - a verdict, not a crash
            for st in out:
                st.checks.append(CheckResult(gate.name, NOT_RUN, f"gate model failed ({exc})"))
            return None
        for st, p in zip(out, probs):
            st.checks.append(gate.verdict(p))
        return probs


def gate_config_path(manifest_path: Path, manifest_data: dict[str, Any]) -> Path | None:
    name = manifest_data.get("scope_gate")
    if not name:
        return None
    if not isinstance(name, str):
        raise ModelError("Model manifest: 'scope_gate' must name a file")
    return manifest_path.parent / name
