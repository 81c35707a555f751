"""``python -m convert.distance_check [assets]``: refit the scope gate's distance backstop.

The backstop measures how far a film's pooled features (the main model's ``features`` output)
lie from the training films'. It belongs to one main model: a new model has new features, so
shipping it means refitting these statistics, while the learned gates (their own ONNX files,
fed the image) stay as they are. ``convert.scope_gate`` calls :func:`fit_distance_check` for a
new gate; this command calls it alone for a new main model, then pins the manifest again.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from pneumoscan.model.manifest import sha256_file
from pneumoscan.scope.distance import FeatureDistance
from training.feature_distance import REJECT, SHIFTED_REJECT, distance_threshold, fit_distance

STATS_FILE = "scope_stats.npz"


def main_features(manifest: Path, x: np.ndarray, batch: int = 64) -> np.ndarray:
    """The shipped model's pooled features (its own ONNX session: no scope gate needed yet)."""
    from training.onnx_session import session

    data = json.loads(manifest.read_text())
    sess = session(manifest.parent / data["model_file"], 2)
    name, out = sess.get_inputs()[0].name, data["outputs"]["features"]
    return np.concatenate([sess.run([out], {name: x[i : i + batch]})[0] for i in range(0, len(x), batch)])


def fit_distance_check(
    assets: Path,
    x_train: np.ndarray,
    x_val: np.ndarray,
    x_shift: np.ndarray,
    reject: float,
    shifted_reject: float,
) -> tuple[dict, np.ndarray, np.ndarray]:
    """Fit on training films' features, threshold on validation; write ``scope_stats.npz``.

    Returns the manifest's ``distance`` section and the validation and shifted distances
    (the caller counts refusals with them)."""
    manifest = assets / "model.json"
    main = json.loads(manifest.read_text())
    mean, precision, shrinkage = fit_distance(main_features(manifest, x_train))
    # the upper triangle in float32 is a quarter of the full float64 matrix (the bundle's size
    # budget); the threshold is set on distances from the stored file, as the screener reads it
    upper = precision[np.triu_indices(len(precision))].astype(np.float32)
    np.savez(assets / STATS_FILE, mean=mean.astype(np.float32), precision_upper=upper)
    stored = FeatureDistance.from_file(assets / STATS_FILE, threshold=float("inf"))
    d_val = stored.distances(main_features(manifest, x_val))
    d_shift = stored.distances(main_features(manifest, x_shift))
    threshold = distance_threshold(d_val, d_shift, reject, shifted_reject)
    section = {
        "stats_file": STATS_FILE,
        "sha256": sha256_file(assets / STATS_FILE),
        "main_model_sha256": main["sha256"],
        "features": "the main model's pooled 'features' output",
        "fitted_on": f"{len(x_train)} training films (validation patients excluded)",
        "ledoit_wolf_shrinkage": shrinkage,
        "threshold": threshold,
        "threshold_rule": (
            f"the higher of the {1 - reject:.1%} quantile of clean validation distances "
            f"and the {1 - shifted_reject:.1%} quantile on the shifted validation copy"
        ),
    }
    return section, d_val, d_shift


def validation_counts(
    p_val: np.ndarray,
    p_shift: np.ndarray,
    p_threshold: float,
    d_val: np.ndarray,
    d_shift: np.ndarray,
    d_threshold: float,
) -> dict:
    """Validation films the first learned gate, the distance check, and either, refuse."""
    return {
        "films": len(p_val),
        "classifier_rejects": int((p_val < p_threshold).sum()),
        "distance_rejects": int((d_val > d_threshold).sum()),
        "either_rejects": int(((p_val < p_threshold) | (d_val > d_threshold)).sum()),
        "shifted_either_rejects": int(((p_shift < p_threshold) | (d_shift > d_threshold)).sum()),
    }


FIT_ON = ("guangzhou", "trained")


def other_trained_films(assets: Path, data: Path) -> list[Path]:
    """The other hospitals' films the main model in ``assets`` trained on (its manifest's config)."""
    from training import sources

    config = json.loads((assets / "model.json").read_text()).get("training", {}).get("config", {})
    return [f.path for f in sources.other_hospitals(data.parent.parent, sources.trained_on(config))]


def refit(
    assets: Path,
    data: Path,
    reject: float = REJECT,
    shifted_reject: float = SHIFTED_REJECT,
    smoke: bool = False,
    fit_on: str = "guangzhou",
) -> dict:
    """Refit the backstop for the main model now in ``assets`` and pin; the learned gates stay.

    ``fit_on="trained"`` fits on every film the model trained on, its other hospitals' too: fitted
    on Guangzhou's films alone, "unlike the training films" also says "not from Guangzhou"
    (``training.distance_unseen``)."""
    from convert.pin import pin
    from training import split
    from training.model_inputs import shifted_tensors, tensors

    if fit_on not in FIT_ON:
        raise ValueError(f"fit_on must be one of {FIT_ON}, not {fit_on!r}")
    train, val = split.split_items(split.list_images(data), split.load_split())
    fit_paths = [p for p, _ in train] + (other_trained_films(assets, data) if fit_on == "trained" else [])
    if smoke:
        fit_paths, val = fit_paths[:: max(1, len(fit_paths) // 40)], val[:: max(1, len(val) // 40)]
    gate_path = assets / "scope_gate.json"
    gate = json.loads(gate_path.read_text())
    main = json.loads((assets / "model.json").read_text())
    if main.get("scope_gate") != gate_path.name:  # a freshly converted model: the gate files were copied in
        main["scope_gate"] = gate_path.name
        (assets / "model.json").write_text(json.dumps(main, indent=2) + "\n")
    x_val, x_shift = tensors([p for p, _ in val]), shifted_tensors(val)
    section, d_val, d_shift = fit_distance_check(
        assets, tensors(fit_paths), x_val, x_shift, reject, shifted_reject
    )
    if fit_on == "trained":
        section["fitted_on"] = (
            f"{len(fit_paths)} films the model trained on: Guangzhou's training films (validation "
            "patients excluded) and its other hospitals' films"
        )
    section["fit_on"] = fit_on
    gate["distance"] = section
    from training.onnx_session import run_onnx

    gate["validation"] = validation_counts(
        run_onnx(assets / gate["classifier"]["model_file"], x_val)[:, 0],
        run_onnx(assets / gate["classifier"]["model_file"], x_shift)[:, 0],
        gate["classifier"]["threshold"],
        d_val,
        d_shift,
        section["threshold"],
    )
    gate_path.write_text(json.dumps(gate, indent=2) + "\n")
    pin(assets)
    return gate["validation"] | {"threshold": section["threshold"]}


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.offline import ensure_offline

    ensure_offline()
    ap = argparse.ArgumentParser(
        description="Refit the scope gate's distance backstop for the main model in assets/."
    )
    ap.add_argument("assets", type=Path, nargs="?", default=Path("assets"))
    ap.add_argument("--data", type=Path, default=Path("../shared/data/chest_xray/train"))
    ap.add_argument("--reject", type=float, default=REJECT)
    ap.add_argument("--shifted-reject", type=float, default=SHIFTED_REJECT)
    ap.add_argument("--smoke", action="store_true", help="a fortieth of the films (tests)")
    ap.add_argument(
        "--fit-on",
        choices=FIT_ON,
        default="guangzhou",
        help="the films the statistics describe: Guangzhou's training films, or every film the model trained on",
    )
    args = ap.parse_args(argv)
    out = refit(args.assets, args.data, args.reject, args.shifted_reject, args.smoke, args.fit_on)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
