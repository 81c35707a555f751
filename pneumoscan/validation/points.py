"""A validation report's operating points and rates, typed (the JSON twin keeps the same shape)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from pneumoscan.validation import stats as S


@dataclass(frozen=True)
class Rate:
    """k of n, with its exact 95% interval (NaN without films in the denominator)."""

    value: float
    ci95: tuple[float, float]
    k: int
    n: int

    @classmethod
    def of(cls, d: dict) -> Rate:
        return cls(float(d["value"]), (float(d["ci95"][0]), float(d["ci95"][1])), int(d["k"]), int(d["n"]))

    @property
    def known(self) -> bool:
        return not math.isnan(self.value)


@dataclass(frozen=True)
class OperatingPoint:
    """One threshold on these films: ``key`` names it for code, ``name`` for people."""

    key: str  # "shipped", "shipped:<name>", "site_target", "guaranteed", "balanced"
    name: str
    rule: str
    threshold: float
    sensitivity: Rate
    specificity: Rate
    ppv: Rate
    npv: Rate
    confusion: dict[str, int]

    @classmethod
    def measure(
        cls, key: str, name: str, rule: str, y: np.ndarray, p: np.ndarray, t: float
    ) -> OperatingPoint:
        at = S.at_threshold(y, p, t)
        rates = {k: Rate.of(at[k]) for k in ("sensitivity", "specificity", "ppv", "npv")}
        return cls(key, name, str(rule), float(t), confusion=dict(at["confusion"]), **rates)

    def to_json(self) -> dict:
        data = asdict(self)
        for k in ("sensitivity", "specificity", "ppv", "npv"):
            data[k]["ci95"] = list(data[k]["ci95"])
        return data
