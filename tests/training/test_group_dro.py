"""training.group_dro: groups by hospital and class, losses per group, weights that move to the worst."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from training import dataset, group_dro  # noqa: E402


@dataclass
class Film:
    hospital: str
    label: int


FILMS = [Film("guangzhou", 0)] * 5 + [Film("guangzhou", 1)] * 3 + [Film("shenzhen", 1)] * 2


def test_groups_are_hospital_and_class():
    ids, names = group_dro.group_ids(FILMS)
    assert names == [("guangzhou", 0), ("guangzhou", 1), ("shenzhen", 1)]
    assert ids.tolist() == [0] * 5 + [1] * 3 + [2] * 2


@pytest.mark.parametrize("per_group", [1, 2, 10])
def test_the_probe_takes_at_most_per_group_from_each(per_group):
    ids, _ = group_dro.group_ids(FILMS)
    probe = group_dro.probe_indices(ids, per_group)
    counts = np.bincount(ids[probe], minlength=3)
    assert counts.tolist() == [min(per_group, n) for n in (5, 3, 2)]
    assert np.array_equal(probe, group_dro.probe_indices(ids, per_group))  # fixed across epochs


def test_group_losses_match_keras_binary_cross_entropy():
    import keras

    rng = np.random.default_rng(0)
    z, y = rng.normal(size=10) * 3, rng.integers(0, 2, 10).astype(float)
    ids, _ = group_dro.group_ids(FILMS)
    bce = keras.losses.BinaryCrossentropy(from_logits=True, reduction=None)
    per_film = np.asarray(bce(y[:, None], z[:, None]))
    expected = [per_film[ids == g].mean() for g in range(3)]
    np.testing.assert_allclose(group_dro.group_losses(z, y, ids, 4)[:3], expected, rtol=1e-5)
    assert group_dro.group_losses(z, y, ids, 4)[3] == 0.0


@pytest.mark.parametrize("eta", [0.5, 2.0])
def test_the_worst_group_gains_weight_and_the_weights_reach_the_pipeline(eta):
    weights = group_dro.GroupWeights(3, eta)
    q = weights.step(np.array([0.1, 0.2, 0.9]))
    assert q.sum() == pytest.approx(1.0) and q[2] > q[1] > q[0]
    assert float(np.mean(weights.variable.numpy())) == pytest.approx(1.0)
    ids, _ = group_dro.group_ids(FILMS)
    x = np.zeros((10, 8, 8, 1), np.uint8)
    targets, base = {"logit": np.zeros((10, 1), np.float32)}, {"logit": np.ones(10, np.float32)}
    ds = dataset.train_dataset(x, targets, base, 10, 0, groups=(ids, weights.scale))
    _, _, w = next(iter(ds))
    np.testing.assert_allclose(np.sort(w["logit"].numpy()), np.sort(3 * q[ids]), rtol=1e-5)


@pytest.mark.slow
def test_a_group_dro_run_moves_the_weights_and_needs_other_hospitals(tmp_path, capsys):
    from tests.shared import data_dir
    from training.train import TrainConfig, run

    base = dict(data=str(data_dir() / "chest_xray" / "train"), out=str(tmp_path), epochs=2, steps=2, limit=24)
    with pytest.raises(SystemExit):
        run(TrainConfig(**base, group_dro=1.0))
    run_dir = run(
        TrainConfig(**base, group_dro=1.0, hospitals="shenzhen,hannover", hold_out_hospital="montgomery")
    )
    assert (run_dir / "best.keras").exists()
    lines = [x for x in capsys.readouterr().out.splitlines() if x.startswith("group DRO after epoch")]
    assert len(lines) == 2 and "shenzhen/1" in lines[0]
