"""May we judge this DICOM at all? Its modality, checked before its pixels are decoded.

A CT volume or an ultrasound clip is not a chest radiograph; refusing it from
the header spares decoding hundreds of frames. The refusal is ``skipped`` (not
a film), as it always was; reading calls this through its header-check hook,
so reading never imports the scope gate.
"""

from __future__ import annotations

from typing import Any

from pneumoscan.errors import NotScreenable

RADIOGRAPH_MODALITIES = {"CR", "DX", "DR", "RG"}
LENIENT_MODALITIES = {"OT", ""}


def check_modality(header: dict[str, Any]) -> list[str]:
    """Notes for a lenient modality; ``NotScreenable`` for anything but a projection radiograph."""
    modality = str(header.get("Modality", "") or "").upper()
    if modality not in RADIOGRAPH_MODALITIES | LENIENT_MODALITIES:
        raise NotScreenable(
            f"Modality {modality} is not a projection radiograph; PneumoScan screens chest X-rays (CR/DX) only."
        )
    if modality in LENIENT_MODALITIES:
        return [f"Modality is {modality or 'missing'}; screened as a chest radiograph."]
    return []
