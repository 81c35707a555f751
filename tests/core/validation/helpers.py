"""Labelled folders for the validation tests."""

from __future__ import annotations

import numpy as np
from PIL import Image


def labelled_folder(root, n_normal=40, n_pneumonia=60):
    """The tiny test model scores the mean brightness of the top-left corner: brighter = pneumonia."""
    rng = np.random.default_rng(0)
    for label, n, level in (("NORMAL", n_normal, 60), ("PNEUMONIA", n_pneumonia, 150)):
        d = root / label
        d.mkdir(parents=True)
        for i in range(n):
            img = np.clip(rng.normal(level, 40, (240, 240)) + np.arange(240)[None, :] * 0.3, 0, 255)
            Image.fromarray(img.astype(np.uint8)).save(d / f"p{i:03d}_{label.lower()}.png")
    (root / "misc").mkdir()
    Image.fromarray(np.full((240, 240), 90, np.uint8) + np.arange(240, dtype=np.uint8)[None, :] // 4).save(
        root / "misc" / "unlabelled.png"
    )
    (root / "NORMAL" / "broken.png").write_bytes(b"\x89PNG broken")
    return root


def site_with_refusals(root):
    """The labelled folder plus films the pixel checks refuse: 3 in PNEUMONIA, 1 in NORMAL."""
    labelled_folder(root)
    flat = np.full((240, 240), 128, np.uint8)
    Image.fromarray(flat).save(root / "PNEUMONIA" / "flat_a.png")
    Image.fromarray(flat).save(root / "PNEUMONIA" / "flat_b.png")
    Image.fromarray(np.arange(40 * 40, dtype=np.uint16).reshape(40, 40).astype(np.uint8)).save(
        root / "PNEUMONIA" / "tiny.png"
    )
    Image.fromarray(flat).save(root / "NORMAL" / "flat_n.png")
    return root


#: The required fields of a site profile, with harmless values.
PROFILE_FIELDS = {
    "name": "p",
    "threshold": 0.3,
    "rule": "r",
    "model_version": "v",
    "model_sha256": "s",
    "created": "c",
    "labelled_files_sha256": "h",
}
