"""Patient-wise, class-stratified train/validation split saved as a list of ids.

Images of one child must never sit on both sides: neighbouring films of the
same patient would make validation a memory test.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from pathlib import Path

SPLIT_FILE = Path(__file__).with_name("val_patients.txt")
CLASSES = ("NORMAL", "PNEUMONIA")
_PERSON = re.compile(r"^(person\d+)_")
_IM = re.compile(r"^((?:NORMAL2-)?IM-\d+)-\d+")


def patient_id(filename: str) -> str:
    """``person123_bacteria_456`` -> ``person123``; ``IM-0115-0001`` -> ``IM-0115``."""
    stem = Path(filename).stem
    for pattern in (_PERSON, _IM):
        m = pattern.match(stem)
        if m:
            return m.group(1)
    raise ValueError(f"cannot find a patient id in {filename!r}")


def list_images(train_dir: Path) -> list[tuple[Path, int]]:
    """All training images with label 0 (NORMAL) or 1 (PNEUMONIA), sorted."""
    items = []
    for label, cls in enumerate(CLASSES):
        for p in sorted((train_dir / cls).iterdir()):
            if p.suffix.lower() in (".jpeg", ".jpg", ".png"):
                items.append((p, label))
    return items


def make_split(items: list[tuple[Path, int]], val_fraction: float = 0.2, seed: int = 7) -> set[str]:
    """Pick validation patients per class (a patient's class is its majority label)."""
    labels: dict[str, list[int]] = defaultdict(list)
    for p, y in items:
        labels[patient_id(p.name)].append(y)
    by_class: dict[int, list[str]] = defaultdict(list)
    for pid, ys in sorted(labels.items()):
        by_class[round(sum(ys) / len(ys))].append(pid)
    rng = random.Random(seed)
    val: set[str] = set()
    for cls in sorted(by_class):
        pids = by_class[cls]
        rng.shuffle(pids)
        val.update(pids[: round(len(pids) * val_fraction)])
    return val


def load_split(path: Path = SPLIT_FILE) -> set[str]:
    return {line.strip() for line in path.read_text().splitlines() if line.strip()}


def subtype_label(filename: str) -> float:
    """1 viral, 0 bacterial, NaN when the name does not say (normal films)."""
    name = Path(filename).name.lower()
    if "_virus_" in name:
        return 1.0
    if "_bacteria_" in name:
        return 0.0
    return float("nan")


def acquisition_batch(filename: str) -> str:
    """The batch a film's name reveals: ``NORMAL2`` and ``IM`` normals, ``person`` pneumonia."""
    name = Path(filename).name
    if name.startswith("NORMAL2-"):
        return "NORMAL2"
    return "IM" if name.startswith("IM-") else "person"


def save_split(val: set[str], path: Path = SPLIT_FILE) -> None:
    path.write_text("".join(f"{pid}\n" for pid in sorted(val)))


def split_items(
    items: list[tuple[Path, int]], val_patients: set[str]
) -> tuple[list[tuple[Path, int]], list[tuple[Path, int]]]:
    train = [it for it in items if patient_id(it[0].name) not in val_patients]
    val = [it for it in items if patient_id(it[0].name) in val_patients]
    return train, val


def write_labels_csv(val: list[tuple[Path, int]], out: Path) -> None:
    """The validation films as ``pneumoscan validate --labels``: the product measured on them as a
    site would measure it (scope gate in), beside the figures of training's own evaluation."""
    import csv

    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "label"])
        w.writerows([str(p.resolve()), "PNEUMONIA" if y else "NORMAL"] for p, y in val)


def main(argv: list[str] | None = None) -> None:
    """Write the split file once; committed so every later run uses the same ids."""
    import argparse

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--data", default="../shared/data/chest_xray/train")
    ap.add_argument(
        "--labels-csv",
        type=Path,
        help="instead: write the committed split's validation films as a labels CSV for pneumoscan validate",
    )
    args = ap.parse_args(argv)
    items = list_images(Path(args.data))
    if args.labels_csv:
        _, valid = split_items(items, load_split())
        try:
            write_labels_csv(valid, args.labels_csv)
        except OSError as exc:
            raise SystemExit(f"{args.labels_csv}: not written ({exc.strerror or exc})") from exc
        print(f"{len(valid)} validation films -> {args.labels_csv}")
        return
    val = make_split(items)
    save_split(val)
    train, valid = split_items(items, val)
    print(f"{len(val)} validation patients, {len(train)} train / {len(valid)} validation images")


if __name__ == "__main__":
    main()
