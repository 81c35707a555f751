"""UIDs of the outputs: derived from the source and the model, so a rerun replaces, never duplicates.

A PACS that receives the same SOP Instance UID again keeps one copy; random
UIDs would pile up a new result series every time a folder is screened.
"""

from __future__ import annotations

from pydicom.uid import generate_uid

SC_SERIES_NUMBER = 9901
SR_SERIES_NUMBER = 9902
SC_SERIES_DESCRIPTION = "PneumoScan AI result (image, not a diagnosis)"
SR_SERIES_DESCRIPTION = "PneumoScan AI result (structured report)"


def output_uids(study_uid: str, sop_uid: str, model_sha256: str, kind: str) -> tuple[str, str]:
    """(series UID, instance UID) for ``kind`` ("sc" or "sr") of one source instance."""
    series = generate_uid(entropy_srcs=["pneumoscan", kind, study_uid, model_sha256])
    instance = generate_uid(entropy_srcs=["pneumoscan", kind, sop_uid, model_sha256])
    return series, instance
