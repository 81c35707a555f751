"""Bacterial vs viral: calibration, operating point and figures for the subtype head.

Only pneumonia films whose file name says bacteria or virus count. The
operating point is the bootstrap median of Youden's J (patients resampled);
intervals are patient-bootstrap for the AUC and Clopper-Pearson for rates.
It is a research aid: the labels come from file names, the films from one
hospital, and validation chooses the threshold it is reported on.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import confusion_matrix, roc_auc_score

from pneumoscan.validation.stats import clopper_pearson
from training import metrics as M
from training.evaluate import patient_bootstrap, summarize

BOOTSTRAPS = 1000


def _rates(y: np.ndarray, p: np.ndarray, t: float) -> dict:
    pred = (p >= t).astype(int)
    tn, fp, fn, tp = (int(v) for v in confusion_matrix(y, pred, labels=[0, 1]).ravel())
    acc_lo, acc_hi = clopper_pearson(tp + tn, len(y))
    sens_lo, sens_hi = clopper_pearson(tp, tp + fn)
    spec_lo, spec_hi = clopper_pearson(tn, tn + fp)
    return {
        "threshold": float(t),
        "films": int(len(y)),
        "viral": int(y.sum()),
        "confusion": {
            "viral_called_viral": tp,
            "viral_called_bacterial": fn,
            "bacterial_called_viral": fp,
            "bacterial_called_bacterial": tn,
        },
        "accuracy": (tp + tn) / len(y),
        "accuracy_ci95": [acc_lo, acc_hi],
        "viral_recall": tp / max(tp + fn, 1),
        "viral_recall_ci95": [sens_lo, sens_hi],
        "bacterial_recall": tn / max(tn + fp, 1),
        "bacterial_recall_ci95": [spec_lo, spec_hi],
    }


def choose_subtype(
    paths: list[str], subtype: np.ndarray, logit: np.ndarray, logit_shifted: np.ndarray
) -> dict:
    """Calibrate on validation pneumonia films, pick the operating point, report figures."""
    known = ~np.isnan(subtype)
    paths = [p for p, k in zip(paths, known) if k]
    y, z, zs = subtype[known].astype(int), logit[known], logit_shifted[known]
    temperature, bias = M.fit_calibration(y, z)
    p, ps = M.calibrate(z, temperature, bias), M.calibrate(zs, temperature, bias)
    thresholds, aucs = [], []
    for idx in patient_bootstrap(paths, BOOTSTRAPS):
        if y[idx].min() == y[idx].max():
            continue
        thresholds.append(M.youden_threshold(y[idx], p[idx]))
        aucs.append(roc_auc_score(y[idx], p[idx]))
    t = summarize(thresholds)["median"]
    return {
        "temperature": temperature,
        "bias": bias,
        "threshold": t,
        "threshold_ci95": summarize(thresholds)["ci95"],
        "auc": float(roc_auc_score(y, p)),
        "auc_ci95": summarize(aucs)["ci95"],
        "auc_shifted": float(roc_auc_score(y, ps)),
        "ece": M.ece(y, p),
        "validation": _rates(y, p, t),
        "validation_shifted": _rates(y, ps, t),
    }
