"""training.shifted_threshold: the clean threshold carried to the shifted copy."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from training.shifted_threshold import carry, read


@pytest.mark.parametrize("shift", [0.0, 1.5])
def test_a_shift_upwards_costs_specificity_not_sensitivity(shift):
    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(300, int), np.ones(700, int)]
    z = np.r_[rng.normal(-2, 1, 300), rng.normal(2, 1, 700)]
    c = carry(y, z, z + shift)
    assert c["auc"] == pytest.approx(roc_auc_score(y, z)) == pytest.approx(c["auc_shifted"])
    assert c["sens_shifted"] >= 0.98
    if shift:
        assert c["spec_shifted"] < c["spec"] - 0.2
    else:
        assert c["spec_shifted"] == c["spec"]


def test_reads_a_runs_validation_predictions(tmp_path):
    (tmp_path / "val_predictions.csv").write_text(
        "path,label,subtype,logit,subtype_logit,logit_shifted,subtype_logit_shifted\n"
        "a,0,,-1.5,0,-1.0,0\nb,1,1,2.0,0,2.5,0\n"
    )
    y, z, zs = read(tmp_path)
    assert y.tolist() == [0, 1] and z.tolist() == [-1.5, 2.0] and zs.tolist() == [-1.0, 2.5]


@pytest.mark.parametrize("target", [0.98, 0.99])
def test_main_keeps_the_asked_sensitivity_on_clean_validation(tmp_path, capsys, target):
    from training.shifted_threshold import main

    rng = np.random.default_rng(1)
    y = np.r_[np.zeros(200, int), np.ones(800, int)]
    z = np.r_[rng.normal(-2, 1, 200), rng.normal(2, 1, 800)]
    rows = "".join(f"f{i},{yi},,{zi},0,{zi - 1.0},0\n" for i, (yi, zi) in enumerate(zip(y, z)))
    (tmp_path / "val_predictions.csv").write_text(
        "path,label,subtype,logit,subtype_logit,logit_shifted,subtype_logit_shifted\n" + rows
    )
    main([str(tmp_path), "--target", str(target)])
    out = capsys.readouterr().out
    c = carry(y, z, z - 1.0, target=target)
    assert f"sensitivity {target}" in out
    assert f"{100 * c['sens_shifted']:.1f}% |" in out
    assert c["sens_shifted"] < target  # a downward shift costs sensitivity the clean threshold kept
