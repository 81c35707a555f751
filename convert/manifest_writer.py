"""Builds ``assets/model.json`` from a verified conversion."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from dataclasses import asdict
from pathlib import Path

from pneumoscan.model.manifest import sha256_file
from pneumoscan.model.preprocess import InputSpec

INTENDED_USE = (
    "A second reader that flags paediatric chest X-rays (ages 1 to 5, AP view, as in the "
    "training data) likely to show pneumonia, so a radiologist reads them first. It is not a "
    "diagnosis and has not been validated on adults, lateral views or other populations."
)


def code_version() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


SCREENING_RULE = (
    "sensitivity at least 0.98 on validation (bootstrap median threshold); the default: the rule "
    "whose sensitivity held at a hospital the model never trained on (training.operating_point)"
)
SCREENING_RULE_WITH_GATE = SCREENING_RULE.replace(
    "on validation", "on validation, the films the scope gate refuses counted as missed"
)


def _metrics(chosen: dict) -> dict:
    keep = ("validation", "validation_shifted", "auc_ci95", "auc_shifted_ci95", "bootstrap_at_threshold")
    return {k: chosen[k] for k in keep}


def training_data(cfg) -> str:
    """What the model was trained on, for the manifest and the card."""
    gz = "Kermany et al. 2018 chest X-ray set (CC BY 4.0, Guangzhou), official train split only"
    from training.sources import trained_on

    others = trained_on(cfg)
    if not others:
        return gz
    return f"{gz}; plus other hospitals' films (training.sources): {', '.join(others)}"


def build_manifest(
    *,
    out_dir: Path,
    run_dir: Path,
    run_dirs: list[Path],
    cfg,
    shipped: str,
    chosen: dict,
    other: dict,
    agreement: dict,
    checks: dict,
    quantization: dict,
    speed: dict,
    size_ratio: float,
    n_train: int,
    n_other: int = 0,
    subtype: dict | None = None,
    cam_box: bool = False,
) -> dict:
    val = chosen["validation"]
    manifest = {
        "version": f"1.0.0+{run_dir.name}",
        "model_file": "model.onnx",
        "sha256": sha256_file(out_dir / "model.onnx"),
        "precision": shipped,
        "input": InputSpec().to_manifest(),
        "outputs": {"probability": "probability", "logit": "logit", "cam": "cam", "features": "features"},
        "cam": "exact class activation map at 14x14: the stride-16 stage's map plus the stride-32 stage's map "
        "repeated over its 2x2 cells; its mean is the logit",
        "class_names": ["NORMAL", "PNEUMONIA"],
        "temperature": chosen["temperature"],
        "bias": chosen["bias"],
        "calibration": "probability = sigmoid(logit / temperature + bias), fitted on validation "
        "(Platt scaling); computed inside the model's 'probability' output",
        "thresholds": chosen["thresholds"],
        "default_operating_point": "screening",
        "operating_points": {
            "screening": SCREENING_RULE,
            "high_sensitivity": "sensitivity at least 0.99 on validation (bootstrap median threshold)",
            "balanced": "Youden's J on validation (bootstrap median threshold)",
        },
        "threshold_uncertainty": {
            "bootstrap": chosen["threshold_bootstrap"],
            "point_estimate": chosen["threshold_point_estimate"],
            "method": "2000 patient-level bootstrap resamples of the validation split",
        },
        "metrics": {
            "shipped": _metrics(chosen),
            "fp32" if shipped == "int8" else "int8": _metrics(other),
            "summary": {
                "validation_auc": val["auc"],
                "validation_images": val["n"],
                "validation_positives": val["positives"],
            },
        },
        "verification": {**checks, "int8_vs_fp32": agreement},
        "quantization": quantization,
        "speed": {**speed, "int8_to_fp32_size": size_ratio},
        "training": {
            "members": [
                {"run": r.name, "config": json.loads((r / "config.json").read_text())} for r in run_dirs
            ],
            "combination": "mean of the members' logits and CAMs" if len(run_dirs) > 1 else "single model",
            "config": asdict(cfg),
            "data": training_data(cfg),
            "train_images": n_train + n_other,
            "other_hospital_images": n_other,
            "validation_split": "patient-wise, training/val_patients.txt",
        },
        "intended_use": INTENDED_USE,
        "created": dt.date.today().isoformat(),
        "code_version": code_version(),
    }
    if cam_box:
        manifest["outputs"]["cam_box"] = "cam_box"
        manifest["cam"] += (
            " over the lungs' box the model crops each film to; 'cam_box' says where that box lies "
            "on the film (top, bottom, left, right, fractions) and the app places the map there"
        )
    if subtype is not None:
        manifest["outputs"]["viral_probability"] = "viral_probability"
        manifest["subtype"] = {
            "classes": ["bacterial", "viral"],
            "threshold": subtype["threshold"],
            "temperature": subtype["temperature"],
            "bias": subtype["bias"],
            "rule": "viral when viral_probability >= threshold; shown only for flagged, in-scope films",
            "operating_point": "Youden's J on validation pneumonia films (bootstrap median threshold)",
            "calibration": "viral_probability = sigmoid(subtype_logit / temperature + bias), Platt on validation",
            "status": "research aid: labels from file names of one hospital's films; not for treatment decisions",
            "metrics": {
                k: subtype[k]
                for k in (
                    "auc",
                    "auc_ci95",
                    "auc_shifted",
                    "ece",
                    "threshold_ci95",
                    "validation",
                    "validation_shifted",
                )
            },
        }
    (out_dir / "model.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest
