"""``python -m training.train_scope``: train the learned scope gate and its leave-one-source-out folds.

Writes ``runs/scope-<time>/``: ``gate.keras`` (trained on every licensed
source), and ``scores.json`` with the in-scope probability of every validation
film (clean and the shifted copy) and of every scope-set image, where each
image's score comes from a model that never saw its source (a fold model for
trainable sources, the full model for evaluation-only sources). Thresholds are
chosen later, at conversion, on validation only.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

import numpy as np
from tqdm import tqdm

from pneumoscan.scope.classes import GATE_CLASSES
from training import scope_data, split
from training.scope_data import ScopeItem


def augmented(u8: np.ndarray, factor: int, copies: int, seed: int) -> np.ndarray:
    """``copies`` randomly changed versions of each film (framing, exposure, blur, noise, JPEG), as gate inputs.

    The same changes the pneumonia model is trained with: a film from another
    machine must stay in scope, and an adult film or a photo must stay out.
    """
    import tensorflow as tf

    from training.augment import TRAIN, augment, equalize_tf

    def one(img, i):
        unit = tf.cast(img[..., None], tf.float32) / 255.0
        out = equalize_tf(augment(unit, tf.stack([tf.cast(seed, tf.int64), i]), TRAIN))
        return tf.nn.avg_pool2d(out[None], factor, factor, "VALID")[0]

    reps = np.repeat(u8, copies, axis=0)
    ds = tf.data.Dataset.from_tensor_slices((reps, np.arange(len(reps), dtype=np.int64)))
    ds = ds.map(one, num_parallel_calls=tf.data.AUTOTUNE).batch(256)
    return np.concatenate([b.numpy() for b in tqdm(ds, desc=f"augmenting {len(reps)}", leave=False)])


def build_cache(
    data: Path, scope_dir: Path, cache: Path, limit: int, seed: int, factor: int, copies: int
) -> dict:
    """Decode everything once (a few minutes); later runs reuse the .npz."""
    if cache.exists():
        z = np.load(cache, allow_pickle=False)
        return {k: z[k] for k in z.files}
    from pneumoscan.model.preprocess import InputSpec
    from training import dataset

    train, val = cache_films(data, limit)
    u_train = np.stack([scope_data.squash_file(p) for p, _ in tqdm(train, desc="train films")])
    u_val = np.stack([scope_data.squash_file(p) for p, _ in tqdm(val, desc="validation films")])
    xva_u8, _ = dataset.load_arrays(val, InputSpec())
    s_items = scope_items_limited(scope_dir, limit)
    u_scope = np.stack([scope_data.squash_file(it.path) for it in tqdm(s_items, desc="scope images")])
    n_syn = 20 if limit else 180
    u_syn, syn_kinds = scope_data.synthetic_textures(n_syn, seed)
    u_alt, alt_kinds = scope_data.altered_films([p for p, _ in train], min(len(train), 4 * n_syn), seed)
    out = {
        "x_train": scope_data.to_input(u_train, factor),
        "x_val": scope_data.to_input(u_val, factor),
        "x_val_shifted": scope_data.to_input(dataset.shifted_copy(xva_u8, seed)[..., 0], factor),
        "val_paths": np.array([str(p) for p, _ in val]),
        "x_scope": scope_data.to_input(u_scope, factor),
        "scope_paths": np.array([str(it.path) for it in s_items]),
        "x_syn": scope_data.to_input(u_syn, factor),
        "syn_kinds": np.array(syn_kinds),
        "x_alt": scope_data.to_input(u_alt, factor),
        "alt_kinds": np.array(alt_kinds),
        "a_train": augmented(u_train, factor, copies, seed),
        "a_scope": augmented(u_scope, factor, 4 * copies, seed + 1),
        "a_syn": augmented(u_syn, factor, copies, seed + 2),
        "a_alt": augmented(u_alt, factor, copies, seed + 3),
        "seed": np.array(seed),  # the altered films' draw, which --hold-out-batch repeats
    }
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, **out)
    return out


def cache_films(data: Path, limit: int) -> tuple[list, list]:
    """The training and validation films in the cache's order (``limit``: a smoke run's few)."""
    train, val = split.split_items(split.list_images(data), split.load_split())
    if limit:
        train, val = train[:: max(1, len(train) // limit)], val[:: max(1, len(val) // limit)]
    return train, val


def scope_items_limited(scope_dir: Path, limit: int) -> list[ScopeItem]:
    items = scope_data.scope_items(scope_dir)
    return items[:: max(1, len(items) // limit)] if limit else items


def training_set(
    c: dict, items: list[ScopeItem], exclude_source: str | None
) -> tuple[np.ndarray, np.ndarray]:
    keep = [i for i, it in enumerate(items) if it.train_ok and it.source != exclude_source]
    per = len(c["a_scope"]) // max(1, len(c["x_scope"]))  # augmented copies per scope image
    keep_aug = [i * per + k for i in keep for k in range(per)]
    labels = np.array([items[i].label for i in keep], dtype=np.int64)
    xs = [c["x_train"], c["a_train"], c["x_scope"][keep], c["a_scope"][keep_aug]]
    xs += [c["x_syn"], c["a_syn"], c["x_alt"], c["a_alt"]]
    ys = [
        np.zeros(len(c["x_train"]) + len(c["a_train"])),
        labels,
        np.repeat(labels, per),
        np.full(len(c["x_syn"]) + len(c["a_syn"]), GATE_CLASSES.index("not_radiograph")),
        np.full(len(c["x_alt"]) + len(c["a_alt"]), GATE_CLASSES.index("inverted_or_rotated")),
    ]
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys).astype(np.int64)


def fit(x: np.ndarray, y: np.ndarray, epochs: int, seed: int, verbose: int = 0, sample_weight=None):
    """Class-balanced training (times ``sample_weight`` per example, if given); returns the core
    (un-augmented) network."""
    import keras
    import tensorflow as tf

    from training.scope_model import augmenter, build_gate

    keras.utils.set_random_seed(seed)
    counts = Counter(y.tolist())
    weights = {c: min(20.0, len(y) / (len(GATE_CLASSES) * n)) for c, n in counts.items()}
    weights.update({c: 1.0 for c in range(len(GATE_CLASSES)) if c not in counts})
    core = build_gate(size=x.shape[1])
    inp = keras.Input(core.input.shape[1:])
    model = keras.Model(inp, core(augmenter(seed)(inp)))
    steps = int(np.ceil(len(x) / 64)) * epochs
    model.compile(
        optimizer=keras.optimizers.AdamW(
            keras.optimizers.schedules.CosineDecay(2e-3, steps), weight_decay=1e-4
        ),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    # class_weight, as per-example weights (what Keras does with it), times any of the caller's
    w = np.array([weights[c] for c in y.tolist()], dtype=np.float32)
    if sample_weight is not None:
        w *= sample_weight.astype(np.float32)
    ds = tf.data.Dataset.from_tensor_slices((x, y, w)).shuffle(len(x), seed=seed).batch(64)
    model.fit(ds.prefetch(2), epochs=epochs, verbose=verbose)
    return core


def p_in(core, x: np.ndarray) -> np.ndarray:
    import tensorflow as tf

    logits = core.predict(x.astype(np.float32), batch_size=256, verbose=0)
    return tf.nn.softmax(logits).numpy()


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.offline import ensure_offline

    ensure_offline()
    ap = argparse.ArgumentParser(description="Train the learned scope gate (and leave-one-source-out folds).")
    ap.add_argument("--data", type=Path, default=Path("../shared/data/chest_xray/train"))
    ap.add_argument("--scope", type=Path, default=Path("../shared/data/scope"))
    ap.add_argument("--out", type=Path, default=Path("runs"))
    ap.add_argument("--epochs", type=int, default=25)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument(
        "--pool",
        type=int,
        default=scope_data.POOL,
        help="average 224 input over pool x pool cells (2: 112x112)",
    )
    ap.add_argument("--copies", type=int, default=1, help="augmented copies per film (scope images get 4x)")
    ap.add_argument("--fold-epochs", type=int, default=0, help="epochs per fold (default: --epochs)")
    ap.add_argument("--no-folds", action="store_true", help="skip leave-one-source-out (smoke runs)")
    ap.add_argument("--resume", type=Path, default=None, help="a run folder: keep its gate, finish its folds")
    ap.add_argument(
        "--folds-only",
        action="store_true",
        help="train no full gate: only the leave-one-source-out folds (a shipped gate's LOSO figure)",
    )
    ap.add_argument("--sources", default="", help="comma-separated: leave out only these sources")
    ap.add_argument("--limit", type=int, default=0, help=">0: a few images per set (smoke runs)")
    ap.add_argument(
        "--hospitals",
        action="store_true",
        help="add Shenzhen's children and adults (training.scope_hospitals)",
    )
    ap.add_argument(
        "--hold-out-batch",
        default="",
        help="e.g. NORMAL2: train without that acquisition batch and score it (training.scope_batch)",
    )
    ap.add_argument(
        "--age-weight",
        type=Path,
        default=None,
        help="apparent ages (training.age_reader CSV): weigh up each class's oldest-looking films",
    )
    ap.add_argument("--age-top", type=float, default=0.2, help="with --age-weight: the share weighed up")
    ap.add_argument("--age-factor", type=float, default=3.0, help="with --age-weight: their weight")
    ap.add_argument(
        "--no-hospital-folds", action="store_true", help="with --hospitals: skip Shenzhen's 5 folds"
    )
    args = ap.parse_args(argv)

    t0 = time.time()
    cache = args.out / f"scope-cache-pool{args.pool}-aug{args.copies}{'-smoke' if args.limit else ''}.npz"
    c = build_cache(args.data, args.scope, cache, args.limit, args.seed, args.pool, args.copies)
    items = scope_items_limited(args.scope, args.limit)
    assert [str(it.path) for it in items] == list(c["scope_paths"]), "stale cache: delete it"
    if args.hold_out_batch:
        from training import scope_batch

        seed = int(c["seed"]) if "seed" in c else args.seed
        train, val = cache_films(args.data, args.limit)
        scope_batch.hold_out(c, train, val, args.hold_out_batch, len(c["x_alt"]), seed)
        print(f"{len(c['x_batch'])} films of batch {args.hold_out_batch} held out", flush=True)
    hosp = _hospital_data(args) if args.hospitals else None
    film_w = _age_weights(args, c)
    print(f"data ready in {time.time() - t0:.0f}s", flush=True)
    if args.folds_only:
        run_dir = args.resume or args.out / time.strftime("scope-folds-%Y%m%d-%H%M%S")
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "config.json").write_text(json.dumps(vars(args), default=str, indent=2))
        done = run_folds(c, items, hosp, args, run_dir / "loso", film_w)
        print(f"{len(done)} folds in {time.time() - t0:.0f}s: {run_dir}", flush=True)
        return
    if args.resume:
        import keras

        run_dir = args.resume
        core = keras.models.load_model(run_dir / "gate.keras")
    else:
        run_dir = args.out / time.strftime("scope-%Y%m%d-%H%M%S")
        run_dir.mkdir(parents=True, exist_ok=True)
        x, y = training_set(c, items, None)
        if hosp is not None:
            x, y = _with_hospitals(x, y, hosp, None)
        print(f"training on {len(x)} examples: {dict(Counter(GATE_CLASSES[i] for i in y))}", flush=True)
        core = fit(x, y, args.epochs, args.seed, verbose=2, sample_weight=_rows(film_w, c, len(y)))
        core.save(run_dir / "gate.keras")
    (run_dir / "config.json").write_text(json.dumps(vars(args), default=str, indent=2))
    full_scope = p_in(core, c["x_scope"])
    scores = {
        "classes": list(GATE_CLASSES),
        "val_paths": [str(p) for p in c["val_paths"]],
        "val": p_in(core, c["x_val"]).tolist(),
        "val_shifted": p_in(core, c["x_val_shifted"]).tolist(),
        "synthetic_kinds": [str(k) for k in c["syn_kinds"]],
        "scope": {},
    }
    if args.hold_out_batch:
        scores["held_out_batch"] = {
            "batch": args.hold_out_batch,
            "paths": [str(p) for p in c["batch_paths"]],
            "probs": p_in(core, c["x_batch"]).tolist(),
        }
    per_item = {
        str(it.path): (full_scope[i].tolist(), "full model (source never trained on)")
        for i, it in enumerate(items)
    }
    for source, done in run_folds(c, items, hosp, args, run_dir / "loso", film_w).items():
        for path, probs in json.loads(done.read_text()).items():
            per_item[path] = (probs, f"fold without {source}")
    for it in items:
        probs, scored_by = per_item[str(it.path)]
        if it.train_ok and scored_by.startswith("full"):
            scored_by = "full model (trained on this source: no fold run)"
        scores["scope"][str(it.path)] = {
            "class": it.scope_class,
            "source": it.source,
            "train_ok": it.train_ok,
            "probs": probs,
            "scored_by": scored_by,
        }
    if hosp is not None and not args.no_hospital_folds:
        from training import scope_hospitals

        def fit_fold(k: int):
            xk, yk = _with_hospitals(*training_set(c, items, None), hosp, k)
            return fit(
                xk, yk, args.fold_epochs or args.epochs, args.seed, sample_weight=_rows(film_w, c, len(yk))
            )

        earlier = run_dir / "scores.json"  # --resume: the hospital folds are kept, not trained again
        kept = json.loads(earlier.read_text()).get("hospitals") if args.resume and earlier.exists() else None
        scores["hospitals"] = kept or scope_hospitals.score(hosp[0], hosp[1], core, fit_fold, p_in)
    (run_dir / "scores.json").write_text(json.dumps(scores))
    if "hospitals" in scores:
        print(json.dumps(scope_hospitals.summary(scores), indent=1), flush=True)
    print(f"done in {time.time() - t0:.0f}s: {run_dir}", flush=True)


def run_folds(
    c: dict, items: list[ScopeItem], hosp, args, folds: Path, film_w: np.ndarray | None = None
) -> dict[str, Path]:
    """Train (or reuse) one gate per left-out source; returns each source's saved scores.

    Each fold is saved as it ends, so an interrupted run resumes; ``--no-folds`` trains none and
    uses those already saved; ``--sources`` limits the folds (the adult sources alone answer
    "how many adult films of an unseen source does it refuse" in a fifth of the time).
    """
    folds.mkdir(parents=True, exist_ok=True)
    trainable = sorted({it.source for it in items if it.train_ok})
    wanted = [s for s in args.sources.split(",") if s]
    unknown = sorted(set(wanted) - set(trainable))
    if unknown:
        raise SystemExit(
            f"--sources: not a trainable source: {', '.join(unknown)} (known: {', '.join(trainable)})"
        )
    saved = {}
    for source in tqdm(wanted or trainable, desc="leave-one-source-out"):
        done = folds / f"{source}.json"
        if args.no_folds and not done.exists():
            continue
        if not done.exists():
            xf, yf = training_set(c, items, source)
            if hosp is not None:
                xf, yf = _with_hospitals(xf, yf, hosp, None)
            fold = fit(
                xf, yf, args.fold_epochs or args.epochs, args.seed, sample_weight=_rows(film_w, c, len(yf))
            )
            idx = [i for i, it in enumerate(items) if it.source == source]
            probs = p_in(fold, c["x_scope"][idx])
            done.write_text(json.dumps({str(items[i].path): probs[j].tolist() for j, i in enumerate(idx)}))
        saved[source] = done
    return saved


def _age_weights(args, c: dict) -> np.ndarray | None:
    """``--age-weight``: a weight per Guangzhou training film left in the cache (after any held-out batch)."""
    if args.age_weight is None:
        return None
    from training import age_balance, scope_age_weight

    train, _ = cache_films(args.data, args.limit)
    batch = args.hold_out_batch
    kept = [(p, y) for p, y in train if not batch or split.acquisition_batch(p.name) != batch]
    if len(kept) != len(c["x_train"]):
        raise SystemExit("--age-weight: the gate cache does not match the film lists: delete it")
    paths, labels = [p for p, _ in kept], [y for _, y in kept]
    w = scope_age_weight.film_weights(
        paths, labels, age_balance.load(args.age_weight), args.age_top, args.age_factor
    )
    print(
        f"--age-weight: {int((w > w.min()).sum())} of {len(w)} films weighed {w.max() / w.min():.1f}x",
        flush=True,
    )
    return w


def _rows(film_w: np.ndarray | None, c: dict, n_rows: int) -> np.ndarray | None:
    if film_w is None:
        return None
    from training import scope_age_weight

    return scope_age_weight.row_weights(film_w, len(c["a_train"]) // max(1, len(c["x_train"])), n_rows)


def _hospital_data(args) -> tuple[list[dict], dict]:
    from training import scope_hospitals

    films = scope_hospitals.hospital_films(args.data.resolve().parents[1])
    cache = args.out / f"scope-cache-hospitals-pool{args.pool}.npz"
    if cache.exists():
        z = np.load(cache, allow_pickle=False)
        return films, {k: z[k] for k in z.files}
    c = scope_hospitals.build(films, args.pool, args.seed)
    np.savez(cache, **c)
    return films, c


def _with_hospitals(x, y, hosp, held_fold):
    from training import scope_hospitals

    xh, yh = scope_hospitals.training_part(hosp[1], hosp[0], held_fold)
    return np.concatenate([x, xh]).astype(np.float32), np.concatenate([y, yh])


if __name__ == "__main__":
    main()
