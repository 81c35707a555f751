"""The adapted head (numpy logistic regression) against scikit-learn, and its stored form."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from pneumoscan.model.adapted_head import AdaptedHead, fit_logistic, group_folds


@pytest.mark.parametrize("penalty", [0.01, 0.1, 1.0])
def test_fit_matches_scikit_learn(penalty):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 12))
    y = (x[:, 0] - 0.5 * x[:, 3] + rng.normal(scale=0.8, size=300) > 0).astype(float)
    w, b = fit_logistic(x, y, penalty)
    # scikit-learn minimises sum(log-loss) + |w|^2 / (2C): C = 1 / (n * penalty) is the same objective
    ref = LogisticRegression(C=1.0 / (len(y) * penalty), tol=1e-10, max_iter=10_000).fit(x, y)
    assert np.allclose(w, ref.coef_[0], atol=1e-4) and abs(b - ref.intercept_[0]) < 1e-4


def test_patients_stay_in_one_fold():
    groups = np.repeat(np.arange(40), 3)
    folds = group_folds(groups)
    assert all(len(set(folds[groups == g])) == 1 for g in range(40)) and len(set(folds)) == 5


def test_stored_head_round_trips_and_refuses_an_edit():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(80, 5)), rng.integers(0, 2, 80).astype(float)
    head = AdaptedHead.fit(x, y, 0.1)
    again = AdaptedHead.from_dict(head.to_dict())
    assert np.allclose(again.predict(x), head.predict(x))
    edited = head.to_dict() | {"bias": head.bias + 1}
    with pytest.raises(ValueError, match="digest"):
        AdaptedHead.from_dict(edited)
