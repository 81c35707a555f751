"""The squash's class cue, undone in training (twenty-seventh recipe, issue 18 item 3).

Why: the data set's 224 x 224 films are the originals squashed to a square, and the originals'
shape differs by class. In the 160 full-resolution originals (``fullres/``, the same studies as
training films) the pneumonia films are wider (median width/height 1.49 against 1.20) and smaller
(long side 1,168 against 1,668 pixels); the width/height ratio alone tells the classes apart at
AUC 0.91 (``python -m training.aspect_debias``). Squashed, a pneumonia film's chest is narrower
than a normal one's, and a Guangzhou-only cue of that kind means nothing at a hospital whose films
have other shapes. With ``--aspect-debias G`` each Guangzhou pneumonia film is widened by
``exp(G)`` against its height inside the augmentation's own affine map (one resampling, on top of
the usual random aspect), so that both classes' chests have, on average, the normal films'
proportions; G is the measured gap, 0.22. Other hospitals' films and every film at inference stay
as they are.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

CLASSES = ("NORMAL", "PNEUMONIA")


def originals(data: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(label, log width/height, long side) of each full-resolution original (header reads only)."""
    from PIL import Image

    labels, log_aspect, side = [], [], []
    for label, cls in enumerate(CLASSES):
        for path in sorted((data / "fullres" / cls).iterdir()):
            with Image.open(path) as img:
                w, h = img.size
            labels.append(label)
            log_aspect.append(np.log(w / h))
            side.append(max(w, h))
    return np.array(labels), np.array(log_aspect), np.array(side)


def class_gap(labels: np.ndarray, log_aspect: np.ndarray) -> float:
    """How much wider (log width/height) the median pneumonia original is than the median normal one."""
    return float(np.median(log_aspect[labels == 1]) - np.median(log_aspect[labels == 0]))


def offsets(labels: np.ndarray, guangzhou: np.ndarray, gap: float) -> np.ndarray:
    """Each training film's extra log aspect for ``augment``: half the gap (the affine map widens
    by ``exp(2 * log_aspect)``) for Guangzhou's pneumonia films, nothing for any other film."""
    take = (np.asarray(labels) == 1) & np.asarray(guangzhou, dtype=bool)
    return np.where(take, gap / 2.0, 0.0).astype(np.float32)


def main(argv: list[str] | None = None) -> None:
    from sklearn.metrics import roc_auc_score

    ap = argparse.ArgumentParser(description="The originals' shape by class: the gap --aspect-debias undoes.")
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = ap.parse_args(argv)
    y, log_aspect, side = originals(args.data)
    print(f"{len(y)} originals ({int((y == 0).sum())} normal, {int(y.sum())} pneumonia)")
    for name, values in (("width/height", np.exp(log_aspect)), ("long side (pixels)", side)):
        q = [np.percentile(values[y == k], [25, 50, 75]) for k in (0, 1)]
        auc = roc_auc_score(y, values)
        print(
            f"{name}: normal median {q[0][1]:.2f} (IQR {q[0][0]:.2f}-{q[0][2]:.2f}), pneumonia "
            f"{q[1][1]:.2f} ({q[1][0]:.2f}-{q[1][2]:.2f}); alone it tells the classes apart at AUC "
            f"{max(auc, 1 - auc):.3f} ({'larger' if auc >= 0.5 else 'smaller'} for pneumonia)"
        )
    print(f"gap (log width/height, pneumonia - normal, medians): {class_gap(y, log_aspect):.3f}")


if __name__ == "__main__":
    main()
