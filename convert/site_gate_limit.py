"""``python -m convert.site_gate_limit [--write]``: how far a site may loosen the learned gates.

A site adopts its own learned-gate thresholds from its read films (``pneumoscan.scope.site_gate``):
both gates move down by one shift on the log-odds scale. What that costs is measured here, with
the shipped pipeline (every check, as a user runs it) on the scope set's images that no gate was
ever trained on (licence-restricted sources: adult frontal films from many hospitals, laterals,
other radiographs, other medical images, pictures) and on 400 validation films inverted or turned
(copies in a temporary folder, never kept). The limit is the largest shift at which

- the pipeline still refuses at least 85% of those adult frontal films (issue 18's bar), and
- every other image the shipped gate refuses (never-trained or turned) is still refused.

``--write`` records the limit and the curve in ``assets/scope_gate.json`` (``site_limit``) and pins
the limit inside the model (``convert.pin``), as the gates' own thresholds are: a hand-edited limit
is refused at start.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

from convert.pin import pin
from pneumoscan.scope.site_gate import site_thresholds
from training import scope_data

ADULT_BAR = 0.85
#: Fine where the limit falls, coarse beyond (the curve says what a looser gate would cost).
SHIFTS = tuple(round(float(s), 2) for s in np.r_[np.arange(0.0, 1.0, 0.05), np.arange(1.0, 4.01, 0.25)])
COMMAND = "python -m convert.site_gate_limit --write"


TURNED = ("inverted", "rot90", "rot180", "rot270")
#: Reported beside the curve (``--montgomery``), never part of the limit's rule.
MONTGOMERY = "montgomery (reported only)"


def never_trained(scope_dir: Path) -> list[scope_data.ScopeItem]:
    return [it for it in scope_data.scope_items(scope_dir) if not it.train_ok]


def turned_films(train_dir: Path, out_dir: Path, n: int = 400, seed: int = 0) -> list[tuple[Path, str]]:
    """Validation films (no gate trains on them) inverted or turned, written as PNG to ``out_dir``:
    the issue's "inverted films still refused" at every shift the limit allows."""
    import random

    from PIL import Image

    from pneumoscan.reading.loader import load_image
    from training import split

    _train, val = split.split_items(split.list_images(train_dir), split.load_split())
    out = []
    for i, (path, _y) in enumerate(random.Random(seed).sample(val, n)):
        px, kind = load_image(path).pixels, TURNED[i % len(TURNED)]
        if kind == "inverted":
            top = np.iinfo(px.dtype).max if np.issubdtype(px.dtype, np.integer) else float(px.max())
            px = (top - px).astype(px.dtype)
        else:
            px = np.ascontiguousarray(np.rot90(px, TURNED.index(kind)))
        target = out_dir / f"{kind}_{path.stem}.png"
        Image.fromarray(px).save(target)
        out.append((target, f"turned_{kind}"))
    return out


def refused_by_shift(results: list, config: dict, shifts=SHIFTS) -> dict[float, list[bool]]:
    """Each film's refusal at each shift, judged as a site's profile judges it (``with_threshold``)."""
    wide = {**config, "site_limit": {"max_shift": max(shifts)}}
    out = {}
    for s in shifts:
        gate = site_thresholds(wide, s) if s > 0 else None
        out[s] = [r.with_threshold(r.operating_point, r.threshold, gate).out_of_scope for r in results]
    return out


def limit(classes: list[str], refused: dict[float, list[bool]], bar: float = ADULT_BAR) -> float:
    """The largest shift meeting both rules (module docstring); 0 when the shipped gate misses them."""
    base = refused[min(refused)]
    adults = [i for i, c in enumerate(classes) if c == "adult_cxr"]
    others = [i for i, c in enumerate(classes) if c not in ("adult_cxr", MONTGOMERY) and base[i]]
    best = 0.0
    for s in sorted(refused):
        r = refused[s]
        if sum(r[i] for i in adults) < bar * len(adults) or not all(r[i] for i in others):
            break
        best = s
    return best


def curve(classes: list[str], refused: dict[float, list[bool]]) -> list[dict]:
    """One row per shift: how many images of each class the pipeline refuses there."""
    out = []
    for s in sorted(refused):
        row = {"shift": s}
        for cls in sorted(set(classes)):
            row[cls] = sum(r for r, c in zip(refused[s], classes) if c == cls)
        out.append(row)
    return out


def montgomery_films(data: Path) -> list[tuple[Path, str]]:
    """Montgomery's films: no gate trains on them, and the source gives no ages (mostly adults), so
    they are a second never-trained adult source to report beside the rule, not part of it."""
    from training.scope_hospitals import hospital_films

    return [(Path(f["path"]), MONTGOMERY) for f in hospital_films(data) if f["hospital"] == "montgomery"]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--assets", type=Path, default=Path("assets"))
    ap.add_argument("--write", action="store_true", help="record the limit in ASSETS/scope_gate.json")
    ap.add_argument(
        "--montgomery",
        action="store_true",
        help="also report Montgomery's films (never trained on by a gate; no ages given) at each shift; "
        "they take no part in the limit and are not written",
    )
    args = ap.parse_args(argv)
    if args.write and args.montgomery:
        ap.error("--montgomery reports only; the written limit and curve are the scope set's")
    from pneumoscan.screener import Screener

    items = [(it.path, it.scope_class) for it in never_trained(args.data / "scope")]
    screener = Screener(args.assets / "model.json")
    with tempfile.TemporaryDirectory() as tmp:  # the turned copies are never kept
        items += turned_films(args.data / "chest_xray" / "train", Path(tmp))
        items += montgomery_films(args.data) if args.montgomery else []
        results = list(screener.screen([path for path, _cls in items]))
    classes = [cls for _path, cls in items]
    counts = dict(sorted(Counter(classes).items()))
    refused = refused_by_shift(results, screener.gate.config)
    rows = curve(classes, refused)
    print("shift | thresholds | " + " | ".join(counts))
    wide = {**screener.gate.config, "site_limit": {"max_shift": max(SHIFTS)}}
    for row in rows:
        t = "/".join(f"{v:.3f}" for v in site_thresholds(wide, row["shift"]).values())
        print(f"{row['shift']:.2f} | {t} | " + " | ".join(f"{row[c]}/{n}" for c, n in counts.items()))
    best = limit(classes, refused)
    print(f"limit: shift {best:.2f}")
    if args.write:
        path = args.assets / "scope_gate.json"
        config = json.loads(path.read_text(encoding="utf-8"))
        config["site_limit"] = {
            "max_shift": best,
            "rule": f"the largest shift at which the whole pipeline still refuses >= {ADULT_BAR:.0%} of the "
            "adult frontal films no gate was trained on, and every other image the shipped gate refuses",
            "measured_on": "the scope set's images from sources no gate trains on (licence-restricted), and "
            "400 validation films inverted or turned by 90, 180 or 270 degrees (100 each)",
            "command": COMMAND,
            "images": counts,
            "refused_by_shift": rows,
        }
        path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {path}; the model's pinned digest now covers the limit: {pin(args.assets)}")


if __name__ == "__main__":
    main()
