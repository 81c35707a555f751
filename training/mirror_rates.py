"""``python -m training.mirror_rates [--segmenter SEG]``: how often ``--lung-mirror lost`` mirrors.

Why: the rule mirrors a mask only where a lung looks lost (``training.lungs.lost``), and its 0.6 is
read off the NLM hospitals' hand-drawn masks, where a lung is never lost: this prints the share of
those masks the rule would call lost, by label, and with a segmenter how often it fires on
Guangzhou's validation films, clean and on the shifted copy (a product's order), by class.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

from training.lungs import lost, lung_pieces


def lost_share(probs) -> float:
    """The share of lung maps (probabilities or masks) the ``lost`` rule would mirror; a map with
    no lungs found counts as not mirrored (it is kept whole)."""
    pieces = [lung_pieces(p) for p in probs]
    return float(np.mean([p is not None and lost(p[3]) for p in pieces]))


def hand_drawn(data: Path) -> dict[str, float]:
    """``lost_share`` of the NLM masks, by label."""
    from PIL import Image

    folder = data / "other_hospitals"
    if not (folder / "manifest.csv").is_file():
        raise SystemExit(f"{folder}: no manifest.csv (the NLM hospitals' films and masks are not here)")
    with open(folder / "manifest.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["mask"]]
    return {
        label: lost_share(
            np.asarray(Image.open(folder / r["mask"]), np.float32) / 255 for r in rows if r["label"] == label
        )
        for label in sorted({r["label"] for r in rows})
    }


def validation(segmenter: Path, data: Path, seed: int = 42) -> dict[str, float]:
    """``lost_share`` of the segmenter's maps on the validation films, clean and shifted, by class."""
    from pneumoscan.model.preprocess import InputSpec
    from training import dataset
    from training.lungs import LungCropper
    from training.train import TrainConfig, split_for

    _, val_items, _ = split_for(TrainConfig(data=str(data / "chest_xray" / "train")))
    dataset.CROP = None
    raw, y = dataset.load_arrays(val_items, InputSpec())
    seg = LungCropper(segmenter)
    out = {}
    for copy, films in (("clean", raw), ("shifted", dataset.shifted_copy(raw, seed))):
        probs = np.concatenate(
            [seg.probabilities(list(films[i : i + 64, ..., 0])) for i in range(0, len(films), 64)]
        )
        for label, name in ((0, "normal"), (1, "pneumonia")):
            out[f"{copy}, {name}"] = lost_share(probs[y == label])
    return out


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.offline import ensure_offline

    ensure_offline()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument(
        "--segmenter", type=Path, help="also the segmenter's maps on Guangzhou's validation films"
    )
    args = ap.parse_args(argv)
    rates = {f"NLM hand-drawn, {k}": v for k, v in hand_drawn(args.data).items()}
    if args.segmenter:
        rates |= {f"Guangzhou validation, {k}": v for k, v in validation(args.segmenter, args.data).items()}
    print("| films | mirrored by the lost rule |\n| --- | --- |")
    for name, share in rates.items():
        print(f"| {name} | {100 * share:.1f}% |")


if __name__ == "__main__":
    main()
