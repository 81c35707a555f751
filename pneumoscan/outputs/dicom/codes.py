"""Coded concepts of the Structured Report.

Standard codes (SNOMED CT, DCM, UCUM) where the standard has one; the rest
in a private scheme whose designator starts with ``99`` as PS3.16 asks.
"""

from __future__ import annotations

from pydicom.sr.coding import Code

SCHEME = "99PNEUMOSCAN"
CHEST_XRAY = Code("399208008", "SCT", "Plain chest X-ray")
PNEUMONIA = Code("233604007", "SCT", "Pneumonia")
LUNG = Code("39607008", "SCT", "Lung")
NORMAL = Code("17621005", "SCT", "Normal")
UNITLESS = Code("1", "UCUM", "no units")
COMMENT = Code("121106", "DCM", "Comment")
DEVICE = Code("121007", "DCM", "Device")

PROBABILITY = Code("PNS001", SCHEME, "Pneumonia probability (calibrated)")
THRESHOLD = Code("PNS002", SCHEME, "Decision threshold")
RESULT = Code("PNS003", SCHEME, "Screening result")
NOT_ASSESSED = Code("PNS004", SCHEME, "Not assessed (outside the intended use)")
SUSPECTED = Code("PNS005", SCHEME, "Pneumonia suspected")
NOT_FLAGGED = Code("PNS006", SCHEME, "Pneumonia not flagged")
VIRAL_PROBABILITY = Code("PNS007", SCHEME, "Viral (vs bacterial) pneumonia probability")
