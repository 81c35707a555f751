"""``python -m training.head_refit RUN...``: retrain only the pneumonia head, hospitals weighted equally.

Last-layer retraining (Kirichenko et al., ICLR 2023, "DFR"): a network trained with a shortcut
often still carries the real signal in its pooled features, and a linear head re-fitted on a
group-balanced set can use it. The outside report found the same here (a head re-fitted on the
shipped model's features with another hospital's labelled films ranked better than the shipped
head). This tests the label-free-at-the-site half of it: the head re-fitted on the hospitals a
leave-one-hospital-out run trained on, each hospital and class weighted equally
(``sources.balanced_weights`` at power 0), then judged on the run's held-out hospital. The head
is linear on the pooled features, so a re-fitted head would export exactly like the trained one
(the 14x14 map stays exact).

Features come from the run's ``best.keras``: Guangzhou's validation films (the threshold for
sensitivity 0.98 is set there, the rule of the shipped default), a sample of its training films
and every film of the other hospitals. They are cached in ``RUN/head_features.npz``.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import numpy as np

from training.sources import Film, balanced_weights

GZ_TRAIN_SAMPLE = 1200
STRENGTHS = (0.001, 0.01, 0.1, 1.0)  # inverse L2 strength (scikit-learn's C) on standardised features
CHILD = {-1: None, 0: False, 1: True}  # the cache's age code -> ``Film.child``


def pooled_outputs(run: Path, paths: list[Path]) -> tuple[np.ndarray, np.ndarray]:
    """The run's pooled features and logit for each film, from its own checkpoint."""
    import keras

    import training.model  # noqa: F401  (registers the custom layers for loading)
    from pneumoscan.model.preprocess import InputSpec
    from training import dataset

    model = keras.models.load_model(run / "best.keras")
    head = keras.Model(model.input, [model.get_layer("pooled").output, model.get_layer("logit").output])
    feats, logits = [], []
    for i in range(0, len(paths), 128):
        x, _ = dataset.load_arrays([(p, 0) for p in paths[i : i + 128]], InputSpec())
        f, z = head.predict(dataset.model_tensors(x), verbose=0, batch_size=64)
        feats.append(f)
        logits.append(z[:, 0])
    return np.concatenate(feats).astype(np.float32), np.concatenate(logits).astype(np.float32)


def extract(run: Path, data: Path, sample: int = GZ_TRAIN_SAMPLE) -> dict[str, np.ndarray]:
    """Pooled features and the trained head's logit for every film this evaluation uses (cached)."""
    cache = run / "head_features.npz"
    if cache.is_file():
        return dict(np.load(cache))
    from training.predict_run import require_run

    require_run(run)
    from training import sources
    from training.train import load_config, split_for

    cfg = load_config(run)
    train_items, val_items, _ = split_for(cfg)
    train_items = list(train_items)
    random.Random(0).shuffle(train_items)
    films = [Film(p, int(y), "guangzhou (validation)", True) for p, y in val_items]
    films += [Film(p, int(y), "guangzhou (training)", True) for p, y in train_items[:sample]]
    films += sources.other_hospitals(data, ["shenzhen", "montgomery", "hannover"])
    features, logit = pooled_outputs(run, [f.path for f in films])
    out = {
        "features": features,
        "logit": logit,
        "hospital": np.array([f.hospital for f in films]),
        "label": np.array([f.label for f in films]),
        "child": np.array([-1 if f.child is None else int(f.child) for f in films]),
        "path": np.array([str(Path(f.path).resolve()) for f in films]),
        "held_out": np.array(cfg.hold_out_hospital),
    }
    np.savez(cache, **out)
    return out


def refit(features: np.ndarray, films: list[Film], strength: float):
    """A standardised logistic head fitted with each hospital and class weighted equally."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    y = np.array([f.label for f in films])
    head = make_pipeline(StandardScaler(), LogisticRegression(C=strength, max_iter=5000))
    head.fit(features, y, logisticregression__sample_weight=balanced_weights(films, hospital_power=0.0))
    return head


def films_of(d: dict[str, np.ndarray]) -> list[Film]:
    return [
        Film(Path(""), int(y), str(h), CHILD[int(c)])
        for h, y, c in zip(d["hospital"], d["label"], d["child"])
    ]


def guangzhou_rule(d: dict[str, np.ndarray], scores: np.ndarray) -> float:
    """The threshold for sensitivity 0.98 on Guangzhou's validation films (the shipped default's rule)."""
    from training import metrics as M
    from training.evaluate import SCREENING_TARGET

    val = d["hospital"] == "guangzhou (validation)"
    return float(M.threshold_for_sensitivity(d["label"][val], scores[val], SCREENING_TARGET))


def scored_rows(d: dict[str, np.ndarray], scores: np.ndarray) -> tuple[list[dict], float]:
    """Rows for ``hospital_eval.table``: Guangzhou validation and the held-out hospital, and the
    Guangzhou rule's threshold."""
    held = str(d["held_out"])
    rows = [
        {
            "hospital": h if h != held else f"{h} (held out)",
            "child": CHILD[int(c)],
            "label": int(y),
            "score": float(s),
        }
        for h, y, c, s in zip(d["hospital"], d["label"], d["child"], scores)
        if h in ("guangzhou (validation)", held)
    ]
    return rows, guangzhou_rule(d, scores)


def evaluate(d: dict[str, np.ndarray], strengths=STRENGTHS) -> str:
    """The trained head, then the re-fitted head at each strength, as ``hospital_eval`` tables."""
    from training.hospital_eval import table

    held = str(d["held_out"])
    films = films_of(d)
    fit = np.array([f.hospital not in ("guangzhou (validation)", held) for f in films])
    parts = [table(*scored_rows(d, d["logit"]), f"trained head, {held} held out")]
    for c in strengths:
        head = refit(d["features"][fit], [f for f, m in zip(films, fit) if m], c)
        scores = head.decision_function(d["features"])
        parts.append(table(*scored_rows(d, scores), f"re-fitted head C={c}, {held} held out"))
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.offline import ensure_offline

    ensure_offline()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path, nargs="+", help="leave-one-hospital-out run folders (with best.keras)")
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = ap.parse_args(argv)
    for run in args.run:
        print(f"## {run}\n")
        print(evaluate(extract(run, args.data)))


if __name__ == "__main__":
    main()
