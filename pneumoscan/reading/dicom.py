"""DICOM decoding: modality LUT, then VOI window, then MONOCHROME1 inversion.

The order follows the DICOM grayscale pipeline (PS3.4 N.2): stored values ->
modality values -> VOI -> presentation. MONOCHROME1 is inverted after the
window, so a CR plate shows bone white like every other film.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pydicom
from pydicom.errors import InvalidDicomError
from pydicom.pixels import apply_modality_lut, apply_voi, pixel_array
from pydicom.uid import UID, ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from pneumoscan.errors import LoadError, NotScreenable
from pneumoscan.reading.colour import colour_score
from pneumoscan.reading.image import HeaderCheck, LoadedImage
from pneumoscan.reading.own import MANUFACTURER, RESULT_SERIES
from pneumoscan.reading.raster import MAX_DECODED_BYTES, MAX_PIXELS
from pneumoscan.reading.tags import REPORT_TAGS, SCOPE_TAGS


def _text(ds: pydicom.Dataset, keyword: str) -> str:
    value = ds.get(keyword, "")
    if value is None:
        return ""
    if isinstance(value, pydicom.multival.MultiValue):
        return "\\".join(str(v) for v in value)
    return str(value).strip()


def read_dataset(path: Path) -> pydicom.Dataset:
    """Read with ``force`` and infer a missing transfer syntax from the encoding."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # Pixel Data is read when needed, so a multi-frame file never sits whole in memory
            ds = pydicom.dcmread(str(path), force=True, defer_size="1 MB")
    except (InvalidDicomError, EOFError, ValueError, KeyError, TypeError, OverflowError) as exc:
        raise LoadError(f"DICOM file is truncated or corrupt ({exc}).") from exc
    except OSError as exc:
        raise LoadError(f"DICOM file could not be read ({exc}).") from exc
    if len(ds) == 0:
        raise LoadError("DICOM file holds no data elements (corrupt or not DICOM).")
    meta = ds.file_meta if hasattr(ds, "file_meta") else pydicom.dataset.FileMetaDataset()
    if "TransferSyntaxUID" not in meta:
        implicit, little = ds.original_encoding
        if implicit:
            tsyntax = ImplicitVRLittleEndian
        else:
            tsyntax = ExplicitVRLittleEndian if little else ExplicitVRBigEndian
        meta.TransferSyntaxUID = tsyntax
        ds.file_meta = meta
    return ds


def transfer_syntax(ds: pydicom.Dataset) -> UID:
    return UID(ds.file_meta.TransferSyntaxUID)


def _series_number(ds: pydicom.Dataset) -> int:
    try:
        return int(ds.get("SeriesNumber", 0) or 0)
    except (TypeError, ValueError):
        return 0


def check_screenable(ds: pydicom.Dataset, header_check: HeaderCheck | None = None) -> list[str]:
    """Raise ``NotScreenable`` for objects that are not films; return notes.

    Reading refuses what holds no image (and our own results); whether an image
    may be judged (its modality) is ``header_check``'s business (the scope gate)."""
    sop = UID(str(ds.get("SOPClassUID", ""))) if ds.get("SOPClassUID") else None
    sop_name = sop.name if sop else "unknown SOP class"
    if "DirectoryRecordSequence" in ds:
        raise NotScreenable("DICOMDIR (a media directory index), not an image.")
    if _text(ds, "Manufacturer") == MANUFACTURER and _series_number(ds) in RESULT_SERIES:
        raise NotScreenable("A PneumoScan result (series 9901/9902), not a film: never screened.")
    if "PixelData" not in ds and "FloatPixelData" not in ds and "DoubleFloatPixelData" not in ds:
        if "Rows" in ds and "Columns" in ds:  # an image header without its pixels
            raise LoadError(
                f"DICOM file is truncated: it describes an image ({sop_name}) but its pixel data is missing."
            )
        raise NotScreenable(f"DICOM object without an image ({sop_name}).")
    if header_check is None:
        return []
    return header_check({"Modality": _text(ds, "Modality").upper(), "SOPClassUID": str(sop or "")})


