"""convert refuses runs whose films were cropped or masked to the lungs (the app does neither)."""

from __future__ import annotations

from pathlib import Path

import pytest

from convert.__main__ import refuse_experiment
from training.train import TrainConfig


@pytest.mark.parametrize(
    ("fields", "word"), [({"lung_crop": "seg.keras"}, "cropped"), ({"lung_mask": "runs/lungs-x"}, "masked")]
)
def test_lung_experiments_are_refused(fields, word):
    with pytest.raises(SystemExit, match=word):
        refuse_experiment(TrainConfig(**fields), Path("runs/x"))


def test_a_plain_run_passes():
    refuse_experiment(TrainConfig(hospitals="shenzhen"), Path("runs/x"))
