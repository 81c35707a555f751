"""``python -m training.batch_reference``: the validation films' figures the batch check compares with.

Screens the patient-wise Guangzhou validation split with the shipped Screener
(gate on) and writes ``assets/batch_reference.json``: 101 quantiles of the
feature distance of the assessed films, their count, and the share flagged at
the default operating point. Statistics only: no image or film-level data.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.model.manifest import default_assets_dir
    from pneumoscan.offline import ensure_offline
    from pneumoscan.screener import Screener
    from training import split

    ensure_offline()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data/chest_xray/train"))
    ap.add_argument("--assets", type=Path, default=default_assets_dir(), help="the model's folder")
    ap.add_argument("--out", type=Path, default=None, help="default: batch_reference.json in --assets")
    args = ap.parse_args(argv)
    args.out = args.out or args.assets / "batch_reference.json"
    _, val = split.split_items(split.list_images(args.data), split.load_split())
    screener = Screener(args.assets / "model.json")
    results = [r for r in screener.screen([p for p, _ in val]) if r.ok and r.scope_distance is not None]
    d = np.array([r.scope_distance for r in results])
    ref = {
        "films": len(results),
        "distance_quantiles": [round(float(x), 4) for x in np.quantile(d, np.linspace(0, 1, 101))],
        "flagged_share": float(np.mean([r.flagged for r in results])),
        "operating_point": screener.operating_point,
        "model_sha256": screener.manifest.sha256,
        "source": "patient-wise Guangzhou validation split (training.split)",
    }
    args.out.write_text(json.dumps(ref, indent=1) + "\n")
    print(
        f"{args.out}: {len(results)} films, median distance {np.median(d):.2f}, flagged {ref['flagged_share']:.3f}"
    )


if __name__ == "__main__":
    main()
