"""``python -m training.feature_gate_eval RUN``: can the pneumonia model's own pooled features tell an
adult's film from a child's better than the learned scope gates (stop 58)?

Why: the gates refuse an unseen batch's oldest-looking children (2.8%, against the issue's 1%), and
at 1% of that batch they refuse only 80% of Montgomery's adults. The pneumonia model sees the film at
twice the gates' resolution and its features follow the patient's age (``age_probe``), and a check on
them would cost nothing at inference (the distance check already reads them). So: a logistic
regression, adult against child, on RUN's pooled features. Children: Guangzhou training films and
Shenzhen's children; adults: Shenzhen's adults and the scope set's trainable adult frontal films.
RUN should be trained with ``--hold-out-batch NORMAL2 --hold-out-hospital montgomery``, so that the
batch and Montgomery are unseen by both the network and the regression; the scope set's
licence-restricted ``covid`` adult films are never trained on by anything.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import numpy as np

STRENGTHS = (0.001, 0.01, 0.1)  # scikit-learn's C on standardised features
TRAIN_SAMPLE = 2000  # Guangzhou training films as the child class
CACHE = "feature_gate_features.npz"


def films(run: Path, data: Path, sample: int = TRAIN_SAMPLE) -> list[tuple[Path, str, float]]:
    """(path, group, age) for every film the evaluation reads; NaN where no age is given."""
    from training.scope_data import scope_items
    from training.scope_hospitals import hospital_films
    from training.train import load_config, split_for

    train, val, held = split_for(load_config(run))
    if not held:
        raise SystemExit(f"{run}: not trained with --hold-out-batch (the unseen batch is the measure)")
    train = list(train)
    random.Random(0).shuffle(train)
    out = [(p, "gz_val", np.nan) for p, _ in val] + [(p, "gz_train", np.nan) for p, _ in train[:sample]]
    out += [(p, "batch", np.nan) for p, _ in held]
    out += [
        (Path(f["path"]), f["hospital"], np.nan if f["age"] is None else f["age"])
        for f in hospital_films(data)
    ]
    for item in scope_items(data / "scope"):
        if item.scope_class == "adult_cxr":
            out.append((item.path, f"scope_adult_{'train' if item.train_ok else 'never'}", np.nan))
    return out


def extract(run: Path, data: Path, sample: int = TRAIN_SAMPLE) -> dict[str, np.ndarray]:
    """Pooled features of every film (cached in RUN)."""
    if (run / CACHE).is_file():
        return dict(np.load(run / CACHE))
    from training.predict_run import require_run

    require_run(run)
    from training.head_refit import pooled_outputs

    rows = films(run, data, sample)
    features, _logit = pooled_outputs(run, [r[0] for r in rows])
    out = {
        "features": features,
        "group": np.array([r[1] for r in rows]),
        "age": np.array([r[2] for r in rows], dtype=float),
    }
    np.savez(run / CACHE, **out)
    return out


def fit_masks(group: np.ndarray, age: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The regression's children and adults; nothing of the batch, validation, Montgomery or covid."""
    shenzhen = group == "shenzhen"
    child = (group == "gz_train") | (shenzhen & (age < 18))
    adult = (shenzhen & (age >= 18)) | (group == "scope_adult_train")
    return child, adult


def adult_scores(d: dict[str, np.ndarray], strength: float) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    child, adult = fit_masks(d["group"], d["age"])
    fit = child | adult
    y = adult[fit].astype(int)
    weight = np.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean()))  # the classes weigh alike
    head = make_pipeline(StandardScaler(), LogisticRegression(C=strength, max_iter=5000))
    head.fit(d["features"][fit].astype(np.float64), y, logisticregression__sample_weight=weight)
    return head.decision_function(d["features"].astype(np.float64))


def refused_cells(scores: np.ndarray, group: np.ndarray, t: float) -> list[str]:
    """Refused (score above ``t``) of: the unseen batch, validation, Montgomery, the never-trained adults."""
    cells = []
    for name in ("batch", "gz_val", "montgomery", "scope_adult_never"):
        s = scores[group == name]
        cells.append(f"{int((s > t).sum())} / {len(s)}")
    return cells


def evaluate(d: dict[str, np.ndarray], strengths=STRENGTHS, share: float = 0.01, counts=(7, 10, 21)) -> str:
    """Each strength at the rule "refuse ``share`` of validation", and at the threshold refusing k of
    the batch (the gates' figures at the same k: ``scope_age_eval --match-batch``)."""
    head = "| regression (C), threshold | unseen batch refused | validation | Montgomery | adult films never trained on |"
    lines = [head, "| --- | --- | --- | --- | --- |"]
    g = d["group"]
    for c in strengths:
        s = adult_scores(d, c)
        t = float(np.quantile(s[g == "gz_val"], 1 - share))
        lines.append(
            f"| C={c}, {share:.1%} of validation ({t:.2f}) | " + " | ".join(refused_cells(s, g, t)) + " |"
        )
        batch = np.sort(s[g == "batch"])[::-1]
        for k in counts:
            if k < len(batch):
                cells = refused_cells(s, g, float(batch[k]))
                lines.append(f"| C={c}, {k} of the batch | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "run", type=Path, help="a training.train run with --hold-out-batch (and Montgomery held out)"
    )
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--share", type=float, default=0.01, help="share of validation refused by the rule")
    args = ap.parse_args(argv)
    print(evaluate(extract(args.run, args.data), share=args.share))


if __name__ == "__main__":
    main()
