"""``python -m training.distance_unseen RUN...``: what the scope gate's distance check refuses of a
hospital and a batch the main model never saw (stop 60).

Why: the distance check ("unlike the training films") is refitted for each main model on its
features, and every figure of it so far came from a model that had trained on the hospital being
measured: Shenzhen's children pass it because the shipped model learned Shenzhen. The outside
report's 6-year-old was refused by it (distance 54 > 35). RUN is a ``training.train`` run with a
hospital held out (``--hold-out-hospital``) and ``--hold-out-batch``; the check is fitted as
``convert.distance_check`` fits it (Ledoit-Wolf on the training films' pooled features; threshold
the higher of the 99.8% quantile of clean validation and the 99.5% of the shifted copy), once on
Guangzhou's training films (as shipped) and once on every film the run trained on (all its
hospitals), and each group's films are counted against it. The run's Keras features stand in for
the INT8 model's (the shipped check is fitted on those).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

CACHE = "distance_features.npz"


def films(run: Path, data: Path) -> list[tuple[Path, str, float]]:
    """(path, group, age) of every film read: the run's training films, validation, the held-out
    batch, the NLM hospitals' films and the scope set's adult frontal films."""
    from training.scope_data import scope_items
    from training.scope_hospitals import hospital_films
    from training.train import load_config, split_for

    cfg = load_config(run)
    if not cfg.hold_out_batch or not cfg.hold_out_hospital:
        raise SystemExit(f"{run}: train with --hold-out-hospital and --hold-out-batch (the unseen films)")
    _train, val, held = split_for(cfg)
    try:
        trained = [Path(line) for line in (run / "train_files.txt").read_text().splitlines() if line]
    except OSError as exc:
        raise SystemExit(f"{run}: no list of the films it trained on ({exc}); train it again") from exc
    out = [(p, "trained", np.nan) for p in trained]
    out += [(p, "gz_val", np.nan) for p, _ in val] + [(p, "batch", np.nan) for p, _ in held]
    out += [
        (Path(f["path"]), f["hospital"], np.nan if f["age"] is None else f["age"])
        for f in hospital_films(data)
    ]
    out += [
        (item.path, f"scope_adult_{'train' if item.train_ok else 'never'}", np.nan)
        for item in scope_items(data / "scope")
        if item.scope_class == "adult_cxr"
    ]
    return out


def extract(run: Path, data: Path) -> dict[str, np.ndarray]:
    """Pooled features of every film, and of the shifted validation copy (cached in RUN)."""
    if (run / CACHE).is_file():
        return dict(np.load(run / CACHE))
    from training.head_refit import pooled_outputs
    from training.predict_run import require_run
    from training.train import load_config, split_for

    require_run(run)
    rows = films(run, data)
    features, _logit = pooled_outputs(run, [r[0] for r in rows])
    _train, val, _held = split_for(load_config(run))
    out = {
        "features": features,
        "path": np.array([str(r[0]) for r in rows]),
        "group": np.array([r[1] for r in rows]),
        "age": np.array([r[2] for r in rows], dtype=float),
        "shifted": shifted_features(run, val),
    }
    np.savez(run / CACHE, **out)
    return out


def shifted_features(run: Path, val) -> np.ndarray:
    import keras

    import training.model  # noqa: F401  (registers the custom layers for loading)
    from training.model_inputs import shifted_tensors

    model = keras.models.load_model(run / "best.keras")
    head = keras.Model(model.input, model.get_layer("pooled").output)
    return head.predict(shifted_tensors(val), verbose=0, batch_size=64).astype(np.float32)


def fitted_check(fit: np.ndarray, val: np.ndarray, shifted: np.ndarray):
    """The check as ``convert.distance_check`` fits it: (FeatureDistance, threshold)."""
    from pneumoscan.scope.distance import FeatureDistance
    from training.feature_distance import REJECT, SHIFTED_REJECT, distance_threshold, fit_distance

    mean, precision, _shrinkage = fit_distance(fit)
    check = FeatureDistance(mean, precision, float("inf"))
    return check, distance_threshold(check.distances(val), check.distances(shifted), REJECT, SHIFTED_REJECT)


def groups(d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    g, age = d["group"], d["age"]
    return {
        "Guangzhou validation": g == "gz_val",
        "Guangzhou's second batch (NORMAL2, never trained on)": g == "batch",
        "Shenzhen children 1-10": (g == "shenzhen") & (age <= 10),
        "Shenzhen children 11-17": (g == "shenzhen") & (age > 10) & (age < 18),
        "Shenzhen adults": (g == "shenzhen") & (age >= 18),
        "Montgomery": g == "montgomery",
        "scope set adult frontal films, trainable sources": g == "scope_adult_train",
        "scope set adult frontal films, never trained on": g == "scope_adult_never",
    }


def table(run: Path, d: dict[str, np.ndarray], held_hospital: str) -> str:
    """Refused by the check fitted on Guangzhou's training films, and on every training film."""
    g = d["group"]
    gz_fit = (g == "trained") & (np.char.find(d["path"].astype(str), "chest_xray") >= 0)
    fits = {
        "Guangzhou's training films (as shipped)": gz_fit,
        "every film the run trained on": g == "trained",
    }
    checks = {
        name: fitted_check(d["features"][m], d["features"][g == "gz_val"], d["shifted"])
        for name, m in fits.items()
    }
    head = ["films (held out of the run: " + held_hospital + ", NORMAL2)", "n"]
    head += [f"refused, fitted on {name} (threshold {t:.1f})" for name, (_c, t) in checks.items()]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    dist = {name: c.distances(d["features"]) for name, (c, _t) in checks.items()}
    for label, mask in groups(d).items():
        n = int(mask.sum())
        if not n:
            continue
        cells = []
        for name, (_c, t) in checks.items():
            k = int((dist[name][mask] > t).sum())
            cells.append(f"{k} ({k / n:.1%}); median distance {np.median(dist[name][mask]):.1f}")
        lines.append(f"| {label} | {n} | " + " | ".join(cells) + " |")
    shifted = {name: c.distances(d["shifted"]) for name, (c, _t) in checks.items()}
    cells = [f"{int((shifted[name] > t).sum())}" for name, (_c, t) in checks.items()]
    lines.append(f"| shifted validation copy | {len(d['shifted'])} | " + " | ".join(cells) + " |")
    return f"{run.name}\n\n" + "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    from training.train import load_config

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "runs", type=Path, nargs="+", help="training.train runs with a hospital and NORMAL2 held out"
    )
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = ap.parse_args(argv)
    for run in args.runs:
        print(table(run, extract(run, args.data), load_config(run).hold_out_hospital) + "\n")


if __name__ == "__main__":
    main()
