"""The single transform from display pixels to model input.

Training (``training.dataset``), conversion (calibration), the CLI and the GUI
all call these functions, so train and serve cannot drift apart. Intensity is
normalised by histogram equalisation: it maps any monotone change of exposure,
gamma or DICOM window to (almost) the same input, which is the main kind of
shift between X-ray machines that a from-scratch model would otherwise latch on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

#: Number of grey levels the equaliser works with; the TF mirror uses the same.
LEVELS = 256


@dataclass(frozen=True)
class InputSpec:
    """What the model expects, read from the manifest's ``input`` block."""

    height: int = 224
    width: int = 224
    layout: str = "NHWC"
    normalization: str = "histeq"

    @classmethod
    def from_manifest(cls, block: dict[str, Any]) -> InputSpec:
        return cls(
            height=int(block["height"]),
            width=int(block["width"]),
            layout=str(block.get("layout", "NHWC")),
            normalization=str(block.get("normalization", "histeq")),
        )

    def to_manifest(self) -> dict[str, Any]:
        return {
            "height": self.height,
            "width": self.width,
            "channels": 1,
            "layout": self.layout,
            "normalization": self.normalization,
            "dtype": "float32",
            "range": [-1.0, 1.0],
            "resize": "squash to square (aspect not kept, as the training images were)",
        }


def to_unit_float(pixels: np.ndarray) -> np.ndarray:
    """Scale display pixels of any integer or float type to float32 in [0, 1]."""
    if pixels.ndim != 2:
        raise ValueError(f"expected a 2-D grayscale array, got shape {pixels.shape}")
    if pixels.dtype == np.uint8:
        return pixels.astype(np.float32) / 255.0
    if pixels.dtype == np.uint16:
        return pixels.astype(np.float32) / 65535.0
    arr = pixels.astype(np.float32)
    return np.clip(arr, 0.0, 1.0)


def resize_to_input(pixels: np.ndarray, spec: InputSpec) -> np.ndarray:
    """Squash a grayscale image to the model size, in [0, 1] float32.

    8-bit images go through Pillow's antialiased resize with ``reducing_gap``
    (a fast box pre-reduction that is exact enough); others through float mode.
    """
    if pixels.ndim != 2:
        raise ValueError(f"expected a 2-D grayscale array, got shape {pixels.shape}")
    size = (spec.width, spec.height)
    if pixels.shape == (spec.height, spec.width):
        return to_unit_float(pixels)
    if pixels.dtype == np.uint8:
        img = Image.fromarray(pixels)
        out = img.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
        return np.asarray(out, dtype=np.float32) / 255.0
    img = Image.fromarray(to_unit_float(pixels))
    out = img.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.clip(np.asarray(out, dtype=np.float32), 0.0, 1.0)


def _equalize_levels(q: np.ndarray) -> np.ndarray:
    hist = np.bincount(q.ravel(), minlength=LEVELS)
    below = np.cumsum(hist) - hist  # pixels strictly darker than each level
    mid2 = (2 * below + hist).astype(np.float32)  # twice the mid-rank
    total2 = np.float32(2 * q.size)
    lut = (mid2 / total2 * np.float32(2.0) - np.float32(1.0)).astype(np.float32)
    return lut[q]


def equalize(unit: np.ndarray) -> np.ndarray:
    """Histogram-equalise a [0, 1] image into [-1, 1] with mid-rank levels.

    Mid-rank (half the level's own count) keeps a flat image at 0 instead of 1.
    Integer counts and one float32 division keep this bit-exact with the TF copy.
    """
    q = np.clip(np.floor(unit * (LEVELS - 1) + 0.5), 0, LEVELS - 1).astype(np.int64)
    return _equalize_levels(q)


def _resized_uint8(pixels: np.ndarray, spec: InputSpec) -> np.ndarray | None:
    """8-bit pixels at the model size, as uint8 (None for other depths).

    For 8-bit films the levels ``equalize`` computes from ``resize_to_input``'s floats are the
    uint8 values themselves (checked for all 256), so the float round trip is skipped.
    """
    if pixels.dtype != np.uint8:
        return None
    if pixels.shape == (spec.height, spec.width):
        return pixels
    img = Image.fromarray(pixels).resize(
        (spec.width, spec.height), Image.Resampling.BILINEAR, reducing_gap=2.0
    )
    return np.asarray(img)


def preprocess(pixels: np.ndarray, spec: InputSpec | None = None) -> np.ndarray:
    """Turn display-ready grayscale pixels into one model input (H, W, 1) float32."""
    spec = spec or InputSpec()
    if spec.normalization != "histeq":
        raise ValueError(f"unknown normalization {spec.normalization!r} in the manifest")
    if pixels.ndim == 2:
        levels = _resized_uint8(pixels, spec)
        if levels is not None:
            return _equalize_levels(levels)[..., None]
    return equalize(resize_to_input(pixels, spec))[..., None]
