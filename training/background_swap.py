"""Background swap (twelfth recipe, issue 18 item 3): a film's lungs over another film's surroundings.

Why: a hospital's signature (side markers, collimation, the body outline, the film border, what
lies below the diaphragm) sits mostly outside the lungs, and pneumonia does not. With
``--background-swap P`` each training film, with chance P, keeps its own lung fields and takes the
surroundings of another film of the batch (any hospital, either class), so the surroundings stop
saying anything about the label. Unlike the seventh recipe (films masked at inference too),
nothing changes at inference: the product gets no segmenter, and a segmenter that draws loose
masks at a new hospital cannot hurt there; masks are drawn on training films only.

Where the other film's own lungs lie outside this film's lungs, this film's pixels stay (the
other film's consolidation must not appear beside a normal film's lungs). A film where no lungs
are found keeps its own surroundings.
"""

from __future__ import annotations

import numpy as np


def film_masks(x: np.ndarray, segmenter, batch: int = 64) -> tuple[np.ndarray, int]:
    """Each squashed training film's lung fields (uint8 0/1, the shape of ``x``) and how many had
    lungs found; all ones (nothing swapped) where none were. ``segmenter``: a ``training.lungs``
    Keras file or model. The mask is drawn on the film as the classifier sees it (squashed), with
    the same morphology as ``--lung-mask`` (``training.lungs.lung_mask``)."""
    from training.lungs import LungCropper, lung_mask

    seg = LungCropper(segmenter)
    out = np.ones_like(x, dtype=np.uint8)
    found = 0
    for start in range(0, len(x), batch):
        chunk = x[start : start + batch, ..., 0]
        for i, p in enumerate(seg.probabilities(list(chunk))):
            m = lung_mask(p, chunk[i].shape)
            if m is not None:
                out[start + i, ..., 0] = m
                found += 1
    return out, found


def swap(imgs, masks, take):
    """``imgs``, ``masks``: (B, H, W, 1); ``take``: (B,) bool. Each taken film keeps its lungs and
    gets the next film's surroundings, except where the next film's lungs are."""
    import tensorflow as tf

    donor, donor_lungs = tf.roll(imgs, 1, axis=0), tf.roll(masks, 1, axis=0)
    outside = (masks == 0) & (donor_lungs == 0) & take[:, None, None, None]
    return tf.where(outside, donor, imgs)


def swapped(ds, chance: float, batch: int):
    """A shuffled dataset of ((film, targets, weights), lung mask) becomes (film, targets, weights),
    some films with another's surroundings (a donor from the same shuffled batch)."""
    import tensorflow as tf

    def _batch(film, m):
        take = tf.random.uniform([tf.shape(m)[0]]) < chance
        return swap(film[0], m, take), film[1], film[2]

    return ds.batch(batch).map(_batch, num_parallel_calls=tf.data.AUTOTUNE).unbatch()


def setup(cfg, x: np.ndarray) -> np.ndarray:
    """The masks of a run's training films, from ``--swap-segmenter`` (a file, or a
    ``training.lungs`` run whose segmenter never saw the held-out hospital's masks)."""
    from training.train import segmenter_for

    if not cfg.swap_segmenter:
        raise SystemExit("--background-swap needs --swap-segmenter (train one with python -m training.lungs)")
    masks, found = film_masks(x, segmenter_for(cfg, cfg.swap_segmenter))
    print(
        f"background swap: lungs found in {found} of {len(x)} training films; "
        f"{masks.mean():.0%} of the pixels kept as lungs",
        flush=True,
    )
    return masks
