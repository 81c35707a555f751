"""``python -m training.train``: train the CNN and write a run folder.

The run folder holds config, per-epoch history, the best checkpoint (chosen on
the *shifted* validation AUC, a harder stand-in for unseen machines), and
validation predictions that ``training.evaluate`` turns into metrics and plots.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from training.run_predictions import write_run_predictions


@dataclass
class TrainConfig:
    data: str = "../shared/data/chest_xray/train"
    out: str = "runs"
    epochs: int = 40
    batch: int = 32
    lr: float = 2e-3
    weight_decay: float = 1e-4
    dropout: float = 0.3
    patience: int = 8
    seed: int = 42
    aug: str = "round2"  # augmentation preset in training.augment.PRESETS
    subtype_weight: float = 0.5  # share of the loss for the bacterial-vs-viral head
    hold_out_batch: str = ""  # e.g. "NORMAL2": never train or select on that batch; predict it at the end
    hospitals: str = ""  # other hospitals to train on too (training.sources), e.g. "shenzhen,hannover"
    hold_out_hospital: str = ""  # never trained on; the checkpoint is chosen on it (leave-one-hospital-out)
    hospital_power: float = 0.5  # each hospital's loss share grows with (films) ** this
    adversarial: float = 0.0  # >0: a hospital head behind gradient reversal, reversed gradient ramped to this
    lung_crop: str = ""  # a segmenter from training.lungs: crop every film to its lungs (experiment)
    lung_mask: str = ""  # training.lungs segmenter or run folder: blank films outside the lungs (experiment)
    lung_graph: str = ""  # training.lung_graph segmenter or run folder: the lung mask inside the model
    lung_graph_intensity: str = "film"  # "lungs" standardised, "equalised" (lung_graph.INTENSITIES)
    lung_graph_crop: bool = False  # the in-graph mask also crops to the lungs' box (lung_graph.cropped)
    lung_graph_margin: int = 1  # cells of 32 the in-graph mask grows by beyond the lungs
    stem: str = "conv"  # the CNN's first layer: "conv" or "patch" (model.STEMS; patch is cheaper)
    lung_mirror: str = "midline"  # how the mask brings back a lost lung (training.lungs.MIRRORS)
    consistency: float = 0.0  # >0: two looks at each film, their scores held together (training.consistency)
    group_dro: float = 0.0  # >0: (hospital, class) groups weighed up by their loss (training.group_dro)
    mixstyle: float = 0.0  # >0: early feature statistics mixed between films, this chance a batch
    background_swap: float = 0.0  # >0: this chance a film takes another's surroundings (background_swap)
    cross_mixup: float = 0.0  # >0: this chance a film is blended with its class at another hospital
    spectral: float = 0.0  # >0: the logit's square penalised, this strength (training.spectral)
    aspect_debias: float = 0.0  # >0: Guangzhou's pneumonia films widened by exp(this) (aspect_debias)
    age_balance: str = ""  # training.age_reader CSV: Guangzhou's classes weighed alike by apparent age
    age_adversarial: float = 0.0  # >0: an apparent-age head (within class) behind gradient reversal, to this
    age_csv: str = ""  # training.age_reader CSV the age head reads (Guangzhou's films)
    swap_segmenter: str = ""  # training.lungs segmenter or run folder that draws the lungs for the swap
    weight_average: float = 0.0  # >0: select and save the weights' running average, this momentum a step
    tail_average: int = 0  # >0: fixed schedule, no selection; save the last N epochs' average (tail_average)
    limit: int = 0  # >0: use only this many images per side (smoke runs)
    steps: int = 0  # >0: steps per epoch (smoke runs)


def load_config(run_dir: Path) -> TrainConfig:
    """A run's config; keys from older code versions are ignored."""
    raw = json.loads((Path(run_dir) / "config.json").read_text())
    known = set(TrainConfig.__dataclass_fields__)
    return TrainConfig(**{k: v for k, v in raw.items() if k in known})


def set_seeds(seed: int) -> None:
    import tensorflow as tf

    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)


