"""Where the repository and the shared data set are, for every test module."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"


def data_dir() -> Path:
    """The shared data set, or skip with the reason when it is absent."""
    if not (DATA / "chest_xray" / "train").is_dir():
        pytest.skip(f"shared data set not found at {DATA} (tests that need real X-rays are skipped)")
    return DATA


def scope_smoke_args(out: Path) -> list[str]:
    """A scope-gate training run on a few of the shared films (``training.train_scope``), writing to ``out``."""
    data = data_dir()
    return [
        "--data",
        str(data / "chest_xray" / "train"),
        "--scope",
        str(data / "scope"),
        "--out",
        str(out),
        "--limit",
        "20",
        "--epochs",
        "1",
        "--no-folds",
    ]


#: Guangzhou validation films the shipped learned gates refuse, and the shift each needs (stop 59).
REFUSED_BY_GATES = {
    "NORMAL/NORMAL2-IM-0587-0001-0001.jpeg": "NORMAL",  # 4.5
    "NORMAL/NORMAL2-IM-0587-0001-0002.jpeg": "NORMAL",  # 4.5
    "PNEUMONIA/person1590_bacteria_4174.jpeg": "PNEUMONIA",  # 2.0
    "PNEUMONIA/person1590_bacteria_4176.jpeg": "PNEUMONIA",  # 3.4
}


def gated_site(per_class: int) -> tuple[Path, dict[str, str]]:
    """A site's labelled films for the site-gate tests: the films the gates refuse, and
    ``per_class`` of each class they pass (path under ``chest_xray/train`` -> label); skips without them."""
    train = data_dir() / "chest_xray" / "train"
    if not all((train / rel).exists() for rel in REFUSED_BY_GATES):
        pytest.skip("the films the shipped gates refuse are not in the shared data")
    films = dict(REFUSED_BY_GATES)
    for label, pattern in (("NORMAL", "IM-01*.jpeg"), ("PNEUMONIA", "person1*.jpeg")):
        for path in sorted((train / label).glob(pattern))[:per_class]:
            films[f"{label}/{path.name}"] = label
    return train, films


def screened(*checks, probability: float = 0.8, gate_on: bool = True):
    """A film as the screener leaves it: scored by the model, then judged by the shipped gate
    (``checks``: the model-stage ``CheckResult``s after a passed size check)."""
    import numpy as np

    from pneumoscan.prepare import apply_refusal
    from pneumoscan.results import ScreenResult, Status
    from pneumoscan.scope.result import PASS, CheckResult

    r = ScreenResult(path=Path("film.png"), status=Status.OK, operating_point="screening", threshold=0.5)
    r.scope_gate = gate_on
    r.probability = r.base_probability = probability
    r.cam = np.ones((14, 14), np.float32)
    r.checks = [CheckResult("size", PASS), *checks]
    apply_refusal(r, gate_on, final=True)
    return r
