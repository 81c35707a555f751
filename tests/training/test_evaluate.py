"""training.evaluate: a sensitivity threshold that counts the scope gate's refusals as missed."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")

from training import metrics as M  # noqa: E402
from training.evaluate import sensitivity_spread  # noqa: E402


def _films(n: int = 300, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = (np.arange(n) % 3 != 0).astype(int)
    p = np.clip(np.where(y == 1, rng.normal(0.7, 0.2, n), rng.normal(0.2, 0.15, n)), 0, 1)
    paths = [f"person{i}_bacteria_{i}.jpeg" if y[i] else f"IM-{i:04d}-0001.jpeg" for i in range(n)]
    return y, p, paths


@pytest.mark.parametrize("n_refused", [0, 2, 4])
def test_refused_pneumonia_films_lower_the_threshold_so_the_product_keeps_its_sensitivity(n_refused):
    y, p, paths = _films()
    refused = np.zeros(len(y), bool)
    pos = np.flatnonzero(y == 1)
    refused[pos[np.argsort(-p[pos])[:n_refused]]] = True  # the gate refuses the highest-scored ones
    plain = sensitivity_spread(y, p, paths, 0.95)
    counted = sensitivity_spread(y, p, paths, 0.95, refused)
    t = counted["median"]
    assert np.isfinite(t) and counted["ci95"][0] <= t <= counted["ci95"][1]
    if n_refused:
        assert t < plain["median"]  # the other films must make up for the refused ones
    else:
        assert t == plain["median"]
    point = M.threshold_for_sensitivity(y, np.where(refused, -np.inf, p), 0.95)
    flagged = (p[~refused & (y == 1)] >= point).sum()
    assert flagged >= 0.95 * (y == 1).sum()  # counted over every pneumonia film, refused included


def test_refusals_beyond_the_allowed_misses_flag_every_assessed_film():
    y, p, paths = _films(60)
    pos = np.flatnonzero(y == 1)
    refused = np.zeros(len(y), bool)
    refused[pos[: len(pos) // 2]] = True  # half the pneumonia films: no threshold can keep 0.95
    spread = sensitivity_spread(y, p, paths, 0.95, refused)
    assert np.isfinite([spread["median"], *spread["ci95"]]).all()
    assessed = np.sort(p[pos[len(pos) // 2 :]])
    # each resample flags every pneumonia film it assessed: its lowest one; most resamples hold the lowest
    assert spread["ci95"][0] == spread["median"] == assessed[0]
