"""The validation report as one self-contained HTML file (figures inline), plus its JSON twin."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

from pneumoscan.outputs.atomic import atomic_write_text
from pneumoscan.reading.own import HTML_MARK
from pneumoscan.validation import plots
from pneumoscan.validation.html_page import PAGE
from pneumoscan.validation.points import Rate
from pneumoscan.validation.run import ValidationReport


def _pct(rate: Rate) -> str:
    if not rate.known:  # no films in the denominator
        return "n/a"
    lo, hi = rate.ci95
    return f"{100 * rate.value:.1f}% ({100 * lo:.1f}-{100 * hi:.1f}) <small>{rate.k}/{rate.n}</small>"


def points_table(report: ValidationReport) -> str:
    head = (
        "<tr><th>operating point</th><th>threshold</th><th>sensitivity (95% CI)</th><th>specificity</th>"
        "<th>PPV</th><th>NPV</th><th>TP / FN / TN / FP</th></tr>"
    )
    rows = []
    for op in report.operating_points:
        c = op.confusion
        rows.append(
            f"<tr><td>{html.escape(op.name)}<br><small>{html.escape(op.rule)}</small></td>"
            f"<td>{op.threshold:.4f}</td><td>{_pct(op.sensitivity)}</td><td>{_pct(op.specificity)}</td>"
            f"<td>{_pct(op.ppv)}</td><td>{_pct(op.npv)}</td>"
            f"<td>{c['tp']} / {c['fn']} / {c['tn']} / {c['fp']}</td></tr>"
        )
    return f"<table>{head}{''.join(rows)}</table>"


def guarantee_text(report: ValidationReport) -> str:
    g = report.proposals["guaranteed"]
    need, n, target = g["positives_needed_with_no_miss"], g["positives"], report.target_sensitivity
    if g["threshold"] is None:
        return (
            f"A threshold that guarantees sensitivity &ge; {target:.2f} with 95% confidence needs at least "
            f"{need} pneumonia films (and then no miss below it); you have {n}. Label more pneumonia films "
            "before relying on such a guarantee; the bootstrap threshold above is an estimate, not a guarantee."
        )
    return (
        f"With {n} pneumonia films, the threshold at the {g['misses_allowed_below'] + 1}th lowest pneumonia score "
        f"({g['threshold']:.4f}) keeps sensitivity &ge; {target:.2f} with 95% confidence (Neyman-Pearson order "
        f"statistic; {need} films with no miss is the least that allows any such guarantee)."
    )


def _adapted_section(report: ValidationReport) -> str:
    if report.adapted is None:
        return ""
    from pneumoscan.validation.adaptation import summary_lines

    items = "".join(f"<li>{html.escape(line)}</li>" for line in summary_lines(report.adapted))
    return f"<h2>Locally adapted head</h2><ul>{items}</ul>"


def _scope_section(report: ValidationReport) -> str:
    from pneumoscan.validation.gate_proposal import scope_lines
    from pneumoscan.validation.scope_cost import check_words

    lines = scope_lines(report.scope)
    if not lines:
        return ""
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    films = report.scope.get("films", [])
    listed = ""
    if films:
        rows = "".join(
            f"<li>{html.escape(f['label'])}: {html.escape(f['path'])} ({html.escape(check_words(f['check']))})</li>"
            for f in sorted(films, key=lambda f: (f["label"] != "pneumonia", f["path"]))
        )
        listed = f"<details><summary>refused labelled films: {len(films)}</summary><ul>{rows}</ul></details>"
    through = (report.scope.get("site_gate") or {}).get("let_through") or []
    if through:
        rows = "".join(
            f"<li>{html.escape(f['label'])}: {html.escape(f['path'])} (probability {f['probability']:.3f}"
            f"{', flagged' if f['flagged_at_site_threshold'] else ''})</li>"
            for f in sorted(through, key=lambda f: (f["label"] != "pneumonia", f["path"]))
        )
        listed += f"<details><summary>let through by the site gate: {len(through)}</summary><ul>{rows}</ul></details>"
    return f"<h2>What the scope gate cost here</h2><ul>{items}</ul>{listed}"


def render(report: ValidationReport) -> str:
    figures = ""
    if plots.available():
        imgs = plots.draw(report.scores, report.operating_points)
        figures = "".join(
            f"<img alt='{k}' src='data:image/png;base64,{base64.b64encode(v).decode()}'>"
            for k, v in imgs.items()
        )
    else:
        figures = (
            "<p><i>No figures: this installation has no plotting library (the installable folder leaves "
            "matplotlib out to stay small). Every number is above; a Python install with "
            "<code>pip install 'pneumoscan[report]'</code> draws the ROC, histograms and calibration.</i></p>"
        )
    c = report.counts
    site = report.proposals["site_target"]
    lists = "".join(
        f"<details><summary>{html.escape(k.replace('_', ' '))}: {len(v)}</summary><ul>"
        + "".join(f"<li>{html.escape(x)}</li>" for x in v[:2000])
        + "</ul></details>"
        for k, v in report.not_used.items()
    )
    text = {  # plain text: every value is escaped when it goes into the page
        "summary": report.summary,
        "model_version": report.model_version,
        "model_sha256": report.model_sha256[:16],
        "created": report.created,
        "films": c["films"],
        "patients": c["patients"],
        "pneumonia": c["pneumonia"],
        "patients_pneumonia": c["patients_pneumonia"],
        "normal": c["normal"],
        "patients_normal": c["patients_normal"],
        "files": report.files,
        "not_used": ", ".join(f"{k.replace('_', ' ')} {len(v)}" for k, v in report.not_used.items()),
        "auc": f"{report.auc['value']:.3f}",
        "auc_low": f"{report.auc['ci95'][0]:.3f}",
        "auc_high": f"{report.auc['ci95'][1]:.3f}",
        "auc_method": report.auc["method"],
        "target": f"{report.target_sensitivity:.2f}",
        "site_threshold": f"{site['threshold']:.4f}",
        "site_low": f"{site['ci95'][0]:.4f}",
        "site_high": f"{site['ci95'][1]:.4f}",
        "site_bound": f"{100 * site['sensitivity_lower_bound']:.1f}",
        "site_rule": site["rule"],
        "balanced": f"{report.proposals['balanced']['threshold']:.4f}",
        "claims": "; ".join(report.claims),
    }
    fragments = {  # built above from escaped pieces: inserted as they are
        "mark": HTML_MARK,
        "points_table": points_table(report),
        "guarantee": guarantee_text(report),
        "figures": figures,
        "lists": lists,
        "adapted": _adapted_section(report),
        "scope": _scope_section(report),
    }
    values = {k: html.escape(str(v)) for k, v in text.items()} | fragments
    return PAGE.substitute(values)


def write(report: ValidationReport, out_html: str | Path) -> tuple[Path, Path]:
    out_html = Path(out_html)
    atomic_write_text(out_html, render(report))
    out_json = out_html.with_suffix(".json")
    atomic_write_text(out_json, json.dumps(report.to_json(), indent=2) + "\n")
    return out_html, out_json
