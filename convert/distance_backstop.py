"""``python -m convert.distance_backstop ASSETS...``: what the distance check alone refuses of the
scope set, class by class, with each ``assets/`` given (stop 60).

Why: the learned gates refuse every picture, other body part and CT or MRI image in the scope set,
and the distance check ("unlike the training films") is the backstop for what they miss. Fitting
its statistics on more films (``convert.distance_check --fit-on trained``) lets more films through
it; this says how much of the backstop that costs, per class, on the shipped INT8 model's own
features, beside what it changes for the films it is meant to pass (Guangzhou's validation).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import numpy as np


def distances(assets: Path, x: np.ndarray) -> tuple[np.ndarray, float]:
    """Each film's distance by ASSETS' check, and the check's threshold."""
    from convert.distance_check import main_features
    from pneumoscan.scope.distance import FeatureDistance

    try:
        section = json.loads((assets / "scope_gate.json").read_text())["distance"]
        check = FeatureDistance.from_file(assets / section["stats_file"], threshold=section["threshold"])
    except (OSError, ValueError, KeyError) as exc:
        raise SystemExit(f"{assets}: no readable distance check here ({exc})") from exc
    return check.distances(main_features(assets / "model.json", x)), check.threshold


def films(data: Path, limit: int = 0) -> list[tuple[Path, str]]:
    """(path, group): Guangzhou validation, then each scope class split by whether a gate trains on it."""
    from training import split
    from training.scope_data import scope_items

    _train, val = split.split_items(split.list_images(data / "chest_xray" / "train"), split.load_split())
    out = [(p, "Guangzhou validation") for p, _ in val]
    for item in scope_items(data / "scope"):
        out.append((item.path, f"{item.scope_class}, {'trainable' if item.train_ok else 'never trained on'}"))
    if limit:
        out = out[:: max(1, len(out) // limit)]
    return out


def table(assets_dirs: list[Path], rows: list[tuple[Path, str]]) -> str:
    from training.model_inputs import tensors

    x = tensors([p for p, _ in rows])
    group = np.array([g for _, g in rows])
    results = [distances(a, x) for a in assets_dirs]
    head = [
        "films",
        "n",
        *(f"refused by distance, {a} (threshold {t:.1f})" for a, (_d, t) in zip(assets_dirs, results)),
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for name, n in Counter(group).items():
        mask = group == name
        cells = [f"{int((d[mask] > t).sum())} ({(d[mask] > t).mean():.1%})" for d, t in results]
        lines.append(f"| {name} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("assets", type=Path, nargs="+", help="assets folders (the shipped one, a refitted copy)")
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--limit", type=int, default=0, help="about this many films in all (tests)")
    args = ap.parse_args(argv)
    print(table(args.assets, films(args.data, args.limit)))


if __name__ == "__main__":
    main()