def colour_of_array(arr: np.ndarray, bits: int) -> dict[str, float]:
    step = max(1, max(arr.shape[:2]) // 128)
    sub = arr[::step, ::step, :3].astype(np.float32) * np.float32(255.0 / max(2**bits - 1, 1))
    return colour_score(np.clip(sub, 0, 255).astype(np.uint8))


JPEG_8BIT = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51"}


def _jpeg_draft(ds: pydicom.Dataset, frames: int, min_size: int) -> np.ndarray | None:
    """8-bit grayscale JPEG frames through Pillow's draft mode (reduced DCT scale).

    Same shortcut as for JPEG files: libjpeg decodes at 1/2, 1/4 or 1/8 scale
    while the result stays at least ``min_size``, and Pillow releases the GIL,
    so two decode threads really run in parallel.
    """
    if (
        str(transfer_syntax(ds)) not in JPEG_8BIT
        or int(ds.get("SamplesPerPixel", 1) or 1) != 1
        or int(ds.get("BitsAllocated", 8) or 8) != 8
    ):
        return None
    import io

    from PIL import Image
    from pydicom.encaps import get_frame

    try:
        data = get_frame(ds.PixelData, 0, number_of_frames=frames)
        with Image.open(io.BytesIO(data)) as img:
            img.draft("L", (min_size, min_size))
            img.load()
            if img.mode != "L":
                return None
            return np.asarray(img, dtype=np.uint8).copy()
    except Exception:  # noqa: BLE001 - any trouble: fall back to pydicom's decoders
        return None


def _first_frame(ds: pydicom.Dataset, path: Path | None, frames: int) -> np.ndarray:
    """Frame 1 only: from the file by path (pydicom reads just that frame's bytes) when it can."""
    if frames > 1 and path is not None and "TransferSyntaxUID" in getattr(ds, "file_meta", {}):
        try:
            return pixel_array(str(path), index=0)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException:  # noqa: BLE001 - fall back to the dataset already read
            pass
    return pixel_array(ds, index=0 if frames > 1 else None)


def _decode_first_frame(
    ds: pydicom.Dataset, min_size: int | None = None, path: Path | None = None
) -> tuple[np.ndarray, list[str]]:
    rows, cols = int(ds.get("Rows", 0) or 0), int(ds.get("Columns", 0) or 0)
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    bits = int(ds.get("BitsAllocated", 8) or 8)
    if rows * cols > MAX_PIXELS or rows * cols * samples * max(bits, 8) // 8 > MAX_DECODED_BYTES:
        raise LoadError(
            f"Image is {cols}x{rows} pixels ({samples} sample(s) of {bits} bits), too large to decode safely."
        )
    if rows == 0 or cols == 0:
        raise LoadError("DICOM image has no rows or columns (corrupt header).")
    notes = [f"Multi-frame image ({frames} frames): the first frame was screened."] if frames > 1 else []
    tsyntax = transfer_syntax(ds)
    fast = _jpeg_draft(ds, frames, min_size) if min_size else None
    if fast is not None:
        return fast, notes
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr = _first_frame(ds, path, frames)
    except (NotImplementedError, RuntimeError) as exc:
        msg = str(exc)
        if "exceptions were raised by all" in msg:  # a decoder exists and rejected the data
            raise LoadError(
                f"Transfer syntax {tsyntax.name} ({tsyntax}): the pixel data could not be decoded "
                f"(corrupt, or a variant the decoders here do not accept): {decoder_detail(msg)}"
            ) from exc
        if "plugin" in msg.lower() or "decod" in msg.lower() or "support" in msg.lower():
            raise LoadError(
                f"Transfer syntax {tsyntax.name} ({tsyntax}) cannot be decoded here: {decoder_detail(msg)}"
            ) from exc
        raise LoadError(f"DICOM pixel data could not be decoded ({decoder_detail(msg)}).") from exc
    except (ValueError, EOFError, KeyError, AttributeError, TypeError, IndexError, OSError) as exc:
        raise LoadError(
            f"DICOM pixel data is truncated or corrupt ({decoder_detail(str(exc)) or type(exc).__name__})."
        ) from exc
    return arr, notes


def check_rescale(ds: pydicom.Dataset) -> None:
    """A NaN, infinite or zero Rescale Slope (or a non-finite intercept) makes every value meaningless."""
    for keyword in ("RescaleSlope", "RescaleIntercept"):
        if keyword not in ds or ds[keyword].value in (None, ""):
            continue
        try:
            value = _first(ds[keyword].value)
        except (TypeError, ValueError, IndexError):
            value = float("nan")
        if not np.isfinite(value) or (keyword == "RescaleSlope" and value == 0):
            raise LoadError(
                f"DICOM {keyword} is {ds[keyword].value!r}: the pixel values cannot be interpreted (corrupt header)."
            )


def window_values(ds: pydicom.Dataset) -> tuple[float, float] | None:
    """The file's first window, if it is usable (finite, positive width)."""
    center, width = ds.get("WindowCenter"), ds.get("WindowWidth")
    if center is None or width is None:
        return None
    try:
        c, w = _first(center), _first(width)
    except (TypeError, ValueError, IndexError):
        return None
    return (c, w) if np.isfinite(c) and np.isfinite(w) and w > 0 else None


def decoder_detail(message: str) -> str:
    """The informative part of a decoder's (often multi-line) message, on one line.

    pydicom lists each plugin's failure after a generic first line ending in a
    colon; the first line alone would leave the reason empty.
    """
    lines = [ln.strip(" -:") for ln in message.splitlines() if ln.strip(" -:")]
    specific = (
        [ln for ln in lines[1:] if ln]
        if len(lines) > 1 and message.splitlines()[0].rstrip().endswith(":")
        else lines
    )
    return "; ".join(specific)[:240] if specific else ""


def linear_window(values: np.ndarray, center: float, width: float, function: str) -> np.ndarray:
    """PS3.3 C.11.2.1.2 window to [0, 1] (LINEAR, LINEAR_EXACT, SIGMOID)."""
    if function == "SIGMOID":
        return 1.0 / (1.0 + np.exp(-4.0 * (values - center) / max(width, 1e-6)))
    if function == "LINEAR_EXACT":
        out = (values - center) / max(width, 1e-6) + 0.5
    else:
        width = max(width, 1.0)
        out = (values - (center - 0.5)) / (width - 1.0 if width > 1 else 1.0) + 0.5
    return np.clip(out, 0.0, 1.0)


def _first(value) -> float:
    if isinstance(value, pydicom.multival.MultiValue) or isinstance(value, (list, tuple)):
        return float(value[0])
    return float(value)


def padding_mask(ds: pydicom.Dataset, stored: np.ndarray) -> np.ndarray | None:
    """Pixels equal to Pixel Padding Value (or inside its range) are background."""
    if "PixelPaddingValue" not in ds:
        return None
    lo = int(_first(ds.PixelPaddingValue))
    hi = int(_first(ds.get("PixelPaddingRangeLimit", lo)))
    lo, hi = min(lo, hi), max(lo, hi)
    mask = (stored >= lo) & (stored <= hi)
    return mask if mask.any() and not mask.all() else None


def window(
    ds: pydicom.Dataset, values: np.ndarray, mask: np.ndarray | None
) -> tuple[np.ndarray, dict, list[str]]:
    """Apply the file's VOI (window or LUT) or a robust percentile window; -> [0, 1]."""
    notes: list[str] = []
    if "VOILUTSequence" in ds and len(ds.VOILUTSequence):
        item = ds.VOILUTSequence[0]
        lut_input = values.astype(np.int64) if np.array_equal(values, np.round(values)) else values
        out = apply_voi(lut_input, ds, index=0).astype(np.float32)
        bits = int(item.LUTDescriptor[2]) if "LUTDescriptor" in item else 16
        top = max(float(out.max()), 1.0) if bits <= 0 else float(2**bits - 1)
        return np.clip(out / top, 0, 1), {"voi": "VOI LUT Sequence"}, notes
    center = ds.get("WindowCenter")
    usable = window_values(ds)
    if usable is None and center is not None:
        notes.append(
            "The file's window is invalid (not a finite, positive width); a percentile window was used."
        )
    if usable is not None:
        c, w = usable
        if isinstance(center, pydicom.multival.MultiValue) and len(center) > 1:
            notes.append(f"File has {len(center)} windows; the first was used.")
        function = _text(ds, "VOILUTFunction").upper() or "LINEAR"
        return linear_window(values, c, w, function), {"center": c, "width": w, "function": function}, notes
    sample = values[~mask] if mask is not None else values
    lo, hi = np.percentile(sample, [0.5, 99.5]) if sample.size else (0.0, 1.0)
    if hi <= lo:
        hi = lo + 1.0
    notes.append("No window in the file: a 0.5-99.5 percentile window was used.")
    c, w = float((lo + hi) / 2.0), float(hi - lo)
    return (
        linear_window(values, c, w, "LINEAR_EXACT"),
        {"center": c, "width": w, "function": "LINEAR_EXACT"},
        notes,
    )


def to_display(ds: pydicom.Dataset, arr: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, dict, list[str]]:
    """Stored pixels -> uint8 display pixels (0 black), modality values, window, notes."""
    photometric = _text(ds, "PhotometricInterpretation").upper()
    if arr.ndim == 3 or photometric not in ("MONOCHROME1", "MONOCHROME2"):
        if photometric == "PALETTE COLOR":
            from pydicom.pixels import apply_color_lut

            arr = apply_color_lut(arr, ds)
        if arr.ndim == 2:
            arr = np.repeat(arr[..., None], 3, axis=2)
        rgb = arr[..., :3].astype(np.float32)
        top = float(2 ** int(ds.get("BitsStored", 8) or 8) - 1)
        gray = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        out = np.clip(gray / max(top, 1.0), 0, 1)
        note = [f"Colour image ({photometric}) converted to grayscale."]
        return (out * 255 + 0.5).astype(np.uint8), None, {}, note
    check_rescale(ds)
    modality = apply_modality_lut(arr, ds).astype(np.float32, copy=False)
    mask = padding_mask(ds, arr)
    unit, win, notes = window(ds, modality, mask)
    if photometric == "MONOCHROME1":
        unit = 1.0 - unit
        notes.append("MONOCHROME1: inverted after windowing.")
    if mask is not None:
        unit = np.where(mask, 0.0, unit)
    return (unit * 255.0 + 0.5).astype(np.uint8), modality.astype(np.float32), win, notes


def load_dicom(
    path: Path,
    has_preamble: bool = True,
    header_check: HeaderCheck | None = None,
    min_size: int | None = None,
) -> LoadedImage:
    ds = read_dataset(path)
    notes = check_screenable(ds, header_check)
    if not has_preamble:
        notes.append("No DICOM preamble/File Meta: read with inferred transfer syntax.")
    arr, decode_notes = _decode_first_frame(ds, min_size, path if has_preamble else None)
    pixels, modality, win, display_notes = to_display(ds, arr)
    tsyntax = transfer_syntax(ds)
    meta = {
        "source_kind": "DICOM",
        "width": int(ds.Columns),
        "height": int(ds.Rows),
        "bits_stored": int(ds.get("BitsStored", 0) or 0),
        "photometric": _text(ds, "PhotometricInterpretation"),
        "transfer_syntax": f"{tsyntax.name} ({tsyntax})",
        "window": win,
    }
    for tag in REPORT_TAGS + SCOPE_TAGS:
        meta[tag] = _text(ds, tag)
    if arr.ndim == 3 and arr.shape[-1] >= 3:
        meta["colour"] = colour_of_array(arr, int(ds.get("BitsStored", 8) or 8))
    return LoadedImage(
        pixels=pixels, meta=meta, notes=notes + decode_notes + display_notes, modality=modality
    )
