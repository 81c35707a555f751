"""``python -m training.age_nullspace RUN...``: apparent age taken out of the features, the head re-fitted.

Why: an adversary behind gradient reversal leaves the age readable in the features (thirty-second,
``training.feature_age``; the fifth recipe's hospital adversary failed the same way). Linear
removal does not depend on winning a game: iterative nullspace projection (Ravfogel et al., ACL
2020, "INLP") fits a ridge reading of apparent age from the features, within each class, projects
that direction out, and repeats. The pneumonia head is linear on the pooled features, so a
projection followed by a re-fitted head is again one linear head: it would export exactly like the
trained one (the 14x14 map stays exact). Directions are learned from Guangzhou's training sample
(apparent age from ``training.age_reader``) only; the held-out hospital is read, never fitted.
The head is re-fitted as ``training.head_refit`` does (each trained-on hospital and class weighted
alike), so ``k = 0`` is the control: the same head without any projection.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

ROUNDS = (0, 1, 5, 20, -1)  # -1: LEACE
STRENGTH = 0.01  # the re-fitted head's C (head_refit.STRENGTHS)


def within_class(x: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``x`` with each class's mean taken off (so a direction reads age, not the class)."""
    out = np.array(x, dtype=np.float64, copy=True)
    for c in np.unique(labels):
        out[labels == c] -= out[labels == c].mean(axis=0)
    return out


def nullspace(features: np.ndarray, age: np.ndarray, labels: np.ndarray, rounds: int) -> np.ndarray:
    """The projection (d x d) that removes ``rounds`` directions along which age is read linearly."""
    from sklearn.linear_model import RidgeCV

    x, a = within_class(features, labels), within_class(age, labels)
    p = np.eye(features.shape[1])
    for _ in range(rounds):
        w = RidgeCV(alphas=np.logspace(-1, 5, 13)).fit(x @ p, a).coef_
        u = p @ w
        norm = np.linalg.norm(u)
        if norm < 1e-12:
            break
        u /= norm
        p = p - np.outer(u, u)
    return p


