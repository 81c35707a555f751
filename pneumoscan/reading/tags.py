"""The DICOM tags PneumoScan reads, in one table: the report's column for each, and the scope gate's."""

from __future__ import annotations

#: Report column -> DICOM keyword, in report order. Read from every DICOM into ``meta``.
REPORT_TAG_COLUMNS = {
    "patient_id": "PatientID",
    "patient_name": "PatientName",
    "patient_age": "PatientAge",
    "patient_sex": "PatientSex",
    "study_date": "StudyDate",
    "accession_number": "AccessionNumber",
    "study_instance_uid": "StudyInstanceUID",
    "sop_instance_uid": "SOPInstanceUID",
    "modality": "Modality",
    "body_part": "BodyPartExamined",
    "view_position": "ViewPosition",
}
REPORT_TAGS = tuple(REPORT_TAG_COLUMNS.values())
#: Tags the scope gate reads (body part, view, age) besides those; kept in the metadata, not in the report.
SCOPE_TAGS = ("StudyDescription", "SeriesDescription", "ProtocolName", "PatientBirthDate")
