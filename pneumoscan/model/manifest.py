"""The model manifest (``assets/model.json``): what the Screener needs to run a model.

It pins the model file by SHA-256, so a swapped or corrupted model is refused
instead of silently producing different answers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pneumoscan.errors import ModelError
from pneumoscan.hashing import file_sha256
from pneumoscan.model.preprocess import InputSpec
from pneumoscan.model.schema import validate

REQUIRED = ("version", "model_file", "sha256", "input", "outputs", "thresholds", "class_names")


def default_assets_dir() -> Path:
    """``assets/`` next to the package, or inside a PyInstaller bundle."""
    import sys

    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parents[2]))
    return base / "assets"


def sha256_file(path: Path) -> str:
    return file_sha256(path)


@dataclass
class Manifest:
    path: Path
    data: dict[str, Any] = field(repr=False)

    @classmethod
    def load(cls, path: str | Path) -> Manifest:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ModelError(f"Model manifest not found: {path}") from exc
        except (OSError, ValueError, RecursionError) as exc:  # bad JSON, bad UTF-8, absurd nesting
            raise ModelError(f"Model manifest {path} is unreadable: {str(exc)[:200]}") from exc
        missing = [k for k in REQUIRED if not isinstance(data, dict) or k not in data]
        if missing:
            raise ModelError(f"Model manifest {path} lacks {', '.join(missing)}")
        return cls(path, validate(data, str(path)))

    @property
    def model_path(self) -> Path:
        return self.path.parent / self.data["model_file"]

    @property
    def version(self) -> str:
        return str(self.data["version"])

    @property
    def sha256(self) -> str:
        return str(self.data["sha256"]).strip().lower()

    @property
    def input_spec(self) -> InputSpec:
        return InputSpec.from_manifest(self.data["input"])

    @property
    def thresholds(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.data["thresholds"].items()}

    @property
    def default_operating_point(self) -> str:
        return str(self.data.get("default_operating_point", next(iter(self.thresholds))))

    @property
    def temperature(self) -> float:
        return float(self.data.get("temperature", 1.0))

    @property
    def bias(self) -> float:
        return float(self.data.get("bias", 0.0))

    def verify(self) -> None:
        """Refuse a model file whose SHA-256 differs from the manifest."""
        if not self.model_path.is_file():
            raise ModelError(f"Model file not found: {self.model_path}")
        actual = sha256_file(self.model_path)
        if actual != str(self.data["sha256"]).strip().lower():
            raise ModelError(
                f"Model file {self.model_path.name} does not match its manifest "
                f"(SHA-256 {actual[:12]}... expected {str(self.data['sha256'])[:12]}...). "
                "The model may be corrupted or replaced; reinstall PneumoScan."
            )
