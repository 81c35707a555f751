"""``Screener``: owns the ONNX Runtime session and the manifest; screens files in order.

Decoding runs in a small thread pool while the previous batch is inferred:
Pillow, pylibjpeg and numpy release the GIL, so on two cores decode and
inference overlap instead of taking turns.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .errors import LoadError, ModelError
from .loader import load_image
from .manifest import Manifest, default_assets_dir
from .preprocess import preprocess
from .results import ScreenResult

THUMB = 96


@dataclass
class _Prepared:
    path: Path
    tensor: np.ndarray | None
    result: ScreenResult


def make_thumbnail(pixels: np.ndarray, size: int = THUMB) -> np.ndarray:
    """A small uint8 preview (aspect kept) so a GUI never re-decodes for its list."""
    img = Image.fromarray(pixels if pixels.dtype == np.uint8 else (pixels >> 8).astype(np.uint8))
    img.thumbnail((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(img, dtype=np.uint8).copy()


def lower_thread_priority() -> None:
    """Nice the calling thread (Linux: per-thread niceness); a no-op elsewhere."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):
        pass


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class Screener:
    """Run the shipped model over files; one ``ScreenResult`` per file, in input order."""

    def __init__(
        self,
        manifest: str | os.PathLike | None = None,
        threads: int = 2,
        batch_size: int = 16,
        operating_point: str | None = None,
        background: bool = False,
    ) -> None:
        """``background=True`` (the GUI) trades a little speed for a responsive host:
        ORT threads do not spin while idle and decode threads run at lower OS priority."""
        import onnxruntime as ort

        self.manifest = Manifest.load(manifest or default_assets_dir() / "model.json")
        self.manifest.verify()
        self.spec = self.manifest.input_spec
        self.threads = max(1, int(threads))
        self.batch_size = max(1, int(batch_size))
        self.operating_point = operating_point or self.manifest.default_operating_point
        if self.operating_point not in self.manifest.thresholds:
            raise ModelError(
                f"Unknown operating point {self.operating_point!r}; "
                f"choose one of {', '.join(self.manifest.thresholds)}"
            )
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.background = background
        if background:
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(
                str(self.manifest.model_path), opts, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # noqa: BLE001 - ORT raises several private types
            raise ModelError(f"Model could not be loaded by ONNX Runtime: {exc}") from exc
        self.input_name = self.session.get_inputs()[0].name
        outputs = self.manifest.data["outputs"]
        # a "probability" output carries the calibration inside the model file
        self.calibrated_output = "probability" in outputs
        first = outputs["probability"] if self.calibrated_output else outputs["logit"]
        self.output_names = [n for n in (first, outputs.get("cam", "")) if n]

    @property
    def threshold(self) -> float:
        return self.manifest.thresholds[self.operating_point]

    def _prepare(self, path: Path, thumbnails: bool) -> _Prepared:
        base = ScreenResult(path=path, status="ok", model_version=self.manifest.version)
        base.with_threshold(self.operating_point, self.threshold)
        try:
            img = load_image(path, min_size=max(self.spec.height, self.spec.width))
            tensor = preprocess(img.pixels, self.spec)
            thumb = make_thumbnail(img.pixels) if thumbnails else None
        except LoadError as exc:
            base.status, base.reason = exc.status, exc.reason
            return _Prepared(path, None, base)
        except Exception as exc:  # noqa: BLE001 - one odd image must not stop the batch
            base.status, base.reason = "error", f"Image could not be prepared for the model ({exc})."
            return _Prepared(path, None, base)
        base.meta, base.notes, base.thumbnail = img.meta, img.notes, thumb
        return _Prepared(path, tensor, base)

    def predict(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Calibrated probabilities and class activation maps for a batch."""
        outs = self.session.run(self.output_names, {self.input_name: batch.astype(np.float32)})
        first = np.asarray(outs[0], dtype=np.float64).reshape(len(batch))
        if self.calibrated_output:
            probs = first
        else:
            probs = sigmoid(first / self.manifest.temperature + self.manifest.bias)
        cams = np.asarray(outs[1])[..., 0] if len(outs) > 1 else None
        return probs, cams

    def _infer(self, items: list[_Prepared]) -> Iterator[ScreenResult]:
        good = [it for it in items if it.tensor is not None]
        if good:
            try:
                probs, cams = self.predict(np.stack([it.tensor for it in good]))
            except Exception as exc:  # noqa: BLE001 - report, do not crash the batch
                for it in good:
                    it.result.status, it.result.reason = "error", f"Model failed on this image: {exc}"
            else:
                for i, it in enumerate(good):
                    it.result.probability = float(probs[i])
                    if cams is not None:
                        it.result.cam = cams[i].astype(np.float32)
        for it in items:
            yield it.result

    def screen(
        self,
        paths: Iterable[str | os.PathLike],
        cancel: threading.Event | None = None,
        thumbnails: bool = False,
    ) -> Iterator[ScreenResult]:
        """Yield results in input order; stops early (cleanly) when ``cancel`` is set.

        A batch is flushed when it is full or when the next decode is not ready
        yet, so the first results arrive quickly and a slow file never holds
        back ones already decoded.
        """
        it = iter(Path(p) for p in paths)
        window = self.batch_size * 2
        init = lower_thread_priority if self.background else None
        with ThreadPoolExecutor(self.threads, thread_name_prefix="decode", initializer=init) as pool:
            pending: deque[Future[_Prepared]] = deque()

            def refill() -> None:
                while len(pending) < window:
                    nxt = next(it, None)
                    if nxt is None:
                        return
                    pending.append(pool.submit(self._prepare, nxt, thumbnails))

            refill()
            batch: list[_Prepared] = []
            try:
                while pending:
                    if cancel is not None and cancel.is_set():
                        break
                    batch.append(pending.popleft().result())
                    refill()
                    if len(batch) >= self.batch_size or not pending or not pending[0].done():
                        yield from self._infer(batch)
                        batch = []
                if batch and not (cancel is not None and cancel.is_set()):
                    yield from self._infer(batch)
            finally:
                for fut in pending:
                    fut.cancel()
