"""``python -m training.mask_order RUN...``: a masked run's shifted copy, masked the way a product would.

Why: every run trained on films masked to the lungs (``--lung-mask``) kept fewer of the shifted
validation copy's pneumonia films at its clean threshold than the unmasked runs. But that copy is
made *after* masking (``dataset.shifted_copy`` of the masked films): its blur, noise, exposure and
geometry fall on the black background and the mask's edge too, which no masked product would ever
show the classifier. A product masks the film it is given: the shift happens first (another
machine), the segmenter second. This scores both orders on the same validation films:

- ``clean``: the squashed film, masked, squashed again (the same two resizes as ``shifted``);
- ``mask, then shift``: the run's own copy (as in ``val_predictions.csv``);
- ``shift, then mask``: the unmasked runs' shifted copy (same seed), then the run's segmenter.

``--segmenter`` masks the last two with another segmenter than the run's (the classifier is the
run's: does a segmenter robust to other machines give it back its figures?). ``--mirror`` masks
them with another rule for bringing back a lost lung (``training.lungs.lung_mask``).

For each, sensitivity and specificity at the 0.98-sensitivity threshold of the run's own clean
validation scores (``training.shifted_threshold``'s rule), and the AUC. Each film's logits are kept beside
the run (``mask_order[...]_predictions.csv``) for ``training.blend_eval``.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np

from training import metrics as M
from training.lungs import MIRRORS
from training.shifted_threshold import TARGET, read


def remask(films: np.ndarray, masker, spec) -> np.ndarray:
    """Each squashed uint8 film masked by ``masker`` and squashed back to ``spec``'s size."""
    from pneumoscan.model.preprocess import resize_to_input

    out = np.empty_like(films)
    for i, film in enumerate(films):
        unit = resize_to_input(masker(film[..., 0]), spec)
        out[i, ..., 0] = np.clip(np.floor(unit * 255.0 + 0.5), 0, 255).astype(np.uint8)
    return out


def figures(y: np.ndarray, threshold: float, z: np.ndarray) -> dict:
    """AUC, and sensitivity and specificity at ``threshold``, of logits ``z``."""
    at = M.at_threshold(y, z, threshold)
    return {"auc": M.roc_auc(y, z), "sensitivity": at["sensitivity"], "specificity": at["specificity"]}


def keep_logits(path: Path, items, y: np.ndarray, logits: dict[str, np.ndarray]) -> None:
    """One row per validation film and copy, so that ``training.blend_eval`` can pair this run's
    films with another run's without scoring them again."""
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "label", *(f"logit_{k.replace(', ', '_').replace(' ', '_')}" for k in logits)])
        for i, (p, _) in enumerate(items):
            w.writerow([str(p), int(y[i]), *(f"{z[i]:.6f}" for z in logits.values())])


def orders(
    run_dir: Path, segmenter: Path | None = None, mirror: str | None = None, keep: Path | None = None
) -> dict:
    """Figures for the three copies of ``run_dir``'s validation films (see the module text);
    with ``keep``, each film's logits are written there too (``keep_logits``)."""
    from training.predict_run import require_run
    from training.train import load_config

    require_run(run_dir)
    if not (run_dir / "val_predictions.csv").is_file():
        raise SystemExit(f"{run_dir}: no val_predictions.csv (write it with python -m training.predict_run)")
    cfg = load_config(run_dir)
    if not cfg.lung_mask:
        raise SystemExit(f"{run_dir}: not a --lung-mask run; its shifted copy has no masking order")
    import keras

    from pneumoscan.model.preprocess import InputSpec
    from training import dataset
    from training.lungs import LungMasker
    from training.train import segmenter_for, split_for

    spec = InputSpec()
    _, val_items, _ = split_for(cfg)
    dataset.CROP = None
    raw, y = dataset.load_arrays(val_items, spec)
    mirror = mirror or cfg.lung_mirror
    masker = LungMasker(segmenter or segmenter_for(cfg), dilate=0.04, mirror=mirror)
    copies = {
        "clean": remask(raw, masker, spec),
        "shift, then mask": remask(dataset.shifted_copy(raw, cfg.seed), masker, spec),
    }
    model = keras.models.load_model(run_dir / "best.keras")
    logits = {k: model.predict(dataset.eval_dataset(v), verbose=0)["logit"][:, 0] for k, v in copies.items()}
    y_run, z_run, zs_run = read(run_dir)
    if len(y_run) != len(y) or not np.array_equal(y_run, y.astype(int)):
        raise SystemExit(f"{run_dir}: val_predictions.csv does not list this config's validation films")
    t = M.threshold_for_sensitivity(y_run, z_run, TARGET)
    if keep is not None:
        keep_logits(keep, val_items, y_run, logits)
    return {
        "threshold": float(t),
        "segmenter": str(segmenter or segmenter_for(cfg)),
        "mirror": mirror,
        "run's clean (masked at full size)": figures(y_run, t, z_run),
        "clean (masked after the squash)": figures(y_run, t, logits["clean"]),
        "mask, then shift (the run's copy)": figures(y_run, t, zs_run),
        "shift, then mask (as a product would)": figures(y_run, t, logits["shift, then mask"]),
        "masker": {"found": masker.found, "kept_whole": masker.kept_whole},
    }


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.offline import ensure_offline

    ensure_offline()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", type=Path, nargs="+")
    ap.add_argument("--segmenter", type=Path, help="mask with this segmenter instead of the run's own")
    ap.add_argument(
        "--mirror", choices=MIRRORS, help="bring back a lost lung so (default: as the run trained)"
    )
    args = ap.parse_args(argv)
    print("| run | copy | AUC | sensitivity | specificity |")
    print("| --- | --- | --- | --- | --- |")
    for run_dir in args.runs:
        name = "mask_order" + (f"-{args.segmenter.parent.name}" if args.segmenter else "")
        name += f"-{args.mirror}" if args.mirror else ""
        res = orders(run_dir, args.segmenter, args.mirror, keep=run_dir / f"{name}_predictions.csv")
        (run_dir / f"{name}.json").write_text(json.dumps(res, indent=2))
        for name, f in res.items():
            if isinstance(f, dict) and "auc" in f:
                print(
                    f"| {run_dir} | {name} | {f['auc']:.3f} | {100 * f['sensitivity']:.1f}% "
                    f"| {100 * f['specificity']:.1f}% |"
                )
        print(
            f"| {run_dir} | masker | films masked {res['masker']['found']}, kept whole "
            f"{res['masker']['kept_whole']} | | |"
        )


if __name__ == "__main__":
    main()
