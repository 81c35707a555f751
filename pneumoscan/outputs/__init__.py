"""Everything PneumoScan writes: the output guard, our own outputs by content, the atomic write.

Callers check every output path with ``check_targets`` before work starts and
write through ``atomic_write_bytes``/``atomic_write_text``.
"""

from pneumoscan.outputs.atomic import atomic_write_bytes, atomic_write_text
from pneumoscan.outputs.guard import (
    OutputError,
    Target,
    check_output,
    check_targets,
    fallback_path,
    folder_target,
    html_target,
    json_target,
    pdf_target,
    report_target,
    resolved,
)
from pneumoscan.reading.own import is_own_dicom, is_own_output, is_own_report

__all__ = [
    "OutputError",
    "Target",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_output",
    "check_targets",
    "fallback_path",
    "folder_target",
    "html_target",
    "is_own_dicom",
    "is_own_output",
    "is_own_report",
    "json_target",
    "pdf_target",
    "report_target",
    "resolved",
]
