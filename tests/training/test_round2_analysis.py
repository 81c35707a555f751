"""The round-2 analyses on synthetic inputs: evidence maps, lung template, batch transfer, subtype."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")

from training.batch_transfer import table, transfer  # noqa: E402
from training.evidence import THIRD, evidence_map, lung_mask, occluded  # noqa: E402
from training.subtype import choose_subtype  # noqa: E402


@pytest.mark.parametrize("grid", [7, 14])
def test_evidence_map_covers_the_input_and_keeps_shares(grid):
    cam = np.zeros((grid, grid), np.float32)
    cam[:, grid // 2] = 1.0  # evidence only in the middle column of cells
    ev = evidence_map(cam)
    assert ev.shape == (224, 224)
    assert ev[:, THIRD].sum() / ev.sum() == pytest.approx(1.0)


def test_lung_template_sits_left_and_right_of_the_midline():
    mask = lung_mask(np.zeros((224, 224), np.uint8))
    assert 0.15 < mask.mean() < 0.35
    assert not mask[:, 110:114].any() and mask[:, 60].any() and mask[:, 160].any()


def test_occlusion_blanks_only_the_named_columns():
    x = np.ones((2, 224, 224, 1), np.float32)
    out = occluded(x, THIRD)
    assert (out[:, :, THIRD] == 0).all() and (out[:, :, :75] == 1).all() and (x == 1).all()


def _write_run(d: Path, seed: int, shift: float) -> Path:
    """A fake run: 40 patients' validation films and 60 films of a held-out batch."""
    rng = np.random.default_rng(seed)
    d.mkdir(parents=True)
    with open(d / "val_predictions.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["path", "label", "subtype", "logit", "subtype_logit", "logit_shifted", "subtype_logit_shifted"]
        )
        for i in range(200):
            y = int(i % 2)
            name = f"person{i}_bacteria_{i}.jpeg" if y else f"IM-{i:04d}-0001.jpeg"
            z = rng.normal(3 if y else -3, 1.5)
            w.writerow([name, y, 0 if y else "", z, 0.0, z + 0.5, 0.0])
    with open(d / "heldout_predictions.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "label", "subtype", "logit", "subtype_logit"])
        for i in range(60):
            w.writerow([f"NORMAL2-IM-{i:04d}-0001.jpeg", 0, "", rng.normal(-3 + shift, 1.5), 0.0])
    return d


@pytest.mark.slow  # three runs of the 2,000-resample threshold choice
def test_batch_transfer_sees_a_shifted_batch(tmp_path):
    same = transfer(_write_run(tmp_path / "same", 0, 0.0))
    moved = transfer(_write_run(tmp_path / "moved", 0, 2.0))
    rule = "clean validation (shipped rule)"
    assert same["rules"][rule]["threshold"] == pytest.approx(moved["rules"][rule]["threshold"])
    a = same["rules"][rule]["unseen_batch_normals"]["specificity"]
    b = moved["rules"][rule]["unseen_batch_normals"]["specificity"]
    assert b < a  # normal films of a batch that scores higher lose specificity at the same threshold
    shown = table(moved).splitlines()
    assert len(shown) == 4 + len(moved["rules"])  # a row per rule under the header
    assert f"{100 * b:.1f}%" in next(r for r in shown if r.startswith(f"| {rule} "))
    gate = transfer(tmp_path / "same", refused={f"person{i}_bacteria_{i}.jpeg" for i in (1, 3, 5, 7)})
    counted = gate["rules"]["clean validation, the gate's refusals counted as missed (shipped since stop 61)"]
    assert counted["threshold"] <= gate["rules"][rule]["threshold"]  # refused films count as missed
    assert counted["validation_sensitivity"] >= gate["rules"][rule]["validation_sensitivity"]
    both = transfer([tmp_path / "same", tmp_path / "moved"])
    assert both["run"] == "same+moved" and (tmp_path / "ensemble-same+moved" / "batch_transfer.json").exists()


def test_subtype_figures_only_use_labelled_films():
    rng = np.random.default_rng(1)
    n = 120
    sub = np.where(np.arange(n) < 100, (np.arange(n) % 3 == 0).astype(float), np.nan)
    z = np.where(sub == 1, rng.normal(1, 1, n), rng.normal(-1, 1, n))
    out = choose_subtype([f"person{i}_x.jpeg" for i in range(n)], sub, z, z + rng.normal(0, 0.3, n))
    assert out["validation"]["films"] == 100 and 0.7 < out["auc"] <= 1.0
    c = out["validation"]["confusion"]
    assert sum(c.values()) == 100 and out["auc_ci95"][0] <= out["auc"] <= out["auc_ci95"][1]


@pytest.mark.parametrize("content", [None, "not json"])
def test_batch_transfer_says_when_the_validation_report_cannot_be_read(tmp_path, content):
    from training.batch_transfer import main

    report = tmp_path / "validation.json"
    if content is not None:
        report.write_text(content)
    with pytest.raises(SystemExit, match="cannot read the validation report"):
        main([str(tmp_path / "run"), "--refused", str(report)])
