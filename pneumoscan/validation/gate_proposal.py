"""A site's own learned-gate thresholds, proposed from its labelled films (``scope.site_gate``).

Why: every labelled film is one the site wants read. When the learned gates refuse more than 1%
of them (the issue's bar for the official test), the report proposes the smallest loosening that
brings the refusals back to 1%, never past the limit shipped with the gate (the shift at which the
pipeline still refused 85% of adult films and every other image no gate had seen). Films refused
by a tag, pixel or distance check stay refused. What the proposal lets through is listed, with
how the proposed site threshold would label each film, so the site decides with the films in view.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from pneumoscan.scope.site_gate import max_shift, shift_needed, shipped_thresholds, site_thresholds
from pneumoscan.validation.scope_cost import cost_lines, pct, rate, refusal_check

#: Refused labelled films a site's gate aims at (the issue's bar for the official test).
TARGET_SHARE = 0.01
#: A hair above the shift a film needs, so that rounding never leaves it on the wrong side.
_EPS = 1e-6


def _release_cost(config: dict[str, Any], shift: float) -> dict[str, Any] | None:
    """The shipped limit's measured row at ``shift`` or the next looser one (never flattering)."""
    limit = config.get("site_limit") or {}
    rows = limit.get("refused_by_shift") or []
    shipped = next((row for row in rows if row.get("shift") == 0), None)
    looser = [row for row in rows if row.get("shift", -1) >= shift - 1e-9]
    n = (limit.get("images") or {}).get("adult_cxr")
    if not looser or shipped is None or not n:
        return None
    row = min(looser, key=lambda r: r["shift"])
    return {
        "at_shift": row["shift"],
        "adults": row.get("adult_cxr"),
        "adults_shipped": shipped.get("adult_cxr"),
        "adults_images": n,
    }


def propose_gate(
    refused: Sequence[tuple[Any, int]],
    films: int,
    config: dict[str, Any],
    site_threshold: float | None,
    target: float = TARGET_SHARE,
) -> dict[str, Any]:
    """``refused``: (result, label) for each labelled film the gate refused; ``films``: labelled films
    in all (assessed and refused). The results are judged at the proposal and put back as they were."""
    shipped = shipped_thresholds(config)
    cap = max_shift(config)
    k = len(refused)
    budget = math.floor(target * films)
    needs = sorted(x for x in (shift_needed(r.checks, shipped) for r, _lab in refused) if x is not None)
    reachable = [x for x in needs if x <= cap]
    out: dict[str, Any] = {
        "target_share": target,
        "max_shift": cap,
        "shipped_thresholds": shipped,
        "refused_before": rate(k, films),
        "learned_only": len(needs),
        "shift": 0.0,
    }
    if not shipped:
        return {**out, "why": "this model ships no learned gate"}
    if k <= budget:
        return {**out, "why": f"the gate refused {k} of {films} labelled films, within {target:.0%}"}
    if not reachable:
        why = (
            "every refusal is a tag, pixel or distance check's"
            if not needs
            else f"no refused film comes within the shipped limit (shift {cap:.2f})"
        )
        return {**out, "why": why}
    want = k - budget
    shift = min(cap, (reachable[want - 1] if len(reachable) >= want else reachable[-1]) + _EPS)
    gate = site_thresholds(config, shift)
    through = []
    for r, lab in refused:
        op, t, check = r.operating_point, r.threshold, refusal_check(r)
        if not r.with_threshold(op, t, gate).out_of_scope:
            p = r.base_probability
            through.append(
                {
                    "path": str(r.path),
                    "label": "pneumonia" if lab else "normal",
                    "probability": p,
                    "check": check,
                    "flagged_at_site_threshold": bool(
                        site_threshold is not None and p is not None and p >= site_threshold
                    ),
                }
            )
        r.with_threshold(op, t, None)  # as screened: the report's other figures are the shipped gate's
    return {
        **out,
        "shift": shift,
        "thresholds": gate,
        "refused_after": rate(k - len(through), films),
        "let_through": through,
        "release_cost": _release_cost(config, shift),
        "why": "the smallest loosening that brings refusals to the target"
        if len(through) >= want
        else f"as far as the shipped limit allows (shift {cap:.2f})",
    }


def sensitivity_with_site_gate(
    proposal: dict[str, Any], y: np.ndarray, p: np.ndarray, refused_pneumonia: int, threshold: float
) -> dict[str, Any]:
    """The proposed site threshold with the site's gate, counting every labelled pneumonia film:
    assessed ones by their probability, those the site gate lets through by theirs, the rest as missed."""
    y = np.asarray(y, dtype=int)
    through = [f for f in proposal.get("let_through", []) if f["label"] == "pneumonia"]
    flagged = int((np.asarray(p, dtype=float)[y == 1] >= threshold).sum())
    flagged += sum(f["probability"] is not None and f["probability"] >= threshold for f in through)
    return {"threshold": threshold, **rate(flagged, int(y.sum()) + refused_pneumonia)}


def proposal_lines(proposal: dict[str, Any]) -> list[str]:
    """Sentences for the CLI, the workstation and the HTML report."""
    if not proposal or not proposal.get("shift"):
        why = (proposal or {}).get("why")
        return (
            [f"No site gate proposed: {why}."] if why and proposal.get("refused_before", {}).get("k") else []
        )
    t, s = proposal["thresholds"], proposal["shipped_thresholds"]
    moved = ", ".join(f"{name} {s[name]:.3f} -> {t[name]:.3f}" for name in t)
    before, after = proposal["refused_before"], proposal["refused_after"]
    lines = [
        f"Proposed site gate: the learned gates loosened by {proposal['shift']:.2f} on the log-odds scale "
        f"({moved}; the shipped limit is {proposal['max_shift']:.2f}). Of your {before['n']} labelled films "
        f"it would refuse {after['k']} instead of {before['k']}; {proposal['why']}.",
    ]
    through = proposal.get("let_through", [])
    if through:
        pos = [f for f in through if f["label"] == "pneumonia"]
        lines.append(
            f"It lets through {len(through)} films: {len(pos)} pneumonia "
            f"({sum(f['flagged_at_site_threshold'] for f in pos)} flagged at the proposed site threshold), "
            f"{len(through) - len(pos)} normal "
            f"({sum(f['flagged_at_site_threshold'] for f in through if f['label'] == 'normal')} flagged)."
        )
    cost = proposal.get("release_cost")
    if cost:
        k, n, k0 = cost["adults"], cost["adults_images"], cost["adults_shipped"]
        lines.append(
            f"What it costs, measured at release: at this loosening the pipeline refused {k} of {n} adult "
            f"frontal films no gate was trained on (shipped gate: {k0}); adopting it means more adult "
            "films without tags may be assessed here."
        )
    return lines


def scope_lines(cost: dict[str, Any]) -> list[str]:
    """What the gate cost here, then the site gate proposed from it: the report's whole scope section."""
    lines = cost_lines(cost)
    if not lines or not cost.get("gate_on", True):
        return lines
    site = cost.get("site_gate") or {}
    lines += proposal_lines(site)
    if site.get("sensitivity"):
        s = site["sensitivity"]
        lines.append(
            f"With the site gate, the proposed site threshold ({s['threshold']:.3f}) flags {pct(s)}."
        )
    return lines