def leace(features: np.ndarray, age: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The linear part of LEACE (Belrose et al., NeurIPS 2023): the (d x d) map after which no
    linear reading of the features correlates with age within either class on these films,
    changing them as little as possible in the whitened metric. The concept has one column per
    class (age within that class, 0 elsewhere), so a direction of age that differs between normal
    and pneumonia films goes too. INLP's ridge directions are regularised, so a handful of them can
    leave most of the age behind; this takes out the directions that carry all of it, here.
    Written out rather than taken from EleutherAI's ``concept-erasure`` (its LEACE): that package
    runs on PyTorch, which nothing else here needs; the closed form is a few lines of numpy,
    tested against its defining property (no cross-covariance left)."""
    x = within_class(features, labels)
    z = np.stack([np.where(labels == c, within_class(age, labels), 0.0) for c in np.unique(labels)], axis=1)
    cov = x.T @ x / len(x)
    vals, vecs = np.linalg.eigh(cov)
    keep = vals > vals.max() * 1e-8
    root = (vecs[:, keep] * np.sqrt(vals[keep])) @ vecs[:, keep].T  # cov^(1/2)
    white = (vecs[:, keep] / np.sqrt(vals[keep])) @ vecs[:, keep].T  # cov^(-1/2), pseudo-inverse
    u, _ = np.linalg.qr(white @ (x.T @ z / len(x)))
    return np.eye(len(cov)) - (root @ u @ u.T @ white).T


def measure(
    d: dict[str, np.ndarray],
    apparent: dict[str, float],
    known: dict[str, float],
    rounds: int,
    source: str = "guangzhou",
) -> dict:
    """The re-fitted head on features with ``rounds`` age directions projected out (-1: LEACE),
    learned from Guangzhou's training films and their apparent age, or from a trained-on NLM
    hospital's films and its patients' true age (``source="shenzhen"``)."""
    from sklearn.metrics import roc_auc_score

    from training import feature_age, head_refit

    held = str(d["held_out"])
    films = head_refit.films_of(d)
    hosp, y, paths = d["hospital"], d["label"], d["path"]
    fit = np.array([h not in ("guangzhou (validation)", held) for h in hosp])
    mu, sd = d["features"][fit].mean(axis=0), d["features"][fit].std(axis=0) + 1e-6
    x = (d["features"] - mu) / sd
    if source == held:
        raise SystemExit(f"--source {source}: the run holds it out; its films are read, never fitted")
    name, age_of = ("guangzhou (training)", apparent) if source == "guangzhou" else (source, known)
    src = np.array([h == name and q in age_of for h, q in zip(hosp, paths)])
    if not src.any():
        raise SystemExit(f"--source {source}: no film of the run's features has an age there")
    src_age = np.array([age_of[q] for q in paths[src]])
    p = leace(x[src], src_age, y[src]) if rounds < 0 else nullspace(x[src], src_age, y[src], rounds)
    xp = x @ p
    head = head_refit.refit(xp[fit], [f for f, m in zip(films, fit) if m], STRENGTH)
    scores = head.decision_function(xp)
    rule = head_refit.guangzhou_rule(d, scores)
    val, out = hosp == "guangzhou (validation)", hosp == held
    row = {"rounds": rounds, "source": source, "guangzhou_auc": float(roc_auc_score(y[val], scores[val]))}
    for group, kids in (("adults", 0), ("children", 1), ("all", -1)):
        m = out & ((d["child"] == kids) if kids >= 0 else True)
        if len(np.unique(y[m])) == 2:
            row[f"held_{group}_auc"] = float(roc_auc_score(y[m], scores[m]))
    normal = out & (y == 0)
    row["held_normal_flagged"] = (int((scores[normal] >= rule).sum()), int(normal.sum()))
    aged = normal & np.array([q in known for q in paths])
    if aged.sum() > 2:
        ages = np.array([known[q] for q in paths[aged]])
        row["held_normal_rho_score_age"] = float(spearmanr(scores[aged], ages).statistic)
        row["held_normal_age_read"] = feature_age.age_held(xp[aged], ages)
    gz_normal = val & (y == 0) & np.array([q in apparent for q in paths])
    row["guangzhou_normal_age_read"] = feature_age.age_held(
        xp[gz_normal], np.array([apparent[q] for q in paths[gz_normal]])
    )
    return row


def render(run: Path, rows: list[dict]) -> str:
    def f(r: dict, k: str) -> str:
        return f"{r[k]:.3f}" if k in r else "-"

    header = (
        "age directions removed",
        "Guangzhou val AUC",
        "held out: adults; children; all (AUC)",
        "held-out normal flagged at Guangzhou's 0.98 rule",
        "held-out normal: score vs age (Spearman)",
        "age read from the features: Guangzhou val normal (apparent); held-out normal (patient)",
    )
    source = rows[0]["source"] if rows else "guangzhou"
    lines = [
        f"## {run} (re-fitted head C={STRENGTH}; age directions from {source})",
        "",
        "| " + " | ".join(header) + " |",
    ]
    lines.append("| --- " * len(header) + "|")
    for r in rows:
        n, of = r["held_normal_flagged"]
        cells = (
            "LEACE" if r["rounds"] < 0 else str(r["rounds"]),
            f(r, "guangzhou_auc"),
            "; ".join(f(r, f"held_{g}_auc") for g in ("adults", "children", "all")),
            f"{n} of {of}",
            f(r, "held_normal_rho_score_age"),
            f"{f(r, 'guangzhou_normal_age_read')}; {f(r, 'held_normal_age_read')}",
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.offline import ensure_offline
    from training import feature_age

    ensure_offline()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    feature_age.add_age_arguments(ap)
    ap.add_argument("--rounds", default=",".join(map(str, ROUNDS)), help="INLP directions, -1 LEACE: 0,5,-1")
    ap.add_argument(
        "--source", default="guangzhou", help="where the age directions are learned: guangzhou, shenzhen"
    )
    args = ap.parse_args(argv)
    apparent, known = feature_age.ages(args)
    rounds = [int(k) for k in args.rounds.split(",")]
    for run in args.run:
        d = feature_age.features(run, args.data)
        print(render(run, [measure(d, apparent, known, k, args.source) for k in rounds]))


if __name__ == "__main__":
    main()
