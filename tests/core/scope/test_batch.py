"""Issue 19, the batch check: ``shift`` for films unlike the validation films, ``ok`` for films like them."""

from __future__ import annotations

import numpy as np
import pytest

from pneumoscan.scope.batch import binomial_tail, check_batch

REFERENCE = {"films": 1000, "distance_quantiles": list(np.linspace(5, 30, 101)), "flagged_share": 0.7}


def test_binomial_tail_against_scipy():
    from scipy.stats import binom

    for k, n, p in [(0, 10, 0.05), (3, 10, 0.05), (13, 150, 0.05), (10, 29, 0.05)]:
        assert binomial_tail(k, n, p) == pytest.approx(binom.sf(k - 1, n, p), rel=1e-9)


@pytest.mark.parametrize(
    "distances, refused, verdict",
    [
        (np.linspace(5, 30, 200), 0, "ok"),  # like the validation films
        (np.linspace(5, 22, 100), 0, "ok"),  # one easy class alone: closer than usual, not a shift
        (np.linspace(20, 40, 50), 0, "shift"),  # far from the training films
        (np.linspace(5, 30, 40), 40, "shift"),  # half refused by the gate
        (np.linspace(5, 30, 10), 0, "too few films"),
    ],
)
def test_verdicts(distances, refused, verdict):
    check = check_batch(list(distances), [True] * len(distances), refused, REFERENCE)
    assert check.verdict == verdict and check.line.startswith(f"Batch check: {verdict}")


def test_without_reference_it_says_it_did_not_run():
    assert check_batch([1.0] * 30, [False] * 30, 0, None).verdict == "not run"


def test_a_batch_the_gate_refused_whole_says_so():
    """Every film refused (Shenzhen's adults): a shift, and no share of flagged films to invent."""
    check = check_batch([], [], 200, REFERENCE)
    assert check.verdict == "shift"
    assert "nan" not in check.line and "none assessed: all 200 refused" in check.line
