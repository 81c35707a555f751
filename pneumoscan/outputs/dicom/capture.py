"""Secondary Capture: the film, its heatmap and a plain banner, in the source's study.

Every PACS viewer displays a Secondary Capture; nothing else we could send is
shown everywhere. The banner holds the result only, never patient data.
"""

from __future__ import annotations

import numpy as np
from pydicom import Dataset

from pneumoscan.outputs.dicom.identity import SC_SERIES_DESCRIPTION, SC_SERIES_NUMBER, output_uids
from pneumoscan.outputs.dicom.wording import banner
from pneumoscan.reading.display import overlay, shrink
from pneumoscan.results import ScreenResult

#: Long side of the captured film: enough to read the map, small enough for any PACS.
LONGEST = 1024
_BANNER_BG = {"flagged": (150, 20, 20), "normal": (20, 70, 20), "other": (60, 60, 60)}


def draw_banner(rgb: np.ndarray, text: str, kind: str) -> np.ndarray:
    """Film with a band of text on top; the band wraps long reasons onto a second line."""
    from PIL import Image, ImageDraw, ImageFont

    h, w, _ = rgb.shape
    size = max(12, w // 45)
    font = ImageFont.load_default(size=size)
    draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    words, lines, line = text.split(), [], ""
    for word in words:
        trial = f"{line} {word}".strip()
        if draw.textlength(trial, font=font) > w - 2 * size and line:
            lines.append(line)
            line = word
        else:
            line = trial
    lines.append(line)
    band = int(size * 1.4 * len(lines) + size * 0.8)
    canvas = Image.new("RGB", (w, h + band), _BANNER_BG[kind])
    canvas.paste(Image.fromarray(rgb), (0, band))
    pen = ImageDraw.Draw(canvas)
    for i, text_line in enumerate(lines):
        pen.text((size, int(size * 0.4 + i * size * 1.4)), text_line, fill=(255, 255, 255), font=font)
    return np.asarray(canvas)


def capture_pixels(pixels: np.ndarray, result: ScreenResult) -> np.ndarray:
    """RGB pixels of the capture: film (heatmap only for flagged films) plus banner."""
    gray = shrink(pixels, LONGEST)
    cam = result.cam if result.flagged else None
    kind = "flagged" if result.flagged else "normal" if result.ok else "other"
    return draw_banner(overlay(gray, cam), banner(result), kind)


def build_secondary_capture(
    source: Dataset, pixels: np.ndarray, result: ScreenResult, sha256: str
) -> Dataset:
    """highdicom SC image in the source's study (patient and study modules copied from it)."""
    from highdicom import sc

    rgb = capture_pixels(pixels, result)
    series_uid, sop_uid = output_uids(source.StudyInstanceUID, source.SOPInstanceUID, sha256, "sc")
    image = sc.SCImage.from_ref_dataset(
        ref_dataset=source,
        pixel_array=np.ascontiguousarray(rgb),
        photometric_interpretation="RGB",
        bits_allocated=8,
        coordinate_system="PATIENT",
        series_instance_uid=series_uid,
        series_number=SC_SERIES_NUMBER,
        sop_instance_uid=sop_uid,
        instance_number=int(getattr(source, "InstanceNumber", 1) or 1),
        manufacturer="PneumoScan",
        patient_orientation=("L", "F"),
        series_description=SC_SERIES_DESCRIPTION,
    )
    image.Laterality = ""  # Type 2C: the chest is unpaired; dciodvfy wants it present (empty) here
    image.BurnedInAnnotation = "YES"  # the banner is text in the pixels (the result, no patient data)
    image.ImageComments = banner(result)
    image.DerivationDescription = "Film with PneumoScan class activation map and result banner"
    image.SourceImageSequence = [_reference(source)]
    return image


def _reference(source: Dataset) -> Dataset:
    ref = Dataset()
    ref.ReferencedSOPClassUID = source.SOPClassUID
    ref.ReferencedSOPInstanceUID = source.SOPInstanceUID
    return ref