def _subset(items, n: int, seed: int):
    if n <= 0 or n >= len(items):
        return items
    rng = random.Random(seed)
    by = {0: [i for i in items if i[1] == 0], 1: [i for i in items if i[1] == 1]}
    return rng.sample(by[0], n // 2) + rng.sample(by[1], n - n // 2)


def set_crop(cfg: TrainConfig) -> None:
    """Crop or mask every film to its lungs, where the run asks for it (experiments only)."""
    from training import dataset

    if cfg.lung_graph and (cfg.lung_crop or cfg.lung_mask):
        raise SystemExit("--lung-graph masks inside the model: not with --lung-crop or --lung-mask")
    if cfg.lung_crop:
        from training.lungs import LungCropper

        dataset.CROP = LungCropper(cfg.lung_crop)
    if cfg.lung_mask:
        from training.lungs import LungMasker

        dataset.CROP = LungMasker(segmenter_for(cfg), mirror=cfg.lung_mirror)


def split_for(cfg: TrainConfig) -> tuple[list, list, list]:
    """Guangzhou's training and validation films for this config, and the held-out batch's films.

    One function, so that a run's predictions can be written again from its config
    (``training.predict_run``) with exactly the films it was validated on."""
    from training import split

    items = split.list_images(Path(cfg.data))
    held = [
        it for it in items if cfg.hold_out_batch and split.acquisition_batch(it[0].name) == cfg.hold_out_batch
    ]
    items = [it for it in items if it not in held]
    train_items, val_items = split.split_items(items, split.load_split())
    train_items = _subset(train_items, cfg.limit, cfg.seed)
    val_items = _subset(val_items, cfg.limit, cfg.seed)
    held = _subset(held, cfg.limit, cfg.seed) if held and cfg.limit else held
    return train_items, val_items, held


def run(cfg: TrainConfig) -> Path:
    import keras
    import tensorflow as tf

    from pneumoscan.model.preprocess import InputSpec
    from training import adversary, dataset, split, weight_average
    from training.model import build_model

    check_averaging(cfg)
    if cfg.spectral < 0:
        raise SystemExit(f"--spectral {cfg.spectral}: a negative penalty would reward large logits")
    set_seeds(cfg.seed)
    spec = InputSpec()
    set_crop(cfg)
    run_dir = Path(cfg.out) / time.strftime("%Y%m%d-%H%M%S")
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.json").write_text(json.dumps(asdict(cfg), indent=2))

    train_items, val_items, held = split_for(cfg)
    t0 = time.time()
    xtr, ytr = dataset.load_arrays(train_items, spec)
    n_guangzhou = len(xtr)
    xva, yva = dataset.load_arrays(val_items, spec)
    xsh = dataset.shifted_copy(xva, cfg.seed)
    print(f"loaded {len(xtr)} train / {len(xva)} val images in {time.time() - t0:.0f}s", flush=True)

    sub_tr = np.array([split.subtype_label(p.name) for p, _ in train_items], dtype=np.float64)
    sub_va = np.array([split.subtype_label(p.name) for p, _ in val_items], dtype=np.float64)
    t_tr, w_tr = dataset.head_targets(ytr, sub_tr, ytr, sub_tr)
    t_va, w_va = dataset.head_targets(yva, sub_va, ytr, sub_tr)
    films_by_role = hospital_films(cfg)
    if films_by_role["train"]:  # several hospitals: weights per hospital and class (training.sources)
        from training import sources

        extra = films_by_role["train"]
        xex, yex = dataset.load_arrays([(f.path, f.label) for f in extra], spec)
        films = sources.guangzhou(train_items) + extra
        xtr, ytr = np.concatenate([xtr, xex]), np.concatenate([ytr, yex])
        sub_tr = np.concatenate([sub_tr, np.full(len(extra), np.nan)])
        t_tr, w_tr = dataset.head_targets(ytr, sub_tr, ytr, sub_tr)
        w_tr["logit"] = sources.balanced_weights(films, cfg.hospital_power)
        train_items = [(f.path, f.label) for f in films]
        if cfg.group_dro:
            from training import group_dro

            dro = group_dro.setup(films, xtr, ytr, cfg.group_dro, cfg.seed)
        print(f"with other hospitals: {len(extra)} films; {len(xtr)} in all", flush=True)
    if cfg.age_balance:
        from training import age_balance

        guangzhou_paths = [p for p, _ in train_items[:n_guangzhou]]
        w_tr["logit"] = age_balance.apply(w_tr["logit"], guangzhou_paths, ytr, Path(cfg.age_balance))
    classes = adversary.setup(cfg, t_tr, w_tr, [p for p, _ in train_items[:n_guangzhou]], ytr, films_by_role)
    held_h = films_by_role["held"]
    if held_h:  # leave-one-hospital-out: the checkpoint is chosen on a hospital never trained on
        xho, yho = dataset.load_arrays([(f.path, f.label) for f in held_h], spec)
        nan = np.full(len(held_h), np.nan)
        t_ho, w_ho = dataset.head_targets(yho, nan, yho, nan)
        if classes:
            adversary.no_hospital_target(t_ho, w_ho)
        print(
            f"held-out hospital {cfg.hold_out_hospital}: {len(held_h)} films "
            + ("scored each epoch, chosen on by nothing" if cfg.tail_average else "select the checkpoint"),
            flush=True,
        )
    if classes:  # the adversary head: empty targets off training
        adversary.no_hospital_target(t_va, w_va)
    model = build_model(
        spec.height,
        spec.width,
        cfg.dropout,
        hospitals=classes,
        mixstyle=cfg.mixstyle,
        lung_segmenter=str(segmenter_for(cfg, cfg.lung_graph)) if cfg.lung_graph else None,
        lung_intensity=cfg.lung_graph_intensity,
        lung_crop=cfg.lung_graph_crop,
        lung_margin=cfg.lung_graph_margin,
        stem=cfg.stem,
    )
    steps = cfg.steps or int(np.ceil(len(xtr) / cfg.batch))
    logit_loss = keras.losses.BinaryCrossentropy(from_logits=True)
    if cfg.spectral:
        from training.spectral import SpectralDecoupling

        logit_loss = SpectralDecoupling(cfg.spectral)
    loss = {"logit": logit_loss, "subtype": keras.losses.BinaryCrossentropy(from_logits=True)}
    loss_weights = {"logit": 1.0, "subtype": cfg.subtype_weight}
    weighted = {"subtype": [keras.metrics.AUC(name="auc", from_logits=True)]}
    if classes:
        loss["hospital"] = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        loss_weights["hospital"] = 1.0
        weighted["hospital"] = [keras.metrics.SparseCategoricalAccuracy(name="acc")]
    trainer = model
    if cfg.consistency > 0:
        from training.consistency import ConsistencyTrainer

        trainer = ConsistencyTrainer(model, cfg.consistency)
    trainer.compile(
        optimizer=weight_average.optimizer(cfg.lr, cfg.weight_decay, cfg.weight_average),
        loss=loss,
        loss_weights=loss_weights,
        metrics={"logit": [keras.metrics.AUC(name="auc", from_logits=True)]},
        weighted_metrics=weighted,
    )
    from training import aspect_debias, background_swap, cross_mixup
    from training.augment import PRESETS

    if (cfg.group_dro or cfg.cross_mixup) and not films_by_role["train"]:
        raise SystemExit("--group-dro and --cross-mixup need --hospitals: they work across hospitals")
    train_ds = dataset.train_dataset(
        xtr,
        t_tr,
        w_tr,
        cfg.batch,
        cfg.seed,
        PRESETS[cfg.aug],
        paired=cfg.consistency > 0,
        groups=(dro.groups, dro.weights.scale) if cfg.group_dro else None,
        swap=(background_swap.setup(cfg, xtr), cfg.background_swap) if cfg.background_swap else None,
        mix=(cross_mixup.hospital_ids(films), cfg.cross_mixup) if cfg.cross_mixup else None,
        aspect=aspect_debias.offsets(ytr, np.arange(len(ytr)) < n_guangzhou, cfg.aspect_debias)
        if cfg.aspect_debias
        else None,
    ).repeat()
    shifted_ds = (
        dataset.eval_dataset(xho, t_ho, w_ho, 64) if held_h else dataset.eval_dataset(xsh, t_va, w_va, 64)
    )
    ckpt = run_dir / "best.keras"
    callbacks = [
        *_choosing(cfg, model, trainer, xtr, ckpt),
        keras.callbacks.CSVLogger(str(run_dir / "history.csv")),
    ]
    if classes:
        callbacks.append(adversary.reversal_ramp(model, cfg.adversarial or cfg.age_adversarial))
    if cfg.group_dro:
        callbacks.append(dro.callback)
    trainer.fit(
        train_ds,
        epochs=cfg.epochs,
        steps_per_epoch=steps,
        validation_data=shifted_ds,
        callbacks=callbacks,
        verbose=2,
    )
    model = keras.models.load_model(ckpt)
    write_run_predictions(model, run_dir, val_items, xva, xsh, held, held_h, xho if held_h else None)
    (run_dir / "train_files.txt").write_text("".join(f"{p}\n" for p, _ in train_items))
    if cfg.lung_crop or cfg.lung_mask:
        c = dataset.CROP
        print(
            f"lung crop/mask: {c.found} films cropped, {c.kept_whole} kept whole (no lungs found)", flush=True
        )
    print(f"training done in {time.time() - t0:.0f}s; run folder {run_dir}", flush=True)
    tf.keras.backend.clear_session()
    return run_dir


def check_averaging(cfg: TrainConfig) -> None:
    """Refuse an averaging request that cannot work before any film is loaded or a run folder made."""
    if cfg.tail_average and cfg.weight_average:
        raise SystemExit("--tail-average and --weight-average are two averages: choose one")
    if cfg.tail_average and not 0 < cfg.tail_average <= cfg.epochs:
        raise SystemExit(
            f"--tail-average {cfg.tail_average}: the averaged tail must be 1..--epochs ({cfg.epochs})"
        )


def _choosing(cfg: TrainConfig, model, trainer, xtr: np.ndarray, ckpt: Path) -> list:
    """The callbacks that set the learning rate, stop the run and write ``ckpt``.

    By default the selection films' AUC drives all three (the held-out hospital's, in a
    leave-one-hospital-out run); ``--tail-average N`` drives none of them by it (``training.tail_average``)."""
    import keras

    from training import weight_average

    if cfg.tail_average:
        from training import tail_average

        sample = weight_average.batchnorm_sample(xtr, cfg.seed)
        return tail_average.callbacks(cfg.tail_average, cfg.epochs, cfg.lr, model, sample, ckpt)
    monitor = "val_logit_auc"
    save_best = keras.callbacks.ModelCheckpoint(str(ckpt), monitor=monitor, mode="max", save_best_only=True)
    if trainer is not model:  # best.keras stays the plain network that convert and the evaluations load
        from training.consistency import SaveBestNet

        save_best = SaveBestNet(str(ckpt), monitor)
    return [
        *weight_average.callbacks(cfg.weight_average, model, xtr, cfg.seed),  # first
        save_best,
        keras.callbacks.ReduceLROnPlateau(monitor=monitor, mode="max", factor=0.5, patience=3, min_lr=1e-5),
        keras.callbacks.EarlyStopping(
            monitor=monitor, mode="max", patience=cfg.patience, restore_best_weights=True
        ),
    ]


def segmenter_for(cfg: TrainConfig, source: str | None = None) -> Path:
    """The segmenter for ``--lung-mask`` (or ``source``): a file, or a ``training.lungs`` run folder.

    From a folder, a run that holds a hospital out gets the segmenter trained without that
    hospital's masks, so the held-out hospital stays unseen by every part of the pipeline."""
    path = Path(cfg.lung_mask if source is None else source)
    if path.is_file():
        return path
    name = f"segmenter-without-{cfg.hold_out_hospital}.keras" if cfg.hold_out_hospital else "segmenter.keras"
    if not (path / name).is_file():
        raise SystemExit(f"{path}: no {name} there (train it with python -m training.lungs)")
    return path / name


def hospital_films(cfg: TrainConfig) -> dict[str, list]:
    """Films of the other hospitals to train on, and those of the held-out one."""
    if not cfg.hospitals and not cfg.hold_out_hospital:
        return {"train": [], "held": []}
    from training import sources

    data = Path(cfg.data).resolve().parents[1]
    names = sources.trained_on(cfg)
    unknown = set(names + ([cfg.hold_out_hospital] if cfg.hold_out_hospital else [])) - set(sources.HOSPITALS)
    if unknown:
        raise SystemExit(f"unknown hospital(s) {sorted(unknown)}; known: {', '.join(sources.HOSPITALS)}")
    train = sources.other_hospitals(data, names)
    held = sources.other_hospitals(data, [cfg.hold_out_hospital]) if cfg.hold_out_hospital else []
    if cfg.limit:  # smoke runs: a few films of each class

        def few(films):
            return [f for y in (0, 1) for f in [g for g in films if g.label == y][: max(1, cfg.limit // 2)]]

        train, held = few(train), few(held)
    return {"train": train, "held": held}


def main(argv: list[str] | None = None) -> None:
    """Parse ``--field value`` for every TrainConfig field, train, then evaluate."""
    from pneumoscan.offline import ensure_offline

    ensure_offline()
    ap = argparse.ArgumentParser(description="Train the PneumoScan CNN.")
    for name, default in asdict(TrainConfig()).items():
        kind = (
            {"action": argparse.BooleanOptionalAction}
            if isinstance(default, bool)
            else {"type": type(default)}
        )
        ap.add_argument(f"--{name.replace('_', '-')}", default=default, **kind)
    ap.add_argument("--no-eval", action="store_true")
    args = vars(ap.parse_args(argv))
    no_eval = args.pop("no_eval")
    run_dir = run(TrainConfig(**args))
    if not no_eval:
        from training.evaluate import evaluate_run

        evaluate_run(run_dir)


if __name__ == "__main__":
    main()
