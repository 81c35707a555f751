"""Site profiles: a clinic's own operating point, adopted from its local validation.

A profile is a small JSON file in the user's configuration folder. It names
the model it was measured with (version and SHA-256): a profile made for
another model is refused, because its threshold means nothing there.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from pneumoscan.errors import ModelError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class ProfileError(ValueError):
    """A profile that cannot be used; the message says why."""


def profiles_dir() -> Path:
    """``$PNEUMOSCAN_CONFIG_DIR/profiles``, else the platform's per-user configuration folder
    (platformdirs: ``~/.config/PneumoScan`` on Linux, ``%APPDATA%\\PneumoScan`` on Windows,
    ``~/Library/Application Support/PneumoScan`` on macOS)."""
    base = os.environ.get("PNEUMOSCAN_CONFIG_DIR")
    if base:
        return Path(base) / "profiles"
    from platformdirs import user_config_dir

    return Path(user_config_dir("PneumoScan", appauthor=False, roaming=True)) / "profiles"


@dataclass(frozen=True)
class SiteProfile:
    name: str
    threshold: float
    rule: str
    model_version: str
    model_sha256: str
    created: str
    labelled_files_sha256: str
    counts: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    #: A locally adapted head (``pneumoscan.model.adapted_head``): weights, digest; None: the shipped head.
    head: dict[str, Any] | None = None
    #: The site's own learned-gate thresholds (``pneumoscan.scope.site_gate``): ``shift`` and what it
    #: cost and gave at validation; None: the shipped gate.
    gate: dict[str, Any] | None = None

    @property
    def operating_point(self) -> str:
        return f"site:{self.name}"

    @property
    def gate_shift(self) -> float:
        """How far this site loosens the learned gates (log-odds; 0: the shipped gate)."""
        return float(self.gate["shift"]) if self.gate else 0.0

    @classmethod
    def from_dict(cls, data: Any) -> SiteProfile:
        if not isinstance(data, dict):
            raise ProfileError("a profile must be a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ProfileError(f"unknown profile field(s): {', '.join(unknown)}")
        missing = sorted(
            f.name
            for f in fields(cls)
            if f.name not in data and f.name not in ("counts", "figures", "head", "gate")
        )
        if missing:
            raise ProfileError(f"profile lacks {', '.join(missing)}")
        t = data["threshold"]
        if not isinstance(t, (int, float)) or isinstance(t, bool) or not math.isfinite(t) or not 0 <= t <= 1:
            raise ProfileError(f"profile threshold must be a number from 0 to 1 (got {t!r})")
        if not isinstance(data["name"], str) or not _NAME.match(data["name"]):
            raise ProfileError("profile name: letters, digits, '-', '_' or '.', at most 64")
        for key in ("rule", "model_version", "model_sha256", "created", "labelled_files_sha256"):
            if not isinstance(data[key], str):
                raise ProfileError(f"profile field {key!r} must be text (got {data[key]!r})")
        if data.get("head") is not None and not isinstance(data["head"], dict):
            raise ProfileError("profile field 'head' must be an object")
        gate = data.get("gate")
        if gate is not None:
            shift = gate.get("shift") if isinstance(gate, dict) else None
            if not isinstance(shift, (int, float)) or isinstance(shift, bool) or not 0 <= shift < math.inf:
                raise ProfileError(f"profile field 'gate' must be an object with a shift >= 0 (got {gate!r})")
        for key in ("counts", "figures"):
            if not isinstance(data.get(key, {}), dict):
                raise ProfileError(f"profile field {key!r} must be an object (got {data[key]!r})")
        return cls(**data)

    def check_model(self, version: str, sha256: str) -> None:
        if self.model_sha256.lower() != sha256.lower():
            raise ModelError(
                f"Site profile {self.name!r} was measured with model {self.model_version} "
                f"(SHA-256 {self.model_sha256[:12]}), not the installed {version} (SHA-256 {sha256[:12]}); "
                "its threshold does not apply. Validate again with this model."
            )


def profile_path(name: str) -> Path:
    if not _NAME.match(name):
        raise ProfileError(f"invalid profile name {name!r}: letters, digits, '-', '_' or '.', at most 64")
    return profiles_dir() / f"{name}.json"


def load_profile(name: str) -> SiteProfile:
    path = profile_path(name)
    try:
        return SiteProfile.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise ProfileError(f"no site profile named {name!r} (see: pneumoscan profiles)") from exc
    except (OSError, ValueError) as exc:
        raise ProfileError(f"site profile {name!r} is unreadable: {exc}") from exc


def list_profiles() -> list[SiteProfile]:
    """The usable profiles (see ``profile_problems`` for the others)."""
    out = []
    for path in sorted(profiles_dir().glob("*.json")):
        try:
            out.append(load_profile(path.stem))
        except ProfileError:
            continue
    return out


def profile_problems() -> list[str]:
    """One sentence per profile file that cannot be used, so none vanishes without a word."""
    out = []
    for path in sorted(profiles_dir().glob("*.json")):
        try:
            load_profile(path.stem)
        except ProfileError as exc:
            out.append(f"{path.name}: {exc}")
    return out


def profile_exists(name: str) -> bool:
    return profile_path(name).exists()


def remove_profile(name: str) -> None:
    path = profile_path(name)
    if not path.exists():
        raise ProfileError(f"no site profile named {name!r}")
    path.unlink()
