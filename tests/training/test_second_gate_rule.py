"""training.second_gate_rule: a higher rule refuses more of both sides, each counted on unseen films."""

from __future__ import annotations

import numpy as np
import pytest

from training import second_gate_rule


def _run(val: np.ndarray, batch: np.ndarray) -> dict:
    def probs(p):
        return [[float(v), 1 - float(v), 0, 0, 0] for v in p]

    return {
        "val": probs(val),
        "val_shifted": probs(val),
        "held_out_batch": {"paths": [f"b{i}" for i in range(len(batch))], "probs": probs(batch)},
    }


@pytest.fixture
def inputs():
    rng = np.random.default_rng(0)
    val = rng.uniform(0, 1, 1000)
    batch = rng.uniform(0, 1, 200)
    runs = (_run(val, np.full(200, 0.99)), _run(val, batch))  # only the second gate refuses the batch
    adults = {f"a{i}": ("covid" if i % 2 else "mhh", float(v)) for i, v in enumerate(rng.uniform(0, 0.1, 50))}
    first = {k: (src, 0.99) for k, (src, _) in adults.items()}  # the first gate lets every adult through
    classes = {k: "adult_cxr" for k in adults}
    return runs, (val, val), first, adults, classes


@pytest.mark.parametrize("quantiles", [[0.005, 0.02], [0.01, 0.03, 0.05]])
def test_a_higher_rule_refuses_more_adults_and_more_of_the_batch(inputs, quantiles):
    runs, shipped, first, second, classes = inputs
    rows = second_gate_rule.sweep(quantiles, runs, shipped, 0.5, (first, second), classes, set())
    assert [r["quantile"] for r in rows] == quantiles
    for r, q in zip(rows, quantiles):
        assert r["second_threshold"] == pytest.approx(np.quantile(shipped[0], q))
        expected = sum(p < r["second_threshold"] for _, p in second.values())
        assert r["adults"] == expected and r["adults_n"] == 50
        assert r["shifted_refused"] == int((shipped[1] < r["second_threshold"]).sum())
        assert set(r["adults_by_source"]) == {"covid", "mhh"}
    assert rows[-1]["adults"] >= rows[0]["adults"]
    assert rows[-1]["batch"]["refused"] >= rows[0]["batch"]["refused"]
    text = second_gate_rule.table(rows)
    assert len(text.splitlines()) == 2 + len(quantiles) and f"| {quantiles[0]:.1%} |" in text


def test_fixed_refusals_count_for_the_pipeline(inputs):
    runs, shipped, first, second, classes = inputs
    rows = second_gate_rule.sweep([0.0], runs, shipped, 0.5, (first, second), classes, set(list(second)[:7]))
    assert rows[0]["adults"] >= 7


def test_children_count_as_assessed_only_when_both_gates_let_them_through(inputs):
    runs, shipped, first, second, classes = inputs
    kids_first = np.array([0.99, 0.99, 0.0, 0.99])  # the third refused by the first gate at any rule
    kids_second = np.array([0.99, 0.0, 0.99, 0.7])  # the second refused by the second gate at any rule
    rows = second_gate_rule.sweep(
        [0.001, 0.9], runs, shipped, 0.5, (first, second), classes, set(), (kids_first, kids_second)
    )
    assert [r["children_assessed"] for r in rows] == [3 - 1, 1]  # a rule near 0.9 also refuses the fourth
    assert all(r["children_n"] == 4 for r in rows) and "| 2 / 4 |" in second_gate_rule.table(rows)


@pytest.mark.parametrize("share", [0.001, 0.002, 0.004])
def test_the_first_rule_keeps_the_shipped_ratio(share):
    clean, shifted = second_gate_rule.first_rule(share)
    assert clean == share and shifted == pytest.approx(2.5 * share)


def test_a_lower_first_rule_refuses_less_of_the_batch(inputs):
    runs, shipped, first, second, classes = inputs
    rng = np.random.default_rng(1)
    runs = (
        _run(np.asarray(runs[0]["val"])[:, 0], rng.uniform(0, 1, 200)),
        runs[1],
    )  # the first gate refuses too
    rows = [
        second_gate_rule.sweep([0.01], runs, shipped, 0.5, (first, second), classes, set(), None, rule)[0]
        for rule in (second_gate_rule.first_rule(0.001), second_gate_rule.first_rule(0.05))
    ]
    assert rows[0]["batch"]["refused"] < rows[1]["batch"]["refused"]
    assert [r["first_rule"][0] for r in rows] == [0.001, 0.05]
    assert "| 0.10%; 0.25% |" in second_gate_rule.table(rows)
