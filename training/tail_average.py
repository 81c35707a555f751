"""Tail averaging: a fixed schedule, and the average of the last epochs' weights (twenty-second run).

Every recipe so far chose its learning-rate cuts, its stopping epoch and its checkpoint on the
held-out hospital's films, and then reported its AUC on those same films. Where the held-out
monitor swings by 0.1-0.2 between epochs (Shenzhen, every recipe), the figure reported is the
luckiest epoch of a noisy curve: it flatters, and a second seed does not repeat it (stop 44).

``train --tail-average N`` takes the held-out hospital out of every choice: the learning rate
follows a fixed schedule (cosine down from ``--lr`` to a quarter of it over the first epochs, then
held there for the last N, as SWA does, Izmailov et al. 2018), there is no early stopping, and the
network saved is the average of the weights at the end of each of the last N epochs, its
BatchNorm statistics re-estimated for the averaged weights on a fixed sample of training films
(``weight_average.refresh_batchnorm``, as SWA's ``update_bn``). The held-out films are still
scored every epoch, for the history only, so their AUC at the end is a test figure, not a
selection. Averaging a stretch of the trajectory is also what the domain-generalisation benchmarks
found to transfer (SWAD, Cha et al. 2021); where the running average of the thirteenth recipe lagged
and was chosen on the held-out monitor at epoch 1, this one averages only trained epochs.
"""

from __future__ import annotations

import math
from pathlib import Path

import keras
import numpy as np

from training.weight_average import refresh_batchnorm

TAIL_LR_SHARE = 0.25  # the learning rate held over the averaged epochs, a share of the starting one


def learning_rate(epoch: int, epochs: int, tail: int, lr: float) -> float:
    """Cosine from ``lr`` to ``lr * TAIL_LR_SHARE`` over the first ``epochs - tail`` epochs, then flat.

    Flat over the averaged epochs so that they sample one region of the loss at one step size,
    rather than shrinking into the last epoch's point (the average would then be that point)."""
    if not 0 < tail <= epochs:
        raise ValueError(f"the averaged tail ({tail}) must be 1..epochs ({epochs})")
    low = lr * TAIL_LR_SHARE
    ramp = epochs - tail
    if epoch >= ramp:
        return low
    return low + (lr - low) * 0.5 * (1.0 + math.cos(math.pi * epoch / ramp))


class TailAverage(keras.callbacks.Callback):
    """Average ``net``'s weights over the last ``tail`` of ``epochs`` epochs; save it at the end.

    Float weights are averaged (an incremental mean, so weights that never move, as a frozen
    segmenter's, stay bit for bit); integer state (random-seed counters) keeps its last value.
    BatchNorm's moving statistics are then re-estimated on ``sample`` (model input), because the
    averaged convolutions' activations are not the ones any epoch's statistics were taken on.
    A run stopped before its tail begins has nothing to average and saves nothing.
    """

    def __init__(self, net: keras.Model, tail: int, epochs: int, sample: np.ndarray, path: Path):
        super().__init__()
        if not 0 < tail <= epochs:
            raise ValueError(f"the averaged tail ({tail}) must be 1..epochs ({epochs})")
        self.net, self.tail, self.epochs, self.sample, self.path = net, tail, epochs, sample, Path(path)
        self.mean: list[np.ndarray] | None = None
        self.count = 0

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if epoch < self.epochs - self.tail:
            return
        weights = [np.asarray(w) for w in self.net.get_weights()]
        self.count += 1
        if self.mean is None:
            self.mean = [w.astype(np.float64) if w.dtype.kind == "f" else w.copy() for w in weights]
            return
        for i, w in enumerate(weights):
            if w.dtype.kind == "f":
                self.mean[i] += (w - self.mean[i]) / self.count
            else:
                self.mean[i] = w.copy()

    def on_train_end(self, logs=None) -> None:
        if self.mean is None:
            print("tail average: the run ended before its averaged tail; nothing saved", flush=True)
            return
        kinds = [np.asarray(w).dtype for w in self.net.get_weights()]
        self.net.set_weights([m.astype(k) for m, k in zip(self.mean, kinds)])
        refresh_batchnorm(self.net, self.sample)
        self.net.save(self.path)
        print(f"tail average: {self.count} epochs' weights averaged into {self.path}", flush=True)


def callbacks(
    tail: int, epochs: int, lr: float, net: keras.Model, sample: np.ndarray, path: Path
) -> list[keras.callbacks.Callback]:
    """The fixed schedule and the averaging, in place of the monitor-driven schedule, stop and checkpoint."""
    schedule = keras.callbacks.LearningRateScheduler(lambda epoch: learning_rate(epoch, epochs, tail, lr))
    return [schedule, TailAverage(net, tail, epochs, sample, path)]
