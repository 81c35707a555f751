"""The one-line verdict every output prints (SC banner, PDF, SR text).

Same words everywhere, so a radiologist who reads the banner in the PACS and
a ward nurse who reads the PDF see the same statement.
"""

from __future__ import annotations

from pneumoscan.results import ScreenResult
from pneumoscan.scope.site_gate import SITE_NOTE

DISCLAIMER = "not a diagnosis"


def operating_label(result: ScreenResult) -> str:
    """``high sensitivity``, ``balanced``, ``site profile X`` or ``custom threshold 0.40``."""
    op = result.operating_point or ""
    if op.startswith("site:"):
        return f"site profile {op[5:]}"
    if op == "custom" and result.threshold is not None:
        return f"custom threshold {result.threshold:.2f}"
    return op.replace("_", " ")


def verdict(result: ScreenResult) -> str:
    """``PNEUMONIA suspected, p=0.97, high sensitivity`` and the like (no patient data)."""
    if result.out_of_scope:
        return f"NOT ASSESSED: {result.reason.removeprefix('Not assessed: ')}"
    if not result.ok or result.probability is None:
        return f"no result ({result.reason or result.status})"
    head = "PNEUMONIA suspected" if result.flagged else "no pneumonia flagged"
    text = f"{head}, p={result.probability:.2f}, {operating_label(result)}"
    if any(n.startswith(SITE_NOTE) for n in result.notes):  # the shipped gate would not have assessed it
        text += ", assessed under this site's scope gate"
    subtype = result.subtype_words
    return f"{text}; {subtype}" if subtype else text


def banner(result: ScreenResult) -> str:
    return f"PneumoScan: {verdict(result)}; {DISCLAIMER}"


def site_status(operating_point: str) -> str:
    """``validated:NAME`` when a site profile (validated on this site's films) set the threshold,
    else ``not validated``: the figures behind the threshold are then the training hospital's."""
    return f"validated:{operating_point[5:]}" if operating_point.startswith("site:") else "not validated"


def site_words(operating_point: str) -> str:
    status = site_status(operating_point)
    if status == "not validated":
        return "operating point not validated at this site"
    return f"operating point validated at this site (profile {status[10:]})"
