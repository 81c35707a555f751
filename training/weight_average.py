"""Weight averaging: select and ship the running average of the weights (thirteenth recipe).

A network stopped at one step sits at one point of a noisy trajectory; its weights carry that
step's accidents, among them whatever it last learned about the hospitals it trains on. The
running (exponential) average of the weights along the trajectory lands in a flatter region of the
loss, and flat minima are what the domain-generalisation benchmarks found to transfer best to
unseen domains (SWAD, Cha et al., NeurIPS 2021; Polyak averaging before it). Nothing changes at
inference: the averaged weights are the same network, so tf2onnx, INT8 and the speed are untouched.

Keras does the averaging (``use_ema`` on the optimizer) and the swap (``SwapEMAWeights``): the
held-out hospital's AUC, the learning-rate schedule, early stopping and the checkpoint all see the
averaged weights, while the optimiser keeps stepping the raw ones. BatchNorm's moving statistics
are not weights that get averaged: they belong to the raw trajectory, and averaged convolutions
read through them can be silenced (a first try validated a constant output for two epochs). So
each time the averaged weights are swapped in, the statistics are re-estimated for them on a fixed
sample of training films, as SWA does (``torch.optim.swa_utils.update_bn``). Issue 18, item 3: kept only if
leave one hospital out says it pays.
"""

from __future__ import annotations

import keras
import numpy as np


def optimizer(lr: float, weight_decay: float, momentum: float = 0.0) -> keras.optimizers.Optimizer:
    """AdamW, keeping the average of its weights when ``momentum`` (0 < m < 1) is given.

    ``momentum`` is the average's memory per step: 0.998 forgets a step's weights with a half-life
    of about 350 steps, two to three epochs of the training set here.
    """
    if not 0.0 <= momentum < 1.0:
        raise ValueError(f"weight-average momentum must be in [0, 1), got {momentum}")
    if momentum:
        return keras.optimizers.AdamW(lr, weight_decay=weight_decay, use_ema=True, ema_momentum=momentum)
    return keras.optimizers.AdamW(lr, weight_decay=weight_decay)


def batchnorm_layers(model: keras.Model) -> list[keras.layers.BatchNormalization]:
    """The model's BatchNorm layers in network order (nested models included)."""
    return [layer for layer in model._flatten_layers() if isinstance(layer, keras.layers.BatchNormalization)]


def refresh_batchnorm(model: keras.Model, x: np.ndarray, batch: int = 32) -> None:
    """Set every BatchNorm layer's moving statistics to the average over ``x`` of its batch statistics.

    One forward pass in training mode with each layer's momentum set so that batch k weighs 1/(k+1):
    the cumulative mean, as ``update_bn``: cheap enough for every epoch, where the exact estimate
    (``training.adabn_eval.adapt``) costs a partial forward pass per layer. Momenta are put back.
    """
    layers = batchnorm_layers(model)
    kept = [layer.momentum for layer in layers]
    try:
        for k, i in enumerate(range(0, len(x), batch)):
            for layer in layers:
                layer.momentum = k / (k + 1)
            model(x[i : i + batch], training=True)
    finally:
        for layer, m in zip(layers, kept):
            layer.momentum = m


class RefreshBatchNorm(keras.callbacks.Callback):
    """After ``SwapEMAWeights`` puts the averaged weights in for validation, re-estimate BatchNorm.

    The statistics stay in the model through the epoch's end, where the checkpoint saves them with
    the averaged weights; training itself normalises by batch statistics, so the raw weights'
    steps are unaffected.
    """

    def __init__(self, net: keras.Model, x: np.ndarray):
        super().__init__()
        self.net, self.x = net, x  # the plain network, also under a wrapping trainer (consistency)

    def on_test_begin(self, logs=None) -> None:
        refresh_batchnorm(self.net, self.x)


def callbacks(
    momentum: float, net: keras.Model, films: np.ndarray, seed: int, n: int = 512, prepare=None
) -> list[keras.callbacks.Callback]:
    """The swap that puts the averaged weights in the model for validation and every callback after it,
    and the BatchNorm refresh for them, in the network ``net``, on ``n`` of the training ``films``.

    They must come first in the list so that the checkpoint, the learning-rate schedule and early
    stopping all judge (and the checkpoint saves) the averaged weights. ``prepare`` turns the films
    into model input (default: uint8 squashed films through the core's equaliser).
    """
    if not momentum:
        return []
    sample = batchnorm_sample(films, seed, n, prepare)
    return [keras.callbacks.SwapEMAWeights(swap_on_epoch=True), RefreshBatchNorm(net, sample)]


def batchnorm_sample(films: np.ndarray, seed: int, n: int = 512, prepare=None) -> np.ndarray:
    """``n`` of the training ``films``, fixed by ``seed``, as model input: what BatchNorm is re-estimated on."""
    if prepare is None:
        from training.dataset import model_tensors as prepare
    return prepare(films[np.random.default_rng(seed).permutation(len(films))[:n]])
