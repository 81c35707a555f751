"""The prediction files a training run leaves beside its checkpoint.

``training.evaluate``, ``hospital_eval``, ``blend_eval`` and ``batch_transfer`` read these files
rather than scoring again, so that every analysis of a run sees the same logits; ``train`` writes
them when a run ends, ``predict_run`` from the checkpoint of a run stopped before its end.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np


def write_run_predictions(
    model, run_dir: Path, val_items, xva: np.ndarray, xsh: np.ndarray, held, held_h, xho
) -> list[Path]:
    """Every predictions file a run leaves: validation and its shifted copy, the held-out batch
    (loaded here), the held-out hospital. Shared by ``run`` and ``training.predict_run``."""
    from pneumoscan.model.preprocess import InputSpec
    from training import dataset

    written = [run_dir / "val_predictions.csv"]
    write_predictions(model, written[0], val_items, {"": xva, "_shifted": xsh})
    if held:
        xhe, _ = dataset.load_arrays(held, InputSpec())
        written.append(run_dir / "heldout_predictions.csv")
        write_predictions(model, written[-1], held, {"": xhe})
    if held_h:
        written.append(run_dir / "heldout_hospital_predictions.csv")
        write_hospital_predictions(model, written[-1], held_h, xho)
    return written


def write_hospital_predictions(model, path: Path, films, x: np.ndarray) -> None:
    """One row per film of a held-out hospital: label, hospital, child or adult, logit."""
    from training import dataset

    out = model.predict(dataset.eval_dataset(x), verbose=0)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "label", "hospital", "child", "logit"])
        for f, z in zip(films, out["logit"][:, 0]):
            w.writerow(
                [str(f.path), f.label, f.hospital, "" if f.child is None else int(f.child), f"{z:.6f}"]
            )


def write_predictions(model, path: Path, items, arrays: dict[str, np.ndarray]) -> None:
    """One row per film: label, subtype label and both heads' logits for each copy."""
    from training import dataset, split

    cols = {}
    for suffix, xs in arrays.items():
        out = model.predict(dataset.eval_dataset(xs), verbose=0)
        cols[f"logit{suffix}"] = out["logit"][:, 0]
        cols[f"subtype_logit{suffix}"] = out["subtype"][:, 0]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "label", "subtype", *cols])
        for i, (p, y) in enumerate(items):
            sub = split.subtype_label(p.name)
            w.writerow(
                [str(p), int(y), "" if np.isnan(sub) else int(sub), *(f"{c[i]:.6f}" for c in cols.values())]
            )
