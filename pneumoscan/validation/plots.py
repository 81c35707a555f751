"""The report's figures, drawn with matplotlib (Agg, no display) and returned as PNG bytes.

matplotlib is imported only here and only when a report is drawn; without it
the report says so and still carries every number.
"""

from __future__ import annotations

import io

import numpy as np

from pneumoscan.validation import stats as S

COLOURS = ["#b00020", "#1565c0", "#2e7d32", "#6a1b9a", "#ef6c00", "#455a64"]


def available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def draw(scores: dict, points: list[dict]) -> dict[str, bytes]:
    """ROC with the operating points, score histograms per class with thresholds, reliability curve."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    y, p = np.asarray(scores["y"]), np.asarray(scores["p"])
    out = {}
    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    fpr, tpr = S.roc_points(y, p)
    ax.plot(fpr, tpr, color="#333", lw=1.5, label=f"ROC (AUC {S.roc_auc(y, p):.3f})")
    for op, colour in zip(points, COLOURS):
        ax.plot(
            1 - op.specificity.value,
            op.sensitivity.value,
            "o",
            color=colour,
            label=f"{op.name} ({op.threshold:.3f})",
        )
    ax.plot([0, 1], [0, 1], ":", color="#999", lw=1)
    ax.set(
        xlabel="1 - specificity (normal films flagged)",
        ylabel="sensitivity (pneumonias flagged)",
        xlim=(-0.01, 1.01),
        ylim=(-0.01, 1.01),
        title="ROC on your films",
    )
    ax.legend(fontsize=7, loc="lower right")
    out["roc"] = _png(fig)

    fig, ax = plt.subplots(figsize=(6.0, 3.4))
    bins = np.linspace(0, 1, 41)
    ax.hist(p[y == 0], bins=bins, alpha=0.6, color="#1565c0", label=f"NORMAL ({(y == 0).sum()})")
    ax.hist(p[y == 1], bins=bins, alpha=0.6, color="#b00020", label=f"PNEUMONIA ({(y == 1).sum()})")
    for op, colour in zip(points, COLOURS):
        ax.axvline(op.threshold, color=colour, ls="--", lw=1.2, label=op.name)
    ax.set(
        xlabel="model probability", ylabel="films", title="Scores per class, with thresholds", yscale="log"
    )
    ax.legend(fontsize=7, ncol=2)
    out["histogram"] = _png(fig)

    fig, ax = plt.subplots(figsize=(4.2, 4.0))
    cal = S.calibration_curve(y, p)
    ax.plot([0, 1], [0, 1], ":", color="#999", lw=1, label="perfect calibration")
    ax.plot(cal["predicted"], cal["observed"], "o-", color="#333", label="your films (10 bins)")
    ax.set(
        xlabel="predicted probability",
        ylabel="observed share with pneumonia",
        xlim=(0, 1),
        ylim=(0, 1),
        title="Calibration (reliability)",
    )
    ax.legend(fontsize=7, loc="upper left")
    out["calibration"] = _png(fig)
    return out
