"""JPEG/PNG/TIFF/BMP decoding to grayscale, with EXIF orientation applied."""

from __future__ import annotations

import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from pneumoscan.errors import LoadError
from pneumoscan.reading.colour import colour_score

#: Decompression-bomb bound: larger images are refused rather than decoded.
MAX_PIXELS = 120_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
#: Bound on the decoded size (samples x bits): keeps one file well under 1.5 GB of memory
#: (a large 16-bit DR film is about 40 MB; a 10880x11000 RGB file would be 359 MB).
MAX_DECODED_BYTES = 200_000_000
_BYTES_PER_SAMPLE = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2, "I": 4, "F": 4}


GRAY_MODES = {"1", "L", "LA", "I", "F", "I;16", "I;16B", "I;16L", "I;16N"}


def colour_of(img: Image.Image) -> dict[str, float]:
    """How colourful a colour-mode image really is (the scope gate reads it)."""
    factor = max(1, max(img.size) // 128)
    small = img.reduce(factor) if factor > 1 and img.mode in ("RGB", "RGBA", "L", "LA") else img
    return colour_score(np.asarray(small.convert("RGB")))


#: What ``colour_of`` measures on a film whose three channels are equal.
GRAY_COLOUR = {"off_hue": 0.0, "chroma": 0.0}


def _gray_jpeg_luma(img: Image.Image, min_size: int | None) -> Image.Image | None:
    """The Y plane of a YCbCr JPEG whose chroma planes are exactly neutral (128), else None.

    Most colour-mode X-ray JPEGs (every training film) are gray films saved as colour. For
    them R = G = B = Y exactly, so the grayscale conversion gives Y bit for bit; decoding
    YCbCr and keeping Y skips libjpeg's colour conversion, Pillow's grayscale conversion and
    the colour measure (which would say 0, 0). Anything else is decoded again as before
    (``_colour_jpeg``): ``img`` is spent either way.
    """
    if img.mode != "RGB" or getattr(img, "layers", 3) != 3 or img.info.get("adobe_transform") == 0:
        return None
    img.draft("YCbCr", (min_size, min_size) if min_size else img.size)
    if img.mode != "YCbCr":
        return None
    img.load()
    y, cb, cr = img.split()
    if cb.getextrema() == (128, 128) and cr.getextrema() == (128, 128):  # no copy of the planes
        return y
    return None


def _colour_jpeg(path: str, min_size: int | None) -> tuple[np.ndarray, int, dict[str, float]]:
    """A colour JPEG the usual way: RGB (draft), upright, colour measured, then grayscale."""
    with Image.open(path) as img:
        if min_size:
            img.draft("RGB", (min_size, min_size))
        img.load()
        img = ImageOps.exif_transpose(img)
        return _to_gray(img), 8, colour_of(img)


#: EXIF orientation -> the transposition that shows the image upright (as ImageOps.exif_transpose).
_ORIENT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _transposed(img: Image.Image, orientation: int) -> Image.Image:
    method = _ORIENT.get(orientation)
    return img.transpose(method) if method is not None else img


def _to_gray(img: Image.Image) -> np.ndarray:
    """Convert any Pillow mode to 2-D grayscale, keeping 16-bit depth where present."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        return np.asarray(img, dtype=np.uint16).copy()
    if img.mode in ("I", "F"):
        arr = np.asarray(img, dtype=np.float32)
        lo, hi = float(arr.min()), float(arr.max())
        if hi <= lo:
            return np.zeros(arr.shape, dtype=np.uint16)
        return ((arr - lo) / (hi - lo) * 65535.0 + 0.5).astype(np.uint16)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        img = Image.alpha_composite(background, rgba)
    if img.mode != "L":
        img = img.convert("L")
    return np.asarray(img, dtype=np.uint8).copy()


#: Leading bytes of the raster formats we read; the loader uses them to tell raster from DICOM.
RASTER_MAGIC = {
    b"\xff\xd8\xff": "JPEG",
    b"\x89PNG": "PNG",
    b"II*\x00": "TIFF",
    b"MM\x00*": "TIFF",
    b"BM": "BMP",
    b"GIF8": "GIF",
}


def _magic_kind(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError:
        return ""
    return next((kind for magic, kind in RASTER_MAGIC.items() if head.startswith(magic)), "")


def load_raster(path: str, min_size: int | None = None) -> tuple[np.ndarray, dict]:
    """Decode a raster file. ``min_size`` lets JPEG decode at a reduced DCT scale.

    Draft mode asks libjpeg for the smallest 1/2, 1/4 or 1/8 scale whose sides
    are still at least ``min_size``; it is several times faster on large films
    and the preprocessing that follows shrinks the image anyway.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                fmt = img.format or "raster"
                full_w, full_h = img.size
                decoded = full_w * full_h * len(img.getbands()) * _BYTES_PER_SAMPLE.get(img.mode, 2)
                if full_w * full_h > MAX_PIXELS or decoded > MAX_DECODED_BYTES:
                    raise LoadError(
                        f"Image is {full_w}x{full_h} pixels ({img.mode}), too large to decode safely."
                    )
                frames = int(getattr(img, "n_frames", 1) or 1)
                coloured = img.mode not in GRAY_MODES
                orientation = img.getexif().get(0x0112, 1)
                if orientation in (5, 6, 7, 8):  # displayed rotated by 90 degrees
                    full_w, full_h = full_h, full_w
                luma = _gray_jpeg_luma(img, min_size) if coloured and fmt == "JPEG" else None
                if luma is not None:  # a gray film saved as a colour JPEG: its luma is the image
                    bits, colour = 8, dict(GRAY_COLOUR)
                    pixels = np.asarray(_transposed(luma, orientation))
                elif coloured and fmt == "JPEG":  # decoded as YCbCr by the check: decode again as before
                    pixels, bits, colour = _colour_jpeg(path, min_size)
                else:
                    if min_size and fmt == "JPEG":
                        img.draft("RGB" if coloured else "L", (min_size, min_size))
                    img.load()
                    img = ImageOps.exif_transpose(img)
                    bits = 16 if img.mode.startswith("I") else 8
                    colour = colour_of(img) if coloured else None
                    pixels = _to_gray(img)
    except LoadError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise LoadError("Image is too large to decode safely (decompression-bomb bound).") from exc
    except UnidentifiedImageError as exc:
        kind = _magic_kind(path)
        if kind:
            raise LoadError(f"{kind} file is truncated or corrupt (its header cannot be read).") from exc
        raise LoadError("Not an image or DICOM file PneumoScan can read.") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise LoadError(f"Image file is truncated or corrupt ({exc}).") from exc
    meta = {
        "source_kind": fmt,
        "width": int(full_w),
        "height": int(full_h),
        "bits_stored": bits,
        "photometric": "MONOCHROME2",
    }
    if frames > 1:
        meta["frames"] = frames
    if colour is not None:
        meta["colour"] = colour
    return pixels, meta
