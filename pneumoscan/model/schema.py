"""Checks of the manifest's shape and values, and the digest that pins its decision fields.

A manifest with a NaN threshold once made every film NORMAL and -1 every film
PNEUMONIA, silently; wrong types crashed the GUI at start. Every field the
program reads is checked here and refused with a sentence (``ModelError``).
The fields that change a decision are hashed; the shipped ONNX file carries
that digest in its metadata, so editing them is refused like editing the model.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from typing import Any

from pneumoscan.errors import ModelError

DECISION_KEYS = (
    "input",
    "outputs",
    "class_names",
    "thresholds",
    "default_operating_point",
    "temperature",
    "bias",
)
DIGEST_KEY = "pneumoscan_decision_sha256"
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")


def _fail(where: str, why: str) -> None:
    raise ModelError(f"Model manifest {where}: {why}")


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def validate(data: Any, where: str) -> dict[str, Any]:
    """Return ``data`` if every field the program reads has the right type and range."""
    if not isinstance(data, dict):
        _fail(where, f"must be a JSON object, not {type(data).__name__}")
    for key in ("version", "model_file", "sha256"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            _fail(where, f"'{key}' must be a non-empty text")
    if "/" in data["model_file"] or "\\" in data["model_file"] or data["model_file"] in (".", ".."):
        _fail(where, "'model_file' must be a file name beside the manifest")
    if not _HEX64.match(data["sha256"].strip()):
        _fail(where, "'sha256' must be 64 hexadecimal digits")
    block = data.get("input")
    if not isinstance(block, dict):
        _fail(where, "'input' must be an object")
    for key in ("height", "width"):
        v = block.get(key)
        if not isinstance(v, int) or isinstance(v, bool) or not 16 <= v <= 4096:
            _fail(where, f"input '{key}' must be a whole number from 16 to 4096")
    for key, allowed in (("layout", ("NHWC",)), ("normalization", ("histeq",))):
        if block.get(key, allowed[0]) not in allowed:
            _fail(where, f"input '{key}' must be one of {', '.join(allowed)}")
    outputs = data.get("outputs")
    if not isinstance(outputs, dict) or not all(isinstance(v, str) for v in outputs.values()):
        _fail(where, "'outputs' must map output roles to tensor names")
    if not ("probability" in outputs or "logit" in outputs):
        _fail(where, "'outputs' must name a 'probability' or a 'logit' output")
    thresholds = data.get("thresholds")
    if not isinstance(thresholds, dict) or not thresholds:
        _fail(where, "'thresholds' must map operating points to numbers")
    for name, t in thresholds.items():
        if not _finite(t) or not 0.0 <= t <= 1.0:
            _fail(where, f"threshold {name!r} must be a finite number from 0 to 1 (got {t!r})")
    names = data.get("class_names")
    if not isinstance(names, list) or len(names) != 2 or not all(isinstance(n, str) for n in names):
        _fail(where, "'class_names' must be a list of two names")
    default = data.get("default_operating_point", next(iter(thresholds)))
    if default not in thresholds:
        _fail(where, f"default operating point {default!r} has no threshold")
    if not _finite(data.get("temperature", 1.0)) or data.get("temperature", 1.0) <= 0:
        _fail(where, "'temperature' must be a positive number")
    if not _finite(data.get("bias", 0.0)):
        _fail(where, "'bias' must be a finite number")
    subtype = data.get("subtype")
    if subtype is not None:
        t = subtype.get("threshold") if isinstance(subtype, dict) else None
        if not _finite(t) or not 0.0 <= t <= 1.0:
            _fail(where, "'subtype' must hold a 'threshold' from 0 to 1")
        if "viral_probability" not in outputs:
            _fail(where, "'subtype' needs a 'viral_probability' output")
    if "scope_gate" in data and not isinstance(data["scope_gate"], str):
        _fail(where, "'scope_gate' must name a file")
    return data


def decision_digest(data: dict[str, Any], gate: dict[str, Any] | None = None) -> str:
    """SHA-256 of the decision fields (and the scope gate's thresholds and files), canonical JSON."""
    fields = {k: data.get(k) for k in DECISION_KEYS}
    if data.get("subtype") is not None:  # older manifests have no subtype head: their digest is unchanged
        fields["subtype"] = {k: data["subtype"].get(k) for k in ("threshold", "temperature", "bias")}
    if gate:
        fields["scope_gate"] = {
            "classifier": {k: gate["classifier"].get(k) for k in ("sha256", "threshold")},
            "distance": {k: gate["distance"].get(k) for k in ("sha256", "threshold")},
        }
        if gate.get("classifier_hospitals"):  # absent in older gates: their digest is unchanged
            second = gate["classifier_hospitals"]
            fields["scope_gate"]["classifier_hospitals"] = {k: second.get(k) for k in ("sha256", "threshold")}
        if gate.get("site_limit"):  # how far a site may loosen the learned gates (scope.site_gate)
            fields["scope_gate"]["site_limit"] = {"max_shift": gate["site_limit"].get("max_shift")}
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
