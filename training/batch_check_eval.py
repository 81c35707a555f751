"""``python -m training.batch_check_eval``: what the batch check says on batches of known origin.

Validation films (a random sample, normals only, pneumonias only), full-size films of the training
hospital, films of the other hospitals the shipped model trained on (Shenzhen children and adults,
Montgomery), and the public collection's pneumonia films (many hospitals, never trained on).
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.model.manifest import default_assets_dir
    from pneumoscan.offline import ensure_offline
    from pneumoscan.scope.batch import check_results, load_reference
    from pneumoscan.screener import Screener
    from training import sources, split

    ensure_offline()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = ap.parse_args(argv)
    reference = load_reference(default_assets_dir() / "batch_reference.json")
    screener = Screener()
    _, val = split.split_items(split.list_images(args.data / "chest_xray" / "train"), split.load_split())
    nlm = sources.nlm(args.data)
    sets = {
        "validation films, a random 150": random.Random(1).sample([p for p, _ in val], 150),
        "validation normals (150)": [p for p, y in val if y == 0][:150],
        "validation pneumonias (150)": [p for p, y in val if y == 1][:150],
        "full-size films of the training hospital (160)": sorted((args.data / "fullres").rglob("*.jpeg")),
        "Shenzhen children (30)": [f.path for f in nlm if f.hospital == "shenzhen" and f.child],
        "Shenzhen adults (200)": [f.path for f in nlm if f.hospital == "shenzhen" and f.child is False][:200],
        "Montgomery (138)": [f.path for f in nlm if f.hospital == "montgomery"],
        "public collection, many hospitals, never trained on (168)": [
            f.path for f in sources.collection(args.data)
        ],
    }
    for name, files in sets.items():
        print(f"{name}: {check_results(list(screener.screen(files)), reference).line}", flush=True)


if __name__ == "__main__":
    main()
