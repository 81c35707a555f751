"""The learned gate's classes and input pooling, shared by training and serving."""

from __future__ import annotations

#: Output order of the gate network; index 0 is the only in-scope class.
GATE_CLASSES = (
    "paediatric_chest",
    "adult_chest",
    "other_radiograph",
    "not_radiograph",
    "inverted_or_rotated",
)

#: What a person reads when the gate's top class is not the in-scope one.
CLASS_REASONS = {
    "adult_chest": "looks like an adult chest film: outside the validated population (children 1-5)",
    "other_radiograph": "looks like a radiograph of another body part",
    "not_radiograph": "not a radiograph (photo, drawing, document or another kind of scan)",
    "inverted_or_rotated": "looks inverted or rotated: check the orientation and Photometric Interpretation",
}
