"""Fixtures for the training tests, made up: a leave-one-hospital-out run's cached features and its prediction files."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest


def held_out_features(seed: int = 0, site_logit_informative: bool = True) -> dict[str, np.ndarray]:
    """The layout of ``training.head_refit.extract``: Guangzhou validation and training films, a
    trained-on hospital and the held-out one (Shenzhen: adults and children). Feature 0 carries
    the label everywhere; the trained head's logit reads it, or at the held-out hospital only
    noise (a head that learned the hospital) when ``site_logit_informative`` is False."""
    rng = np.random.default_rng(seed)
    hospital, label, child = [], [], []
    for name, n, kid in (
        ("guangzhou (validation)", 200, 1),
        ("guangzhou (training)", 300, 1),
        ("montgomery", 80, -1),
        ("shenzhen", 240, 0),
        ("shenzhen", 30, 1),
    ):
        hospital += [name] * n
        label += list(rng.integers(0, 2, n))
        child += [kid] * n
    y = np.array(label)
    hospital = np.array(hospital)
    feats = np.c_[y * 3.0 + rng.normal(0, 1, len(y)), rng.normal(0, 1, (len(y), 3))].astype(np.float32)
    logit = feats[:, 0] - 1.5
    if not site_logit_informative:
        site = hospital == "shenzhen"
        logit[site] = rng.normal(0, 1, site.sum()).astype(np.float32)
    return {
        "features": feats,
        "logit": logit,
        "hospital": hospital,
        "label": y,
        "child": np.array(child),
        "held_out": np.array("shenzhen"),
    }


@pytest.fixture
def features_of_a_run():
    return held_out_features


def write_prediction_run(root, name: str, val: dict, held: dict, hold_out: str = "shenzhen"):
    """A leave-one-hospital-out run's prediction files, made up: ``val`` maps a film's path to
    (label, logit), ``held`` to (label, logit, child: "1", "0" or "")."""
    run = root / name
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"hold_out_hospital": hold_out}))
    with open(run / "val_predictions.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "label", "logit", "logit_shifted"])
        w.writerows([p, y, z, z] for p, (y, z) in val.items())
    with open(run / "heldout_hospital_predictions.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "label", "hospital", "child", "logit"])
        w.writerows([p, y, hold_out, c, z] for p, (y, z, c) in held.items())
    return run


@pytest.fixture
def prediction_run():
    return write_prediction_run
