"""The distance check's statistics: where the training films' pooled features lie.

Why here: ``convert.distance_check`` fits them for the shipped model, and training's analyses fit
them for runs that never saw a hospital (``training.distance_unseen``); one fit for both, in the
layer that may not import ``convert``.
"""

from __future__ import annotations

import numpy as np


def fit_distance(f_train: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Mean, precision (Ledoit-Wolf shrunk covariance, inverted) and the shrinkage used."""
    from sklearn.covariance import LedoitWolf

    lw = LedoitWolf().fit(f_train.astype(np.float64))
    return lw.location_, lw.precision_, float(lw.shrinkage_)
