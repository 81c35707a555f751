"""``--engine ray``: the same per-file work and model as the desktop, on a Ray Data pipeline.

file paths -> ``Preparer.prepare`` in Ray tasks (decode, cheap scope checks,
preprocessing; settings only, no model) -> ``Screener.infer`` in an actor pool
(one ONNX Runtime session per actor, batches) -> results back to the driver in
input order.
The driver writes the report exactly as the local engine does, so the two
reports differ only in their ``screened_at`` times. Nothing here is written
twice: both engines call the same two Screener methods.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pneumoscan.results import ScreenResult

BATCH = 16


@dataclass(frozen=True)
class ScreenerSpec:
    """What every worker needs to build the same Screener as the driver (picklable)."""

    manifest: str | None = None
    operating_point: str | None = None
    scope_gate: bool = True
    profiles: tuple = field(default_factory=tuple)


_SCREENERS: dict[bytes, object] = {}


def worker_screener(spec: ScreenerSpec):
    """One Screener per worker process, built on first use (tasks reuse their processes)."""
    from pneumoscan.screener import Screener

    key = pickle.dumps(spec)
    if key not in _SCREENERS:
        _SCREENERS[key] = Screener(
            spec.manifest,
            threads=1,
            operating_point=spec.operating_point,
            scope_gate=spec.scope_gate,
            profiles=list(spec.profiles),
        )
    return _SCREENERS[key]


def prepare_batch(batch: dict[str, np.ndarray], preparer) -> dict[str, np.ndarray]:
    """Ray task: the per-file work for a batch of paths (bytes, so any file name survives). A
    ``Preparer`` holds settings only: the tasks never load an ONNX model."""
    prepared = [preparer.prepare(Path(os.fsdecode(bytes(p)))) for p in batch["path"]]
    return {"index": batch["index"], "prepared": np.array([pickle.dumps(p) for p in prepared], dtype=object)}


class InferActor:
    """Ray actor: holds one ONNX Runtime session; runs the model on batches of prepared files."""

    def __init__(self, spec: ScreenerSpec) -> None:
        self.screener = worker_screener(spec)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        items = [pickle.loads(bytes(b)) for b in batch["prepared"]]
        results = list(self.screener.infer(items))
        for r in results:
            r.cam = r.held_cam = r.thumbnail = None  # the report needs none; keeps the object store small
        return {"index": batch["index"], "result": np.array([pickle.dumps(r) for r in results], dtype=object)}


def screen_with_ray(
    paths: Sequence[Path],
    spec: ScreenerSpec,
    address: str | None = None,
    workers: int | None = None,
    preparer=None,
) -> Iterator[ScreenResult]:
    """Yield results in input order as the pipeline streams them back."""
    from pneumoscan.engines.ray_offline import init_ray

    ray = init_ray(address, workers)
    ctx = ray.data.DataContext.get_current()
    ctx.execution_options.preserve_order = True
    ctx.enable_progress_bars = False
    actors = max(1, workers or int(ray.cluster_resources().get("CPU", 1)))
    items = [{"index": i, "path": os.fsencode(p)} for i, p in enumerate(paths)]
    if not items:
        return
    ds = ray.data.from_items(items, override_num_blocks=max(1, min(len(items) // BATCH, 4 * actors)))
    if preparer is None:  # settings only; built once on the driver, shipped to the tasks
        preparer = worker_screener(spec).preparer
    ds = ds.map_batches(
        prepare_batch, fn_kwargs={"preparer": preparer}, batch_size=BATCH, batch_format="numpy"
    )
    ds = ds.map_batches(
        InferActor,
        fn_constructor_kwargs={"spec": spec},
        batch_size=BATCH,
        batch_format="numpy",
        concurrency=actors,
        num_cpus=1,
    )
    for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
        for blob in batch["result"]:
            yield pickle.loads(bytes(blob))
