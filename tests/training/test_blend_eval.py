"""training.blend_eval: a masked and an unmasked run's logits averaged, read from their files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from training import blend_eval
from training import metrics as M

RNG = np.random.default_rng(0)
VAL = [f"gz/{i}.jpeg" for i in range(40)]
VAL_Y = np.r_[np.zeros(20, int), np.ones(20, int)]
HELD = [f"sz/{i}.png" for i in range(24)]
HELD_Y = np.tile([0, 1], 12)
CHILD = ["1"] * 8 + ["0"] * 16


def _write(path: Path, header: list[str], rows: list[list]) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def _run(root: Path, name: str, masked: bool) -> tuple[Path, dict[str, np.ndarray]]:
    run = root / name
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"lung_mask": "seg.keras" if masked else ""}))
    z = {
        k: RNG.normal(size=n) + 1.5 * y for k, n, y in [("v", 40, VAL_Y), ("s", 40, VAL_Y), ("h", 24, HELD_Y)]
    }
    _write(
        run / "val_predictions.csv",
        ["path", "label", "logit", "logit_shifted"],
        [[p, y, a, 0.0 if masked else b] for p, y, a, b in zip(VAL, VAL_Y, z["v"], z["s"])],
    )
    if masked:
        _write(
            run / "mask_order_predictions.csv",
            ["path", "label", "logit_clean", "logit_shift_then_mask"],
            [[p, y, 0.0, b] for p, y, b in zip(VAL, VAL_Y, z["s"])],
        )
    _write(
        run / "heldout_hospital_predictions.csv",
        ["path", "label", "hospital", "child", "logit"],
        [[p, y, "shenzhen", c, a] for p, y, c, a in zip(HELD, HELD_Y, CHILD, z["h"])],
    )
    return run, z


@pytest.fixture
def runs(tmp_path, monkeypatch):
    monkeypatch.setattr("training.hospital_eval.BOOT", 20)  # the interval is hospital_eval's, tested there
    m, zm = _run(tmp_path, "masked", True)
    u, zu = _run(tmp_path, "unmasked", False)
    return m, zm, u, zu


@pytest.mark.parametrize("w", [0.0, 0.5, 1.0])
def test_each_group_is_the_weighted_logits_at_the_clean_rule(runs, w):
    m, zm, u, zu = runs
    res = blend_eval.blend(blend_eval.load(m, u), w)
    z = {k: w * zm[k] + (1 - w) * zu[k] for k in zm}
    t = M.threshold_for_sensitivity(VAL_Y, z["v"], 0.98)
    clean, shifted = res["Guangzhou validation, clean"], res[blend_eval.SHIFTED]
    assert clean["auc"] == pytest.approx(roc_auc_score(VAL_Y, z["v"]))
    assert shifted["auc"] == pytest.approx(roc_auc_score(VAL_Y, z["s"]))
    assert clean["threshold"] == pytest.approx(t)
    assert shifted["cleared_normal"] == [int((z["s"][VAL_Y == 0] < t).sum()), 20]
    assert clean["flagged_abnormal"][0] >= 0.98 * 20
    kids = res["shenzhen (held out), children"]
    assert kids["auc"] == pytest.approx(roc_auc_score(HELD_Y[:8], z["h"][:8]))
    assert res["shenzhen (held out), adults"]["flagged_abnormal"] == [
        int((z["h"][8:][HELD_Y[8:] == 1] >= t).sum()),
        8,
    ]


def test_main_prints_every_weight_and_group_and_keeps_them(runs, tmp_path, capsys):
    m, _, u, _ = runs
    blend_eval.main([str(m), str(u), "--weights", "0", "1", "--out", str(tmp_path / "b.json")])
    out = capsys.readouterr().out
    assert out.count("| 0.0 |") == 4 and out.count("| 1.0 |") == 4
    assert set(json.loads((tmp_path / "b.json").read_text())) == {"0.0", "1.0"}


def test_two_unmasked_runs_blend_their_own_shifted_copies(tmp_path, monkeypatch):
    monkeypatch.setattr("training.hospital_eval.BOOT", 20)
    a, za = _run(tmp_path, "a", False)
    b, zb = _run(tmp_path, "b", False)
    res = blend_eval.blend(blend_eval.load(a, b), 0.5)
    assert res[blend_eval.SHIFTED]["auc"] == pytest.approx(roc_auc_score(VAL_Y, (za["s"] + zb["s"]) / 2))


def test_refuses_runs_that_do_not_list_the_same_films(runs):
    m, _, u, _ = runs
    lines = (u / "heldout_hospital_predictions.csv").read_text().splitlines()
    (u / "heldout_hospital_predictions.csv").write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(SystemExit, match="held-out hospital: the two runs do not list the same films"):
        blend_eval.load(m, u)


def test_says_how_to_write_the_masked_runs_shifted_scores(runs):
    m, _, u, _ = runs
    (m / "mask_order_predictions.csv").unlink()
    with pytest.raises(SystemExit, match="python -m training.mask_order RUN"):
        blend_eval.load(m, u)
