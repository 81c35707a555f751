"""Other hospitals' films for the scope gate (issue 18, item 4): "adult" learned from anatomy.

The shipped gate learned "in scope" from one hospital's children and "adult" from two sources of
adult films, so the hospital could give the class away. Shenzhen has both children (30) and
adults (632): trained with both, children oversampled to the adults' number (augmented copies),
the hospital predicts nothing. Montgomery gives no ages: it is never trained on and is scored by
the full gate, a hospital it never saw. Shenzhen's own figures come from 5 folds by film (each
film one patient), so each film is scored by a gate that never saw it.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from pneumoscan.scope.classes import GATE_CLASSES

CHILD_COPIES = 40  # augmented copies per child: 30 x 41 ~ the 632 adults x 2 (clean + one copy)
FOLDS = 5


def hospital_films(data: Path) -> list[dict]:
    """Every NLM film: path, hospital, child (True/False/None), train (Shenzhen with an age), label (1 = TB)."""
    root = data / "other_hospitals"
    out = []
    with open(root / "manifest.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            age = row.get("age", "").strip()
            child = (float(age) < 18) if age.replace(".", "").isdigit() else None
            train = row["hospital"] == "shenzhen" and child is not None and row.get("train_ok") == "yes"
            out.append(
                {
                    "path": str(root / row["path"]),
                    "hospital": row["hospital"],
                    "age": float(age) if child is not None else None,
                    "child": child,
                    "train": train,
                    "label": int(row["label"] != "normal"),
                }
            )
    return out


def build(films: list[dict], factor: int, seed: int) -> dict:
    """Gate inputs of every film, and augmented copies of the trainable ones (children oversampled)."""
    from training import scope_data
    from training.train_scope import augmented

    u8 = np.stack([scope_data.squash_file(Path(f["path"])) for f in films])
    train = [i for i, f in enumerate(films) if f["train"]]
    kids = [i for i in train if films[i]["child"]]
    adults = [i for i in train if not films[i]["child"]]
    return {
        "x_hosp": scope_data.to_input(u8, factor),
        "hosp_paths": np.array([f["path"] for f in films]),
        "a_hosp_kids": augmented(u8[kids], factor, CHILD_COPIES, seed + 4),
        "a_hosp_adults": augmented(u8[adults], factor, 1, seed + 5),
    }


def fold_of(films: list[dict]) -> np.ndarray:
    """Fold number of each trainable film (children and adults spread evenly); -1 elsewhere."""
    out = np.full(len(films), -1)
    for group in (True, False):
        idx = [i for i, f in enumerate(films) if f["train"] and f["child"] is group]
        out[idx] = np.arange(len(idx)) % FOLDS
    return out


def training_part(c: dict, films: list[dict], held_fold: int | None) -> tuple[np.ndarray, np.ndarray]:
    """The hospital examples to add, leaving out ``held_fold`` (clean and augmented copies)."""
    folds = fold_of(films)
    train = [i for i, f in enumerate(films) if f["train"]]
    kids = [i for i in train if films[i]["child"]]
    adults = [i for i in train if not films[i]["child"]]
    keep = [i for i in train if folds[i] != held_fold]
    kid_rows = [
        k * CHILD_COPIES + j for k, i in enumerate(kids) if folds[i] != held_fold for j in range(CHILD_COPIES)
    ]
    adult_rows = [k for k, i in enumerate(adults) if folds[i] != held_fold]
    child, adult = GATE_CLASSES.index("paediatric_chest"), GATE_CLASSES.index("adult_chest")
    x = np.concatenate([c["x_hosp"][keep], c["a_hosp_kids"][kid_rows], c["a_hosp_adults"][adult_rows]])
    y = np.concatenate(
        [
            [child if films[i]["child"] else adult for i in keep],
            np.full(len(kid_rows), child),
            np.full(len(adult_rows), adult),
        ]
    )
    return x, y.astype(np.int64)


def score(films: list[dict], c: dict, full, fit_fold, p_in) -> dict:
    """In-scope probabilities: Shenzhen out of fold, everything else from the full gate."""
    probs = p_in(full, c["x_hosp"])
    scored_by = ["full gate (hospital never trained on)"] * len(films)
    folds = fold_of(films)
    for k in range(FOLDS):
        model = fit_fold(k)
        idx = np.flatnonzero(folds == k)
        probs[idx] = p_in(model, c["x_hosp"][idx])
        for i in idx:
            scored_by[i] = f"fold {k} (film never trained on)"
    return {
        f["path"]: {
            "hospital": f["hospital"],
            "age": f["age"],
            "probs": probs[i].tolist(),
            "scored_by": scored_by[i],
        }
        for i, f in enumerate(films)
    }


def group_of(entry: dict) -> str:
    age = entry["age"]
    if age is None:
        return f"{entry['hospital']}, age not given"
    return f"{entry['hospital']}, " + (
        "children 1-10" if age <= 10 else "children 11-17" if age < 18 else "adults"
    )


def summary(scores: dict, reject: float = 0.002, shifted_reject: float = 0.005) -> dict:
    """The learned gate alone at the convert rule's threshold: refused share per hospital group."""
    p_val = np.array(scores["val"])[:, 0]
    p_shift = np.array(scores["val_shifted"])[:, 0]
    t = min(float(np.quantile(p_val, reject)), float(np.quantile(p_shift, shifted_reject)))
    groups: dict[str, list[float]] = {}
    for entry in scores.get("hospitals", {}).values():
        groups.setdefault(group_of(entry), []).append(entry["probs"][0])
    out = {"threshold": t, "validation_refused": float((p_val < t).mean())}
    for g, ps in sorted(groups.items()):
        ps = np.array(ps)
        out[g] = {"films": len(ps), "refused": int((ps < t).sum()), "share": float((ps < t).mean())}
    return out
