"""The site gate on a held-out batch: each film's needed shift, and the 1% rule's proposal."""

from __future__ import annotations

import numpy as np
import pytest

from pneumoscan.scope.site_gate import shifted
from training.site_gate_batch import needed_shift, proposed


def test_a_film_passes_both_gates_at_its_needed_shift():
    p1, p2 = np.array([0.9, 0.3, 0.5]), np.array([0.9, 0.9, 0.01])
    need = needed_shift(p1, p2, 0.6, 0.25)
    assert need[0] == 0
    for i in (1, 2):
        s = need[i] + 1e-9
        assert p1[i] >= shifted(0.6, s) and p2[i] >= shifted(0.25, s)


@pytest.mark.parametrize(
    ("need", "expected"),
    [
        (np.r_[np.zeros(198), 0.5, 2.0], 0.0),  # 2 of 200 refused: within 1%
        (np.r_[np.zeros(197), 0.5, 2.0, 3.0], 0.5),  # 3 refused, 2 may stay
        (np.r_[np.zeros(96), 0.1, 0.2, 0.3, 0.4], 0.3),  # 4 of 100: 1 may stay
    ],
)
def test_the_one_percent_rule(need, expected):
    assert proposed(need) == pytest.approx(expected)
