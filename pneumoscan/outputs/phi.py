"""``--no-phi`` for DICOM results: an allow-list, not a list of things to remove.

A list of attributes to blank always misses one (Other Patient IDs in a
sequence, the name typed into Study Description, a physician, the weight).
Instead, the reference our SC and SR are built from keeps only what a PACS
needs to file them into the source's study, and every Type 2 attribute the
builders copy is present and empty. Nothing else of the source reaches an
output, so nothing else can leak.
"""

from __future__ import annotations

from pydicom import Dataset

#: What the PACS files a result by (study, the source instance it refers to) and what it shows
#: in the study browser (modality); nothing that names, dates or describes the patient.
KEEP = (
    "SOPClassUID",
    "SOPInstanceUID",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "Modality",
    # the image's shape, which the SR's source-image reference checks (numbers, nothing about the patient)
    "Rows",
    "Columns",
    "SamplesPerPixel",
    "PhotometricInterpretation",
    "BitsAllocated",
    "BitsStored",
    "HighBit",
    "PixelRepresentation",
    "NumberOfFrames",
)

#: Type 2 attributes of the Patient and General Study modules that the builders copy: present, empty.
EMPTY = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "StudyDate",
    "StudyTime",
    "StudyID",
    "ReferringPhysicianName",
    "AccessionNumber",
)

#: Written into every result (UTF-8): sources in ISO 2022 (Korean, Japanese) or GB18030 decode to text
#: first, so the result never depends on a multi-byte escape scheme that the builders refuse.
UTF8 = "ISO_IR 192"


def allowed_reference(source: Dataset) -> Dataset:
    """The source reduced to ``KEEP``, with ``EMPTY`` present and empty."""
    ref = Dataset()
    for keyword in KEEP:
        if keyword in source:
            setattr(ref, keyword, source.data_element(keyword).value)
    for keyword in EMPTY:
        setattr(ref, keyword, "")
    ref.SpecificCharacterSet = UTF8
    return ref
