"""Films from several hospitals, each with its hospital, label and age group.

Everything the model knew came from one hospital (Guangzhou), so it learned
"looks like a Guangzhou film" as much as "pneumonia". Other hospitals join
training here with both classes, so that no hospital predicts the label:

- ``guangzhou``: the Kermany training folder, children; pneumonia = 1.
- ``shenzhen``, ``montgomery``: ``other_hospitals/`` (NLM), mostly adults; tuberculosis = 1.
  Tuberculosis is not pneumonia, but it is an abnormal chest film a reader should see first;
  as the abnormal class it gives these hospitals both labels (as normals only, they would
  teach the mirror shortcut "other hospital = normal").
- ``hannover``: the licensed adult films in ``scope/adult_cxr`` (COVID-19 pneumonia), label 1.
  Only positives: the weights below keep it a small share, and leave-one-hospital-out shows
  whether it helps.

Only rows whose manifest says ``train_ok = yes`` are used.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HOSPITALS = ("guangzhou", "shenzhen", "montgomery", "hannover")


@dataclass(frozen=True)
class Film:
    path: Path
    label: int  # 1 = abnormal (pneumonia; tuberculosis at the NLM hospitals), 0 = normal
    hospital: str
    child: bool | None  # None where the source gives no age


def guangzhou(items: list[tuple[Path, int]]) -> list[Film]:
    return [Film(p, int(y), "guangzhou", True) for p, y in items]


def nlm(data: Path) -> list[Film]:
    """Shenzhen and Montgomery from ``other_hospitals/manifest.csv``."""
    root = data / "other_hospitals"
    out = []
    with open(root / "manifest.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row.get("train_ok") != "yes":
                continue
            age = row.get("age", "").strip()
            child = (float(age) < 18) if age.replace(".", "").isdigit() else None
            out.append(Film(root / row["path"], int(row["label"] != "normal"), row["hospital"], child))
    return out


def hannover(data: Path) -> list[Film]:
    """Licensed adult frontal films with COVID-19 pneumonia (``scope/adult_cxr``)."""
    root = data / "scope"
    out = []
    with open(root / "manifest.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row.get("class") == "adult_cxr" and row.get("train_ok") == "yes":
                out.append(Film(root / row["path"], 1, "hannover", False))
    return out


#: Findings of the public COVID-19 collection that are infectious pneumonia (not "todo",
#: "No Finding", ARDS alone or lipoid pneumonia).
PNEUMONIA_FINDINGS = (
    "COVID-19",
    "Pneumonia",
    "Streptococcus",
    "Pneumocystis",
    "Klebsiella",
    "Mycoplasma",
    "Varicella",
    "E.Coli",
    "Legionella",
    "Bacterial",
    "Influenza",
)


def collection(data: Path) -> list[Film]:
    """Adult frontal films with infectious pneumonia from the public COVID-19 collection
    (``scope/adult_cxr``, source ieee8023): many hospitals, none trained on by any model here.
    Evaluation only: most rows are licensed for no training (``train_ok = no``)."""
    root = data / "scope"
    out = []
    with open(root / "manifest.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            finding = row.get("note", "").partition("finding=")[2]
            if (
                row.get("class") == "adult_cxr"
                and "ieee8023" in row.get("source_repo", "")
                and any(finding.startswith(f) for f in PNEUMONIA_FINDINGS)
            ):
                out.append(Film(root / row["path"], 1, "collection", False))
    return out


def trained_on(config) -> list[str]:
    """The other hospitals a training config trains on (``hospitals`` less ``hold_out_hospital``),
    from a ``TrainConfig`` or a manifest's ``training.config`` dict."""
    get = config.get if isinstance(config, dict) else lambda k, d="": getattr(config, k, d)
    held = str(get("hold_out_hospital", "") or "")
    names = [h.strip() for h in str(get("hospitals", "") or "").split(",")]
    return [h for h in names if h and h != held]


def other_hospitals(data: Path, names: list[str]) -> list[Film]:
    films = nlm(data) if {"shenzhen", "montgomery"} & set(names) else []
    films += hannover(data) if "hannover" in names else []
    return [f for f in films if f.hospital in names]


def balanced_weights(films: list[Film], hospital_power: float = 0.5) -> np.ndarray:
    """Per-film loss weights: classes balanced within each hospital, and each hospital's total
    weight proportional to (its film count) ** ``hospital_power`` (0.5: small hospitals count
    more than their size, not as much as Guangzhou's 4,000 films). Mean weight 1."""
    from collections import Counter

    sizes = Counter(f.hospital for f in films)
    cells = Counter((f.hospital, f.label) for f in films)
    classes = Counter(h for h, _ in cells)
    w = np.array(
        [
            sizes[f.hospital] ** hospital_power / classes[f.hospital] / cells[(f.hospital, f.label)]
            for f in films
        ]
    )
    return (w / w.mean()).astype(np.float32)


def adversary_targets(films: list[Film]) -> tuple[np.ndarray, np.ndarray]:
    """Hospital index and weight per film for the source-adversarial head.

    Each (hospital, class) cell weighs the same, so the label says nothing about the
    hospital under these weights and the adversary cannot remove the label with it.
    A hospital with one class only (Hannover) gets weight 0: there the hospital *is*
    the label. Mean weight 1 over the films that count.
    """
    from collections import Counter

    cells = Counter((f.hospital, f.label) for f in films)
    both = {h for h, _ in cells if (h, 0) in cells and (h, 1) in cells}
    idx = np.array([HOSPITALS.index(f.hospital) for f in films], dtype=np.int32)
    w = np.array([1.0 / cells[(f.hospital, f.label)] if f.hospital in both else 0.0 for f in films])
    if w.sum() > 0:
        w = w / w[w > 0].mean()
    return idx, w.astype(np.float32)
