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
