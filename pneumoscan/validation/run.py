"""``validate(...)``: screen a clinic's labelled films and measure the model there.

Returns a ``ValidationReport`` (plain data) that the CLI writes as HTML and
JSON, the GUI shows, and ``adopt()`` turns into a site profile. Out-of-scope,
unlabelled and unreadable films are counted and listed, never silently dropped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pneumoscan.reading.discovery import discover_with_problems
from pneumoscan.validation import stats as S
from pneumoscan.validation.gate_proposal import propose_gate, sensitivity_with_site_gate
from pneumoscan.validation.labels import LabelTable, label_from_folders, patient_of, read_labels
from pneumoscan.validation.points import OperatingPoint
from pneumoscan.validation.scope_cost import gate_cost


@dataclass
class ValidationReport:
    created: str
    model_version: str
    model_sha256: str
    target_sensitivity: float
    files: int
    counts: dict[str, Any]
    not_used: dict[str, list[str]]
    auc: dict[str, Any]
    operating_points: list[OperatingPoint]
    proposals: dict[str, Any]
    summary: str
    labelled_files_sha256: str
    claims: list[str] = field(default_factory=list)  # how far these films are from each sensitivity claim
    scope: dict[str, Any] = field(default_factory=dict)  # what the scope gate cost here (scope_cost.py)
    adapted: dict[str, Any] | None = None  # --adapt: the adapted head beside the shipped one (adaptation.py)
    scores: dict[str, list] = field(default_factory=dict, repr=False)  # y, p, patient: for plots

    def to_json(self) -> dict[str, Any]:
        from pneumoscan.reading.own import JSON_GENERATOR

        data = {"generator": JSON_GENERATOR, **self.__dict__}
        data["operating_points"] = [op.to_json() for op in self.operating_points]
        return data


def _fmt(x: float) -> str:
    return f"{x:.3f}"


def _label(r, labels: LabelTable | None, roots: Sequence[Path]) -> int | None:
    if labels is not None:
        return labels.lookup(r.path, r.meta)
    root = next((Path(x) for x in roots if Path(x) in r.path.parents or Path(x) == r.path), None)
    return label_from_folders(r.path, root)


def collect(
    results: Sequence, labels: LabelTable | None, roots: Sequence[Path]
) -> tuple[list[tuple[Path, int, float, str]], dict[str, list[str]], list[tuple[Any, int]]]:
    """(path, label, probability, patient) for assessed labelled films, the lists of the others,
    and (result, label) for each labelled film the scope gate refused (what the gate costs here)."""
    used, refused, not_used = [], [], {"out_of_scope": [], "unlabelled": [], "unreadable": []}
    for r in results:
        if r.out_of_scope:
            not_used["out_of_scope"].append(f"{r.path}: {r.reason}")
            label = _label(r, labels, roots)
            if label is not None:
                refused.append((r, label))
            continue
        if not r.ok or r.probability is None:
            not_used["unreadable"].append(f"{r.path}: {r.reason}")
            continue
        label = _label(r, labels, roots)
        if label is None:
            not_used["unlabelled"].append(str(r.path))
            continue
        used.append((r.path, label, float(r.probability), patient_of(r.path, r.meta)))
    return used, not_used, refused


def proposals(
    y: np.ndarray, p: np.ndarray, groups: np.ndarray, target: float, n_boot: int, seed: int
) -> dict:
    pos = p[y == 1]

    def thr(idx: np.ndarray) -> float:
        yy, pp = y[idx], p[idx]
        return S.sensitivity_threshold(pp[yy == 1], target) if (yy == 1).any() else np.nan

    boot = S.patient_bootstrap(groups, thr, n_boot, seed)
    boot = boot[np.isfinite(boot)]
    median = float(np.median(boot))
    at = S.at_threshold(y, p, median)
    return {
        "site_target": {
            "threshold": median,
            "ci95": [float(np.quantile(boot, 0.025)), float(np.quantile(boot, 0.975))],
            "rule": f"bootstrap median of the highest threshold keeping sensitivity >= {target:.2f} "
            f"({n_boot} patient-level resamples), the rule of the shipped thresholds",
            "sensitivity_lower_bound": at["sensitivity"]["ci95"][0],
        },
        "guaranteed": S.guaranteed_threshold(pos, target),
        "balanced": {"threshold": S.youden_threshold(y, p), "rule": "Youden's J on these films"},
    }


def summarize(
    report_counts: dict, auc: dict, points: list[OperatingPoint], files: int, scope: dict | None = None
) -> str:
    n = report_counts["films"]
    shipped = next(op for op in points if op.key == "shipped")
    c = shipped.confusion
    text = (
        f"On your {n} films (of {files} files) the model reached AUC {_fmt(auc['value'])} "
        f"({_fmt(auc['ci95'][0])}-{_fmt(auc['ci95'][1])}). At the shipped threshold ({shipped.threshold:.3f}) "
        f"it missed {c['fn']} of {c['fn'] + c['tp']} pneumonias and flagged {c['fp']} of {c['fp'] + c['tn']} normals."
    )
    site = next((op for op in points if op.key == "site_target"), None)
    if site:
        c = site.confusion
        text += (
            f" At the proposed site threshold ({site.threshold:.3f}) it would have missed {c['fn']} and "
            f"flagged {c['fp']} normals."
        )
    refused = (scope or {}).get("refused", {})
    if refused.get("k"):
        pneumonia = scope["by_class"]["pneumonia"]["k"]
        text += (
            f" The scope gate refused {refused['k']} of your labelled films ({100 * refused['value']:.1f}%), "
            f"{pneumonia} of them pneumonia: not assessed, so never flagged (listed in the report)."
        )
        site_gate = scope.get("site_gate") or {}
        if site_gate.get("shift"):
            text += (
                f" A site gate is proposed that would refuse {site_gate['refused_after']['k']} of them "
                "(below: what it lets through and what it costs)."
            )
    return text


#: Sensitivity claims a site may want to make, and the words for each.
CLAIMS = (0.95, 0.98, 0.99)


def site_gate_report(refused: list, y: np.ndarray, p: np.ndarray, screener, threshold: float) -> dict:
    """The site's own learned-gate thresholds, proposed from these films (``gate_proposal``)."""
    config = dict(getattr(getattr(screener, "gate", None), "config", None) or {})
    proposal = propose_gate(refused, len(refused) + len(y), config, threshold)
    if proposal.get("shift"):
        pos_refused = sum(lab for _r, lab in refused)
        proposal["sensitivity"] = sensitivity_with_site_gate(proposal, y, p, pos_refused, threshold)
    return proposal


