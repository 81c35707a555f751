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
