"""Adopting a site threshold: the evidence it needs, the profile it becomes, the file it is saved to."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from pneumoscan.model.profiles import SiteProfile, profile_path
from pneumoscan.outputs.atomic import atomic_write_text
from pneumoscan.validation.run import ValidationReport

#: Films of each class a site threshold may be adopted from. With 30 pneumonia films all flagged, the
#: 95% Clopper-Pearson interval on sensitivity still reaches down to 0.884; with fewer, the interval is
#: wider than the differences a threshold choice makes, and a threshold read off one or two films moved
#: 12 of 80 pneumonias below it in a hand test. 30 is a floor, not a claim: the report says how many
#: films each sensitivity claim needs (299 pneumonia films for 0.99).
MIN_PER_CLASS = 30


def adoption_problem(counts: dict[str, Any]) -> str:
    """Why these films are too few to adopt a threshold from ("" when they suffice)."""
    short = [
        f"{counts.get(k, 0)} {k} films" for k in ("pneumonia", "normal") if counts.get(k, 0) < MIN_PER_CLASS
    ]
    if not short:
        return ""
    return (
        f"only {' and '.join(short)}: adopting a site threshold needs at least {MIN_PER_CLASS} films of "
        "each class (below that its 95% interval is too wide to mean anything); the report still shows "
        "the figures"
    )


def adopt(
    report: ValidationReport, name: str, which: str = "site_target", site_gate: bool = True
) -> SiteProfile:
    """A profile from a report: the proposed site threshold by default ('guaranteed' or 'balanced' too),
    with the proposed site gate when the report proposes one (``site_gate=False``: the shipped gate).

    Refused (``ValueError``) when the films are too few (``MIN_PER_CLASS``)."""
    problem = adoption_problem(report.counts)
    if problem:
        raise ValueError(problem)
    gate = gate_of(report) if site_gate else None
    if report.adapted is not None and report.adapted["better"] and which == "site_target":
        return replace(_adapted_profile(report, name), gate=gate)
    chosen = report.proposals[which]
    if chosen.get("threshold") is None:
        raise ValueError(f"no {which} threshold: {report.proposals[which]}")
    point = next(op for op in report.operating_points if op.key == which)  # the proposal's own point
    figures = {"auc": report.auc, **{k: point.to_json()[k] for k in ("sensitivity", "specificity")}}
    profile = _profile(report, name, float(chosen["threshold"]), str(chosen.get("rule", which)), figures)
    return replace(profile, gate=gate)


def gate_of(report: ValidationReport) -> dict[str, Any] | None:
    """The proposed site gate as a profile keeps it (None when none is proposed)."""
    proposal = (report.scope or {}).get("site_gate") or {}
    if not proposal.get("shift"):
        return None
    keep = ("shift", "thresholds", "shipped_thresholds", "max_shift", "refused_before", "refused_after")
    return {k: proposal[k] for k in keep if k in proposal} | {"release_cost": proposal.get("release_cost")}


def _profile(
    report: ValidationReport, name: str, threshold: float, rule: str, figures: dict, head: dict | None = None
) -> SiteProfile:
    return SiteProfile(
        name=name,
        threshold=threshold,
        rule=rule,
        model_version=report.model_version,
        model_sha256=report.model_sha256,
        created=report.created,
        labelled_files_sha256=report.labelled_files_sha256,
        counts=dict(report.counts),
        figures={**figures, "target_sensitivity": report.target_sensitivity},
        head=head,
    )


def save_profile(profile: SiteProfile) -> Path:
    path = profile_path(profile.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(asdict(profile), indent=2) + "\n")
    return path


def _adapted_profile(report: ValidationReport, name: str) -> SiteProfile:
    """The adapted head with its out-of-fold threshold and figures (only when it is better)."""
    a, shipped = report.adapted["adapted"], report.adapted["shipped"]
    rule = (
        f"adapted head (L2 {report.adapted['penalty']}), threshold for sensitivity >= "
        f"{report.target_sensitivity:.2f} on out-of-fold scores"
    )
    figures = {k: a[k] for k in ("auc", "sensitivity", "specificity")}
    figures["shipped_head"] = {k: shipped[k] for k in ("auc", "sensitivity", "specificity")}
    return _profile(report, name, float(a["threshold"]), rule, figures, head=report.adapted["head"])
