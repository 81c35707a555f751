"""The distance check's statistics: where the training films' pooled features lie.

Why here: ``convert.distance_check`` fits them for the shipped model, and training's analyses fit
them for runs that never saw a hospital (``training.distance_unseen``); one fit for both, in the
layer that may not import ``convert``.
"""

from __future__ import annotations

import numpy as np

#: The shipped rule's shares: clean validation, and the shifted validation copy.
REJECT, SHIFTED_REJECT = 0.002, 0.005


def fit_distance(f_train: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Mean, precision (Ledoit-Wolf shrunk covariance, inverted) and the shrinkage used."""
    from sklearn.covariance import LedoitWolf

    lw = LedoitWolf().fit(f_train.astype(np.float64))
    return lw.location_, lw.precision_, float(lw.shrinkage_)


def distance_threshold(d_val: np.ndarray, d_shift: np.ndarray, reject: float, shifted_reject: float) -> float:
    """The shipped rule: the higher of the clean validation's and the shifted copy's quantiles, so
    that neither set loses more than its share to the check."""
    return max(float(np.quantile(d_val, 1.0 - reject)), float(np.quantile(d_shift, 1.0 - shifted_reject)))
