"""``python -m training.tags_affirm_eval``: what the tags' joint word (``scope.affirm``) changes.

No DICOM of a child from another hospital is available here, so real films are wrapped as CR
DICOMs carrying the tags a PACS would send (chest, PA, the patient's age from the data set's own
metadata) and screened whole by the shipped pipeline twice: as sent, and without ViewPosition (the
tags then affirm nothing, which is how every file was judged before). The risk is measured the
same way: films and pictures that are not a child's chest film, carrying those tags by mistake.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from training import scope_hospitals, split


def write_dicom(pixels: np.ndarray, path: Path, tags: dict[str, str]) -> Path:
    """An uncompressed 8-bit MONOCHROME2 CR file with ``tags`` (the tests' DICOM factory, as the benchmarks use)."""
    from tests.dicom_factory import make_dataset, save

    return save(make_dataset(np.asarray(pixels, dtype=np.uint8), modality="CR", tags=tags), path)


def child_chest(age: float) -> dict[str, str]:
    return {"BodyPartExamined": "CHEST", "ViewPosition": "PA", "PatientAge": f"{int(age):03d}Y"}


def groups(data: Path) -> dict[str, list[tuple[Path, dict[str, str], int | None]]]:
    """Group -> (image, tags as sent, label or None)."""
    out: dict[str, list] = {}
    for f in scope_hospitals.hospital_films(data):
        if f["age"] is None:
            continue
        name = scope_hospitals.group_of({"hospital": f["hospital"], "age": f["age"]}) + " (age tagged)"
        out.setdefault(name, []).append((Path(f["path"]), child_chest(f["age"]), f["label"]))
    scope = data / "scope"
    wrong = {
        "adult_cxr": "adult frontal films",
        "other_radiograph": "other body parts",
        "other_medical": "other medical images",
        "non_medical": "pictures",
    }
    with open(scope / "manifest.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["class"] in wrong:
                name = f"mis-tagged: {wrong[row['class']]} tagged as a 6-year-old's chest"
                out.setdefault(name, []).append((scope / row["path"], child_chest(6), None))
    _, val = split.split_items(split.list_images(data / "chest_xray" / "train"), split.load_split())
    out["mis-oriented: validation films turned 90 degrees, a 3-year-old's chest tags"] = [
        (p, {**child_chest(3), "_rotate": "1"}, None) for p, _ in val[::10]
    ]
    return out


def pixels_of(path: Path, rotate: bool) -> np.ndarray:
    px = np.asarray(Image.open(path).convert("L"))
    return np.ascontiguousarray(np.rot90(px)) if rotate else px


def table(assets: Path, data: Path) -> list[str]:
    from pneumoscan.screener import Screener

    screener = Screener(assets / "model.json", threads=2)
    lines = [
        "| group | films | assessed without ViewPosition (as before) | assessed with all four tags "
        "| of those, assessed on the tags' word | flagged among assessed: normal; abnormal |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for name, films in groups(data).items():
            sent, bare = [], []
            for i, (path, tags, _) in enumerate(films):
                tags = dict(tags)
                px = pixels_of(path, bool(tags.pop("_rotate", "")))
                sent.append(write_dicom(px, Path(tmp) / f"s{i}.dcm", tags))
                bare.append(write_dicom(px, Path(tmp) / f"b{i}.dcm", {**tags, "ViewPosition": ""}))
            with_tags = list(screener.screen(sent))
            without = list(screener.screen(bare))
            deferred = sum(any("DICOM tags say a child's" in n for n in r.notes) for r in with_tags if r.ok)
            flagged = []
            for label in (0, 1):
                seen = [r for (_, _, y), r in zip(films, with_tags) if y == label and r.ok]
                flagged.append(f"{sum(r.flagged for r in seen)} / {len(seen)}" if seen else "-")
            n = len(films)
            ok_bare, ok_sent = sum(r.ok for r in without), sum(r.ok for r in with_tags)
            lines.append(
                f"| {name} | {n} | {ok_bare} ({ok_bare / n:.1%}) | {ok_sent} ({ok_sent / n:.1%}) "
                f"| {deferred} | {'; '.join(flagged)} |"
            )
            for f in (*sent, *bare):
                f.unlink()
    return lines


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.offline import ensure_offline

    ensure_offline()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--assets", type=Path, default=Path("assets"))
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = ap.parse_args(argv)
    print("\n".join(table(args.assets, args.data)))


if __name__ == "__main__":
    main()
