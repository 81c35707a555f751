"""training.mask_order: a masked run's shifted copy, shifted before or after the mask."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from pneumoscan.model.preprocess import InputSpec
from training import mask_order


def _left_half(film: np.ndarray) -> np.ndarray:
    """A stand-in masker: the film's left half (a crop, as ``training.lungs.masked`` returns)."""
    return film[:, : film.shape[1] // 2]


def test_remask_masks_each_film_and_squashes_it_back():
    films = np.zeros((2, 224, 224, 1), np.uint8)
    films[:, :, :112] = 200  # bright left half, dark right half
    films[1, :, :112, 0] = np.arange(112, dtype=np.uint8)[None, :] + 50
    out = mask_order.remask(films, _left_half, InputSpec())
    assert out.shape == films.shape and out.dtype == np.uint8
    assert out[0].min() == out[0].max()  # only the bright half is left, stretched to the whole film
    row = out[1, 100, :, 0].astype(int)
    assert (np.diff(row) >= 0).all() and row[-1] > row[0]  # the ramp now spans the whole width


@pytest.mark.parametrize("threshold", [-0.5, 0.5])
def test_figures_are_sklearns_auc_and_counts_at_the_threshold(threshold):
    y = np.array([0, 0, 0, 1, 1, 1])
    z = np.array([-2.0, 0.0, 1.0, -1.0, 1.0, 2.0])
    f = mask_order.figures(y, threshold, z)
    assert f["auc"] == pytest.approx(roc_auc_score(y, z))
    pred = z >= threshold
    assert f["sensitivity"] == pytest.approx(pred[y == 1].mean())
    assert f["specificity"] == pytest.approx((~pred[y == 0]).mean())


@pytest.mark.parametrize(
    ("mask", "predictions", "reason"),
    [("", True, "not a --lung-mask run"), ("seg.keras", False, "no val_predictions.csv")],
)
def test_refuses_a_run_it_cannot_score_before_loading_anything(tmp_path, mask, predictions, reason):
    (tmp_path / "best.keras").write_bytes(b"")
    (tmp_path / "config.json").write_text(json.dumps({"lung_mask": mask}))
    if predictions:
        (tmp_path / "val_predictions.csv").write_text("path,label,logit,logit_shifted\n")
    with pytest.raises(SystemExit, match=reason):
        mask_order.orders(tmp_path)


@pytest.mark.parametrize(
    ("flags", "kept_as"),
    [
        ([], "mask_order.json"),
        (["--segmenter", "runs/lungs-x/segmenter.keras"], "mask_order-lungs-x.json"),
        (["--mirror", "lost"], "mask_order-lost.json"),
        (["--segmenter", "runs/lungs-x/segmenter.keras", "--mirror", "none"], "mask_order-lungs-x-none.json"),
    ],
)
def test_main_prints_every_copy_and_keeps_the_figures_beside_the_run(
    tmp_path, monkeypatch, capsys, flags, kept_as
):
    f = {"auc": 0.9, "sensitivity": 0.97, "specificity": 0.8}
    res = {"threshold": 0.1, "clean (masked after the squash)": f, "masker": {"found": 9, "kept_whole": 1}}
    asked = []
    monkeypatch.setattr(
        mask_order,
        "orders",
        lambda run_dir, segmenter, mirror, keep: asked.append((segmenter, mirror, keep)) or res,
    )
    monkeypatch.setattr("pneumoscan.offline.ensure_offline", lambda: None)
    mask_order.main([str(tmp_path), *flags])
    segmenter = Path(flags[1]) if flags[:1] == ["--segmenter"] else None
    keep = tmp_path / kept_as.replace(".json", "_predictions.csv")
    assert asked == [(segmenter, flags[-1] if "--mirror" in flags else None, keep)]
    out = capsys.readouterr().out
    assert "| clean (masked after the squash) | 0.900 | 97.0% | 80.0% |" in out
    assert "films masked 9, kept whole 1" in out
    assert json.loads((tmp_path / kept_as).read_text()) == res


def test_keep_logits_writes_one_row_per_film_and_copy(tmp_path):
    items = [(Path("a/NORMAL/x.jpeg"), 0), (Path("a/PNEUMONIA/y.jpeg"), 1)]
    logits = {"clean": np.array([-1.0, 2.0]), "shift, then mask": np.array([-0.5, 1.25])}
    mask_order.keep_logits(tmp_path / "k.csv", items, np.array([0, 1]), logits)
    lines = (tmp_path / "k.csv").read_text().splitlines()
    assert lines[0] == "path,label,logit_clean,logit_shift_then_mask"
    assert lines[1:] == ["a/NORMAL/x.jpeg,0,-1.000000,-0.500000", "a/PNEUMONIA/y.jpeg,1,2.000000,1.250000"]
