"""``Screener``: owns the ONNX Runtime session and the manifest; screens files in order.

Decoding runs in a small thread pool while the previous batch is inferred:
Pillow, pylibjpeg and numpy release the GIL, so on two cores decode and
inference overlap instead of taking turns.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path

import numpy as np

from pneumoscan.errors import ModelError
from pneumoscan.model.adapted_head import AdaptedHead
from pneumoscan.model.manifest import Manifest, default_assets_dir
from pneumoscan.model.profiles import SiteProfile
from pneumoscan.model.schema import decision_digest
from pneumoscan.model.session import Model, ModelOutput
from pneumoscan.offline import ensure_offline
from pneumoscan.prepare import Prepared, Preparer, apply_refusal
from pneumoscan.results import ScreenResult, Status
from pneumoscan.scope import NOTE, ScopeGate, gate_config_path
from pneumoscan.scope.affirm import defer_to_tags
from pneumoscan.scope.site_gate import max_shift, site_thresholds

#: Longest a decoded film waits for more films before its batch goes to the model (seconds).
MAX_WAIT = 0.2


def lower_thread_priority() -> None:
    """Nice the calling thread (Linux: per-thread niceness); a no-op elsewhere."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):
        pass


def single_threaded_blas() -> None:
    """One BLAS thread: numpy's OpenBLAS threads busy-wait after each small matrix product (the
    scope gate's feature distance) and took the cores from ONNX Runtime and the decoders; with one
    thread the gate's cost on 224x224 JPEGs fell from about +60% to +26.5% (benchmarks.bench_scope)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: without it BLAS keeps its default threads
        return
    threadpool_limits(limits=1, user_api="blas")


class Screener:
    """Run the shipped model over files; one ``ScreenResult`` per file, in input order."""

    def __init__(
        self,
        manifest: str | os.PathLike | None = None,
        threads: int = 2,
        batch_size: int = 16,
        operating_point: str | None = None,
        background: bool = False,
        scope_gate: bool = True,
        profiles: Sequence[SiteProfile] = (),
    ) -> None:
        """``background=True`` (the GUI) trades a little speed for a responsive host:
        decode threads run at lower OS priority.
        ``scope_gate=False`` (research use) still runs every scope check but only notes
        its verdicts; each result records that the gate was off."""
        ensure_offline()
        single_threaded_blas()
        self.manifest = Manifest.load(manifest or default_assets_dir() / "model.json")
        self.manifest.verify()
        self.spec = self.manifest.input_spec
        self.threads = max(1, int(threads))
        self.batch_size = max(1, int(batch_size))
        # site profiles add operating points ("site:NAME"); one made for another model is refused
        self.site_thresholds: dict[str, float] = {}
        self.heads: dict[str, AdaptedHead] = {}  # site profiles' adapted heads, by operating point
        #: Site profiles' own learned-gate thresholds, by operating point (``scope.site_gate``).
        self.site_gates: dict[str, dict[str, float]] = {}
        #: Keep each film's pooled features on its result (validation fits an adapted head on them).
        self.keep_features = False
        self.background = background
        self.model = Model(self.manifest, self.threads)
        self.subtype_threshold = self.model.subtype_threshold
        self.gate = ScopeGate(
            gate_config_path(self.manifest.path, self.manifest.data),
            str(self.manifest.data["sha256"]),
            threads=self.threads,
            enabled=scope_gate,
        )
        self._check_pinned_fields()
        for profile in profiles:  # after the gate: a profile may carry its own learned-gate thresholds
            self.add_profile(profile)
        self.operating_point = operating_point or self.manifest.default_operating_point
        if self.operating_point not in self.thresholds:
            raise ModelError(
                f"Unknown operating point {self.operating_point!r}; choose one of {', '.join(self.thresholds)}"
            )

    def add_profile(self, profile: SiteProfile) -> None:
        """A site profile's operating point (and adapted head) joins those on offer; one made for
        another model is refused (``ModelError``). Films screened from now on carry its head's
        probability too, so switching to it needs no new run."""
        profile.check_model(self.manifest.version, str(self.manifest.data["sha256"]))
        if profile.head:
            try:
                self.heads[profile.operating_point] = AdaptedHead.from_dict(profile.head)
            except (KeyError, TypeError, ValueError) as exc:
                raise ModelError(f"Site profile {profile.name!r}: {exc}") from exc
        else:
            self.heads.pop(profile.operating_point, None)
        self.site_thresholds[profile.operating_point] = profile.threshold
        self.site_gates.pop(profile.operating_point, None)
        shift = profile.gate_shift
        if shift:
            if shift > max_shift(self.gate.config) + 1e-9:
                raise ModelError(
                    f"Site profile {profile.name!r} loosens the scope gate further than this model allows "
                    f"(shift {shift:.2f} > {max_shift(self.gate.config):.2f}); validate again."
                )
            self.site_gates[profile.operating_point] = site_thresholds(self.gate.config, shift)

    def _check_pinned_fields(self) -> None:
        """Refuse a manifest whose decision fields differ from the digest inside the model file."""
        pinned = self.model.pinned_digest
        if pinned and pinned != decision_digest(self.manifest.data, self.gate.config or None):
            raise ModelError(
                "The manifest's thresholds, calibration, input/output contract or scope-gate settings "
                "differ from those this model was shipped with; reinstall PneumoScan."
            )

    @property
    def batch_reference(self) -> dict | None:
        """The validation films' figures for the batch check (``assets/batch_reference.json``)."""
        from pneumoscan.scope.batch import load_reference

        if not hasattr(self, "_batch_reference"):
            self._batch_reference = load_reference(self.manifest.path.parent / "batch_reference.json")
        return self._batch_reference

    @property
    def thresholds(self) -> dict[str, float]:
        """The shipped operating points, then any adopted site profiles."""
        return {**self.manifest.thresholds, **self.site_thresholds}

    @property
    def threshold(self) -> float:
        return self.thresholds[self.operating_point]

    @property
    def preparer(self) -> Preparer:
        """The per-file work before the model, with this screener's settings (no ONNX session)."""
        return Preparer(
            self.manifest.version, self.spec, self.operating_point, self.threshold, self.gate.enabled
        )

    def prepare(self, path: Path, thumbnails: bool = False) -> Prepared:
        """Everything one file needs before the model; never raises for a bad file."""
        return self.preparer.prepare(path, thumbnails)

    def _refuse(self, result: ScreenResult, final: bool) -> bool:
        return apply_refusal(result, self.gate.enabled, final)

    def predict(self, batch: np.ndarray) -> ModelOutput:
        """The model alone on a batch of preprocessed images (see ``Model.predict``)."""
        return self.model.predict(batch)

    def infer(self, items: list[Prepared]) -> Iterator[ScreenResult]:
        """The model and the model-stage scope checks on a batch; results in the items' order."""
        good = [it for it in items if it.tensor is not None]
        if good:
            batch = np.stack([it.tensor for it in good])
            try:
                out = self.model.predict(batch)
                stages = self.gate.model_stage(batch, out.features)
            except Exception as exc:  # noqa: BLE001 - report, do not crash the batch
                for it in good:
                    it.result.status, it.result.reason = Status.ERROR, f"Model failed on this image: {exc}"
            else:
                for i, it in enumerate(good):
                    r, st = it.result, stages[i]
                    r.probability = r.base_probability = float(out.probability[i])
                    if out.viral_probability is not None:
                        r.viral_probability = float(out.viral_probability[i])
                        r.subtype_threshold = self.subtype_threshold
                    if out.cam is not None:
                        r.cam = out.cam[i].astype(np.float32)
                    if out.features is not None:
                        if self.keep_features:
                            r.features = np.asarray(out.features[i], dtype=np.float32)
                        if self.heads:
                            r.head_probabilities = {
                                op: float(h.predict(out.features[i][None])[0]) for op, h in self.heads.items()
                            }
                            r.with_threshold(r.operating_point, r.threshold)
                    learned = defer_to_tags(r.checks, st.checks)
                    r.checks = r.checks + learned
                    r.scope_class, r.scope_in_score, r.scope_distance = (
                        st.scope_class,
                        st.in_scope,
                        st.distance,
                    )
                    r.notes.extend(c.reason for c in learned if c.verdict == NOTE)
                    self._refuse(r, final=True)
                    if self.site_gates.get(r.operating_point):
                        r.with_threshold(r.operating_point, r.threshold, self.site_gates[r.operating_point])
        for it in items:
            yield it.result

    def screen(
        self,
        paths: Iterable[str | os.PathLike],
        cancel: threading.Event | None = None,
        thumbnails: bool = False,
    ) -> Iterator[ScreenResult]:
        """Yield results in input order; stops early (cleanly) when ``cancel`` is set.

        A batch goes to the model when it is full, when nothing more is coming, or when
        its first film has waited ``MAX_WAIT`` seconds for the next decode: full batches
        keep the model's cost per film low (flushing whenever the next decode was not
        ready made batches of 1-2 films on full-size films and cost a fifth of the
        throughput), while the wait bound keeps the first results quick and a slow file
        from holding back those already decoded for long.
        """
        it = iter(Path(p) for p in paths)
        window = self.batch_size * 2
        init = lower_thread_priority if self.background else None
        with ThreadPoolExecutor(self.threads, thread_name_prefix="decode", initializer=init) as pool:
            pending: deque[Future[Prepared]] = deque()

            def refill() -> None:
                while len(pending) < window:
                    nxt = next(it, None)
                    if nxt is None:
                        return
                    pending.append(pool.submit(self.prepare, nxt, thumbnails))

            def stopped() -> bool:
                return cancel is not None and cancel.is_set()

            refill()
            batch: list[Prepared] = []
            deadline = 0.0
            try:
                while pending and not stopped():
                    if batch and not pending[0].done():
                        wait([pending[0]], timeout=max(0.0, deadline - time.monotonic()))
                        if not pending[0].done():  # waited long enough: the model takes what it has
                            yield from self.infer(batch)
                            batch = []
                            continue
                    batch.append(pending.popleft().result())
                    refill()
                    if len(batch) == 1:
                        deadline = time.monotonic() + MAX_WAIT
                    if len(batch) >= self.batch_size or not pending:
                        yield from self.infer(batch)
                        batch = []
                if batch and not stopped():
                    yield from self.infer(batch)
            finally:
                for fut in pending:
                    fut.cancel()
