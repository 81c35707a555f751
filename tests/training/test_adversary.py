"""Adversarial training's loop pieces: the age head's targets, empty targets, the reversal's ramp."""

from __future__ import annotations

import json

import numpy as np
import pytest

from training import adversary


@pytest.mark.parametrize("n", [1, 5])
def test_evaluation_sets_get_a_hospital_target_that_weighs_nothing(n):
    targets, weights = {"logit": np.ones(n, np.float32)}, {"logit": np.ones(n, np.float32)}
    adversary.no_hospital_target(targets, weights)
    assert targets["hospital"].shape == (n,) and targets["hospital"].dtype == np.int32
    assert not weights["hospital"].any()


@pytest.mark.parametrize(
    ("top", "epoch", "want"), [(0.15, 0, 0.0), (0.15, 2, 0.06), (0.15, 5, 0.15), (1.0, 9, 1.0)]
)
def test_the_reversed_gradient_grows_over_the_first_epochs_then_stays_at_its_top(top, epoch, want):
    pytest.importorskip("tensorflow")
    import keras

    from training.model import GradientReversal

    inputs = keras.Input((4,))
    net = keras.Model(inputs, GradientReversal(name="reverse")(inputs))
    adversary.reversal_ramp(net, top).on_epoch_begin(epoch)
    assert float(net.get_layer("reverse").scale.numpy()) == pytest.approx(want)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["hospital", "age"])
def test_an_adversarial_run_trains_with_its_head(tmp_path, kind):
    pytest.importorskip("tensorflow")
    import keras

    from tests.shared import data_dir
    from training.train import TrainConfig, run

    data = data_dir() / "chest_xray" / "train"
    if kind == "hospital":
        fields = {"hospitals": "shenzhen", "adversarial": 0.15}
    else:  # every Guangzhou training film gets an apparent age, as training.age_reader writes
        films = sorted(data.glob("*/*.jpeg"))
        _, csv_path = _age_csv(tmp_path, {str(f): 1 + i % 17 for i, f in enumerate(films)})
        fields = {"age_adversarial": 0.3, "age_csv": str(csv_path)}
    cfg = TrainConfig(data=str(data), out=str(tmp_path), epochs=2, steps=2, limit=16, **fields)
    run_dir = run(cfg)
    config = json.loads((run_dir / "config.json").read_text())
    assert all(config[k] == v for k, v in fields.items())
    net = keras.models.load_model(run_dir / "best.keras")
    assert "hospital" in net.output_names and (run_dir / "val_predictions.csv").exists()
    if kind == "age":  # the head reads quartiles of apparent age, not hospitals
        assert net.get_layer("hospital").units == adversary.AGE_BINS


def _age_csv(tmp_path, ages: dict) -> tuple[list, object]:
    path = tmp_path / "ages.csv"
    path.write_text("path,label,apparent_age\n" + "".join(f"{tmp_path / p},0,{a}\n" for p, a in ages.items()))
    return [tmp_path / p for p in ages], path


@pytest.mark.parametrize("extra", [0, 3])
def test_the_age_head_reads_quartiles_within_each_class_so_it_cannot_read_the_class(tmp_path, extra):
    # pneumonia films all look older than normal ones, as at Guangzhou
    ages = {f"n{i}.png": 2 + i * 0.1 for i in range(8)} | {f"p{i}.png": 9 + i for i in range(16)}
    paths, csv_path = _age_csv(tmp_path, ages)
    labels = np.array([0] * 8 + [1] * 16 + [1] * extra)
    idx, w = adversary.age_targets(paths, labels, csv_path, len(labels))
    for c, n in ((0, 8), (1, 16)):
        m = labels[:24] == c
        assert np.bincount(idx[:24][m], minlength=adversary.AGE_BINS).tolist() == [n // 4] * 4
        assert w[:24][m].sum() == pytest.approx(w[:24][~m].sum())  # each class weighs the same
    assert not w[24:].any()  # other hospitals' films: no apparent age, no weight
    assert w[w > 0].mean() == pytest.approx(1.0)


def test_a_training_film_without_an_apparent_age_is_an_error_not_a_silent_gap(tmp_path):
    paths, csv_path = _age_csv(tmp_path, {"a.png": 3.0, "b.png": 5.0})
    with pytest.raises(SystemExit, match="no apparent age for 1 films"):
        adversary.age_targets([*paths, tmp_path / "c.png"], np.array([0, 1, 1]), csv_path, 3)


@pytest.mark.parametrize(
    ("fields", "films", "message"),
    [
        ({"adversarial": 0.15, "age_adversarial": 0.3, "age_csv": "x.csv"}, [], "choose one"),
        ({"age_adversarial": 0.3}, [], "needs --age-csv"),
        ({"adversarial": 0.15}, [], "needs --hospitals"),
    ],
)
def test_an_adversary_that_cannot_work_is_refused_before_training(fields, films, message):
    from training.train import TrainConfig

    with pytest.raises(SystemExit, match=message):
        adversary.setup(TrainConfig(**fields), {}, {}, [], np.zeros(0), {"train": films})


def test_without_an_adversary_there_is_no_head():
    from training.train import TrainConfig

    targets: dict = {}
    assert adversary.setup(TrainConfig(), targets, {}, [], np.zeros(0), {"train": []}) == 0
    assert not targets
