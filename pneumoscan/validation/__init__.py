"""Site validation: measure the model on a clinic's own labelled films and propose a local threshold."""

from pneumoscan.validation.labels import label_from_folders, label_of_text, patient_of, read_labels
from pneumoscan.validation.run import ValidationReport, adopt, validate

__all__ = [
    "ValidationReport",
    "adopt",
    "label_from_folders",
    "label_of_text",
    "patient_of",
    "read_labels",
    "validate",
]
