"""The scope gate: refuse what the pneumonia model cannot judge, with a reason a person reads.

Cheap checks first (DICOM tags, then pixels), then a learned gate and a
feature-distance backstop on the model batch. See ``gate.ScopeGate``.
"""

from pneumoscan.scope.classes import CLASS_REASONS, GATE_CLASSES
from pneumoscan.scope.gate import ModelStage, ScopeGate, cheap_checks, gate_config_path
from pneumoscan.scope.result import NOT_RUN, NOTE, PASS, REFUSE, CheckResult, first_refusal
from pneumoscan.scope.tags import parse_age

__all__ = [
    "CLASS_REASONS",
    "GATE_CLASSES",
    "NOT_RUN",
    "NOTE",
    "PASS",
    "REFUSE",
    "CheckResult",
    "ModelStage",
    "ScopeGate",
    "cheap_checks",
    "first_refusal",
    "gate_config_path",
    "parse_age",
]
