"""Source-adversarial training's loop pieces: empty hospital targets, and the reversal's ramp."""

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
def test_an_adversarial_run_trains_with_a_hospital_head(tmp_path):
    pytest.importorskip("tensorflow")
    import keras

    from tests.shared import data_dir
    from training.train import TrainConfig, run

    data = str(data_dir() / "chest_xray" / "train")
    cfg = TrainConfig(
        data=data, out=str(tmp_path), epochs=2, steps=2, limit=16, hospitals="shenzhen", adversarial=0.15
    )
    run_dir = run(cfg)
    assert json.loads((run_dir / "config.json").read_text())["adversarial"] == 0.15
    net = keras.models.load_model(run_dir / "best.keras")
    assert "hospital" in net.output_names and (run_dir / "val_predictions.csv").exists()
