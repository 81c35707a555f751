"""Everything one file needs before the model: decode, cheap scope checks, preprocessing.

A ``Preparer`` holds only settings (no ONNX Runtime session), so the per-file
work runs anywhere: the Screener's decode threads, or Ray tasks that never load
a model (``pneumoscan.engines``). Its result, ``Prepared``, is what the model
stage (``Screener.infer``) takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from PIL import Image

from pneumoscan.errors import LoadError
from pneumoscan.model.preprocess import InputSpec, preprocess
from pneumoscan.reading.display import to_uint8
from pneumoscan.reading.loader import load_image
from pneumoscan.results import ScreenResult, Status
from pneumoscan.scope import NOTE, first_refusal
from pneumoscan.scope.gate import cheap_checks
from pneumoscan.scope.modality import check_modality

THUMB = 96


@dataclass
class Prepared:
    """One file after the per-file work (decode, cheap scope checks, preprocessing).

    The unit both engines pass from ``Screener.prepare`` to ``Screener.infer``: the
    local thread pool in ``screen``, Ray tasks and actors in ``pneumoscan.engines``.
    """

    path: Path
    tensor: np.ndarray | None
    result: ScreenResult


def make_thumbnail(pixels: np.ndarray, size: int = THUMB) -> np.ndarray:
    """A small uint8 preview (aspect kept) so a GUI never re-decodes for its list."""
    img = Image.fromarray(to_uint8(pixels))
    img.thumbnail((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(img, dtype=np.uint8).copy()


def apply_refusal(result: ScreenResult, gate_enabled: bool, final: bool) -> bool:
    """Apply the gate's verdict so far; ``final`` once the model-stage checks are in.

    Before the model, only a firm refusal stops the image (a deferred one waits for the
    learned gate's reason); with the gate off, the verdict becomes a note at the end.
    """
    refusal = first_refusal(result.checks, include_deferred=final)
    if refusal is None or (not final and not gate_enabled):
        return False
    if not gate_enabled:
        result.notes.append(f"Scope gate off: would be out of scope ({refusal.reason}).")
        return False
    result.status, result.reason = Status.OUT_OF_SCOPE, f"Not assessed: {refusal.reason}"
    # the shipped head's probability and map stay out of sight, for a site's own gate (site_gate.py)
    result.held_cam = result.cam
    result.probability, result.cam = None, None
    return True


@dataclass(frozen=True)
class Preparer:
    """The settings the per-file work needs (picklable: Ray ships it to its tasks)."""

    model_version: str
    spec: InputSpec
    operating_point: str
    threshold: float
    gate_enabled: bool = True

    def prepare(self, path: Path, thumbnails: bool = False) -> Prepared:
        """Never raises for a bad file: its result says what happened."""
        base = ScreenResult(path=path, status=Status.OK, model_version=self.model_version)
        base.screened_at = datetime.now().isoformat(timespec="seconds")
        base.with_threshold(self.operating_point, self.threshold)
        base.scope_gate = self.gate_enabled
        try:
            img = load_image(
                path, min_size=max(self.spec.height, self.spec.width), header_check=check_modality
            )
            base.meta, base.notes = img.meta, img.notes
            base.thumbnail = make_thumbnail(img.pixels) if thumbnails else None
            base.checks = cheap_checks(img.pixels, img.meta)
            base.notes.extend(c.reason for c in base.checks if c.verdict == NOTE)
            if apply_refusal(base, self.gate_enabled, final=False):
                return Prepared(path, None, base)
            tensor = preprocess(img.pixels, self.spec)
        except LoadError as exc:
            base.status, base.reason = Status(exc.status), exc.reason
            return Prepared(path, None, base)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - decoder panics derive from BaseException
            base.status, base.reason = Status.ERROR, f"Image could not be prepared for the model ({exc})."
            return Prepared(path, None, base)
        return Prepared(path, tensor, base)
