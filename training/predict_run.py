"""``python -m training.predict_run RUN_DIR``: write a run's predictions from its best checkpoint.

A run writes its predictions only when training ends. One stopped early (the session's clock, a
busy machine) still has ``best.keras``, the checkpoint chosen so far on its selection films; this
writes the same files from it (validation and its shifted copy, the held-out batch, the held-out
hospital), on exactly the films its config names, so that every evaluation reads it as any run.
"""

from __future__ import annotations

import argparse
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
    from training.train import hospital_films, load_config, set_crop, split_for, write_run_predictions

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


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.offline import ensure_offline

    ensure_offline()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path)
    args = ap.parse_args(argv)
    for path in predict(args.run):
        print(path)


if __name__ == "__main__":
    main()
