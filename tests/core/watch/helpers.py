"""Shared by the watch tests: distinct small PNG films."""

from __future__ import annotations

import io

from PIL import Image

from tests.dicom_factory import gradient


def png_bytes(seed: int = 0) -> bytes:
    img = gradient(256, 200)
    img[seed % 256, :] = seed % 251  # distinct content per seed
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()
