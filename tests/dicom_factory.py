"""Build DICOM files from pixel arrays with pydicom, for tests and benchmarks."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pydicom
from PIL import Image
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import (
    UID,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    RLELossless,
    generate_uid,
)

DX_SOP = UID("1.2.840.10008.5.1.4.1.1.1.1")  # Digital X-Ray Image Storage - For Presentation


def make_dataset(
    pixels: np.ndarray,
    *,
    photometric: str = "MONOCHROME2",
    bits_stored: int | None = None,
    modality: str = "DX",
    slope: float | None = None,
    intercept: float | None = None,
    window: tuple | None = None,
    padding_value: int | None = None,
    tags: dict | None = None,
) -> FileDataset:
    """A minimal valid DX dataset holding ``pixels`` (uint8 or uint16, 2-D or RGB)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = DX_SOP
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset("", {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = DX_SOP
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = modality
    ds.PatientID = "TEST001"
    ds.PatientName = "Test^Patient"
    ds.PatientAge = "003Y"
    ds.PatientSex = "F"
    ds.StudyDate = "20260101"
    ds.AccessionNumber = "ACC42"
    ds.BodyPartExamined = "CHEST"
    ds.ViewPosition = "AP"
    ds.Rows, ds.Columns = pixels.shape[:2]
    if pixels.ndim == 3:
        ds.SamplesPerPixel = 3
        ds.PlanarConfiguration = 0
        ds.PhotometricInterpretation = "RGB"
    else:
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = photometric
    allocated = 8 if pixels.dtype == np.uint8 else 16
    ds.BitsAllocated = allocated
    ds.BitsStored = bits_stored or allocated
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 0
    if slope is not None:
        ds.RescaleSlope = slope
        ds.RescaleIntercept = intercept or 0
    if window is not None:
        ds.WindowCenter, ds.WindowWidth = window
    if padding_value is not None:
        ds.PixelPaddingValue = padding_value
    for k, v in (tags or {}).items():
        setattr(ds, k, v)
    ds.PixelData = np.ascontiguousarray(pixels).tobytes()
    return ds


def jpeg_bytes(pixels: np.ndarray, quality: int = 92) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def save(ds: FileDataset, path: Path, syntax: UID = ExplicitVRLittleEndian, no_meta: bool = False) -> Path:
    """Write ``ds`` in ``syntax``; JPEG baseline encapsulates a Pillow JPEG (8-bit only)."""
    ds = ds.copy()
    original = ds.pixel_array
    if syntax == JPEGBaseline8Bit:
        arr = original
        ds.PixelData = encapsulate([jpeg_bytes(arr)])
        ds["PixelData"].VR = "OB"
        if arr.ndim == 3:
            ds.PhotometricInterpretation = "YBR_FULL_422"
        ds.file_meta.TransferSyntaxUID = syntax
        ds.LossyImageCompression = "01"
    elif syntax in (RLELossless, JPEG2000Lossless):
        ds.compress(syntax)
    else:
        ds.file_meta.TransferSyntaxUID = syntax
    if syntax == ExplicitVRBigEndian:
        # pydicom writes Pixel Data bytes as given: swap 16-bit words ourselves
        if ds.BitsAllocated == 16:
            ds.PixelData = original.astype(">u2").tobytes()
            ds["PixelData"].VR = "OW"
        else:
            ds["PixelData"].VR = "OB"
        if no_meta:
            ds.file_meta = FileMetaDataset()
            ds.preamble = None
        pydicom.dcmwrite(path, ds, implicit_vr=False, little_endian=False)
        return path
    if no_meta:
        ds.file_meta = FileMetaDataset()
        ds.preamble = None
        implicit = syntax == ImplicitVRLittleEndian
        little = syntax != ExplicitVRBigEndian
        ds.save_as(path, implicit_vr=implicit, little_endian=little, enforce_file_format=False)
        return path
    ds.save_as(path, enforce_file_format=True)
    return path


SYNTAXES = {
    "implicit": ImplicitVRLittleEndian,
    "explicit": ExplicitVRLittleEndian,
    "bigendian": ExplicitVRBigEndian,
    "deflated": DeflatedExplicitVRLittleEndian,
    "rle": RLELossless,
    "jpeg2000": JPEG2000Lossless,
    "jpeg": JPEGBaseline8Bit,
}


def gradient(height: int = 64, width: int = 48, dtype=np.uint8) -> np.ndarray:
    """A test image with structure in both axes (not symmetric, so flips show)."""
    top = 255 if dtype == np.uint8 else 4095
    y, x = np.mgrid[0:height, 0:width]
    img = (x * 3 + y * 2) % (top + 1)
    img[: height // 4, : width // 4] = top
    return img.astype(dtype)


def write_dicom(
    path: Path, pixels: np.ndarray, syntax: str = "explicit", no_meta: bool = False, **kw
) -> Path:
    return save(make_dataset(pixels, **kw), path, SYNTAXES[syntax], no_meta=no_meta)


__all__ = ["make_dataset", "save", "write_dicom", "gradient", "SYNTAXES", "jpeg_bytes", "pydicom"]


def write_rle_overrun(path: Path) -> Path:
    """16x16 16-bit RLE whose first segment decodes 266 bytes for 256 pixels (pylibjpeg-rle panics)."""
    import struct

    seg1 = bytes([0x81, 0x12, 0x8B, 0x34, 0xED, 0x56])  # replicate runs of 128, 118 and 20 bytes
    seg2 = bytes([0x81, 0x00, 0x81, 0x00])  # 256 bytes, valid
    header = struct.pack("<16I", 2, 64, 64 + len(seg1), *([0] * 13))
    ds = make_dataset(np.zeros((16, 16), np.uint16))
    ds.PixelData = encapsulate([header + seg1 + seg2])
    ds["PixelData"].VR = "OB"
    ds.file_meta.TransferSyntaxUID = RLELossless
    ds.save_as(path, enforce_file_format=True)
    return path
