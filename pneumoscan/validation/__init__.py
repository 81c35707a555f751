"""Site validation: measure the model on a clinic's own labelled films and propose a local threshold."""

from pneumoscan.validation.adoption import MIN_PER_CLASS, adopt, save_profile
from pneumoscan.validation.labels import label_from_folders, label_of_text, patient_of, read_labels
from pneumoscan.validation.run import ValidationReport, validate

__all__ = [
    "ValidationReport",
    "MIN_PER_CLASS",
    "adopt",
    "label_from_folders",
    "label_of_text",
    "patient_of",
    "read_labels",
    "save_profile",
    "validate",
]
