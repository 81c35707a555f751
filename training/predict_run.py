"""``python -m training.predict_run RUN_DIR``: write a run's predictions from its best checkpoint.

A run writes its predictions only when training ends. One stopped early (the session's clock, a
busy machine) still has ``best.keras``, the checkpoint chosen so far on its selection films; this
writes the same files from it (validation and its shifted copy, the held-out batch, the held-out
hospital), on exactly the films its config names, so that every evaluation reads it as any run.

``--lung-mask SEG --out DIR``: the same classifier with another segmenter (a cheaper one, say):
the checkpoint and the config, its segmenter replaced, are copied to ``DIR`` and scored there, so
that ``hospital_eval``, ``mask_order`` and ``blend_eval`` read the copy as a run of its own.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path


def require_run(run_dir: Path) -> None:
    """A clear message, before TensorFlow loads, when ``run_dir`` is not a training run folder."""
    for name in ("best.keras", "config.json"):
        if not (run_dir / name).is_file():
            raise SystemExit(f"{run_dir}: no {name} here; give a training run folder (runs/<time>)")


def predict(run_dir: Path) -> list[Path]:
    require_run(run_dir)
    import keras

    from pneumoscan.model.preprocess import InputSpec
    from training import dataset
    from training.run_predictions import write_run_predictions
    from training.train import hospital_films, load_config, set_crop, split_for

    cfg = load_config(run_dir)
    set_crop(cfg)
    spec = InputSpec()
    _, val_items, held = split_for(cfg)
    model = keras.models.load_model(run_dir / "best.keras")
    xva, _ = dataset.load_arrays(val_items, spec)
    held_h = hospital_films(cfg)["held"]
    xho = dataset.load_arrays([(f.path, f.label) for f in held_h], spec)[0] if held_h else None
    return write_run_predictions(
        model, run_dir, val_items, xva, dataset.shifted_copy(xva, cfg.seed), held, held_h, xho
    )


def resegmented(run_dir: Path, segmenter: Path, out: Path) -> Path:
    """A copy of ``run_dir`` (checkpoint and config) whose masks come from ``segmenter``."""
    require_run(run_dir)
    cfg = json.loads((run_dir / "config.json").read_text())
    if not cfg.get("lung_mask"):
        raise SystemExit(f"{run_dir}: not a --lung-mask run; it has no segmenter to replace")
    if not segmenter.is_file():
        raise SystemExit(f"{segmenter}: no such segmenter")
    if out.resolve() == run_dir.resolve():
        raise SystemExit(f"{out}: the copy needs a folder of its own (this is the run being copied)")
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy2(run_dir / "best.keras", out / "best.keras")
    cfg["lung_mask"] = str(segmenter)
    (out / "config.json").write_text(json.dumps(cfg, indent=2))
    return out


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.offline import ensure_offline

    ensure_offline()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path)
    ap.add_argument(
        "--lung-mask", type=Path, help="score a copy masked by this segmenter instead (needs --out)"
    )
    ap.add_argument("--out", type=Path, help="the copy's folder (with --lung-mask)")
    args = ap.parse_args(argv)
    if (args.lung_mask is None) != (args.out is None):
        ap.error("--lung-mask and --out go together")
    run = resegmented(args.run, args.lung_mask, args.out) if args.lung_mask else args.run
    for path in predict(run):
        print(path)


if __name__ == "__main__":
    main()