def claim_distances(pneumonia_films: int) -> list[str]:
    """``112 of the 299 pneumonia films needed to claim sensitivity 0.99`` for each claim."""
    out = []
    for target in CLAIMS:
        need = S.positives_needed(target)
        have = min(pneumonia_films, need)
        done = " (enough, if none is missed)" if pneumonia_films >= need else ""
        out.append(f"{have} of the {need} pneumonia films needed to claim sensitivity {target:.2f}{done}")
    return out


def validate(
    paths: Sequence[str | Path],
    screener,
    labels_csv: str | Path | LabelTable | None = None,
    target: float = 0.99,
    cancel: threading.Event | None = None,
    progress: Callable[[int, int], None] | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    stream=None,
    adapt: bool = False,
) -> ValidationReport:
    """``stream(files, cancel)`` screens (default: the screener's local engine; ``--engine ray``).
    ``adapt`` also fits a locally adapted head on the films' pooled features (local engine)."""
    if isinstance(labels_csv, LabelTable):  # labels made elsewhere (the readers' verdicts)
        labels = labels_csv
    else:
        labels = read_labels(labels_csv) if labels_csv else None
    files, problems = discover_with_problems(paths)
    results = []
    screen = stream or (lambda fs, c: screener.screen(fs, cancel=c))
    screener.keep_features = adapt
    try:
        for i, r in enumerate(screen(files, cancel or threading.Event())):
            results.append(r)
            if progress:
                progress(i + 1, len(files))
    finally:
        screener.keep_features = False
    m = screener.manifest
    shipped_op = m.default_operating_point
    for r in results:  # measured as shipped, whatever site profile the screener is on (head, gate, threshold)
        r.with_threshold(shipped_op, m.thresholds[shipped_op], None)
    used, not_used, refused = collect(results, labels, [Path(p) for p in paths])
    not_used["unreadable"] += [f"{p}: {why}" for p, why in problems]
    if labels is not None:
        not_used["unknown_labels"] = list(labels.unknown)
        screened = {str(Path(r.path).resolve()) for r in results}
        uids = {str(r.meta.get("SOPInstanceUID", "") or "") for r in results}
        not_used["labels_without_a_film"] = sorted(
            [p for p in labels.by_path if p not in screened] + [u for u in labels.by_uid if u not in uids]
        )
    if not used or len({u[1] for u in used}) < 2:
        raise ValueError("validation needs labelled films of both classes (NORMAL and PNEUMONIA)")
    y = np.array([u[1] for u in used])
    p = np.array([u[2] for u in used])
    groups = np.array([u[3] for u in used])
    boot_auc = S.patient_bootstrap(groups, lambda idx: S.roc_auc(y[idx], p[idx]), n_boot, seed)
    boot_auc = boot_auc[np.isfinite(boot_auc)]
    auc = {
        "value": S.roc_auc(y, p),
        "ci95": [float(np.quantile(boot_auc, 0.025)), float(np.quantile(boot_auc, 0.975))],
        "method": f"{n_boot} patient-level bootstrap resamples",
    }
    prop = proposals(y, p, groups, target, n_boot, seed)
    points = [
        OperatingPoint.measure("shipped", "shipped default", shipped_op, y, p, m.thresholds[shipped_op])
    ]
    for name, t in m.thresholds.items():
        if name != m.default_operating_point:
            points.append(OperatingPoint.measure(f"shipped:{name}", f"shipped {name}", name, y, p, t))
    site = prop["site_target"]
    points.append(
        OperatingPoint.measure(
            "site_target", "proposed site threshold", site["rule"], y, p, site["threshold"]
        )
    )
    if prop["guaranteed"]["threshold"] is not None:
        rule = f"sensitivity >= {target} with 95% confidence"
        points.append(
            OperatingPoint.measure(
                "guaranteed", "guaranteed (Neyman-Pearson)", rule, y, p, prop["guaranteed"]["threshold"]
            )
        )
    balanced = prop["balanced"]
    points.append(
        OperatingPoint.measure("balanced", "proposed balanced", balanced["rule"], y, p, balanced["threshold"])
    )
    counts = {
        "films": len(used),
        "pneumonia": int(y.sum()),
        "normal": int((1 - y).sum()),
        "patients": len(set(groups)),
        "patients_pneumonia": len(set(groups[y == 1])),
        "patients_normal": len(set(groups[y == 0])),
    }
    claims = claim_distances(int(y.sum()))
    gate_on = bool(getattr(getattr(screener, "gate", None), "enabled", True))
    scope = gate_cost(refused, y, p, {op.key: (op.name, op.threshold) for op in points}, gate_on)
    if gate_on:
        scope["site_gate"] = site_gate_report(refused, y, p, screener, site["threshold"])
    adapted = None
    if adapt:
        from pneumoscan.validation.adaptation import adapted_head_report

        by_path = {r.path: r.features for r in results if r.features is not None}
        if len(by_path) < len(used):
            raise ValueError("--adapt needs the model's pooled features (this model or engine gives none)")
        x = np.stack([by_path[u[0]] for u in used]).astype(np.float64)
        adapted = adapted_head_report(x, y, groups, p, target, n_boot, seed)
    digest = hashlib.sha256("".join(f"{u[0]}\t{u[1]}\n" for u in sorted(used)).encode()).hexdigest()
    return ValidationReport(
        created=dt.datetime.now().isoformat(timespec="seconds"),
        model_version=m.version,
        model_sha256=str(m.data["sha256"]),
        target_sensitivity=target,
        files=len(files) + len(problems),
        counts=counts,
        not_used=not_used,
        auc=auc,
        operating_points=points,
        proposals=prop,
        summary=summarize(counts, auc, points, len(files) + len(problems), scope),
        labelled_files_sha256=digest,
        claims=claims,
        scope=scope,
        adapted=adapted,
        scores={"y": y.tolist(), "p": p.tolist(), "patient": groups.tolist()},
    )
