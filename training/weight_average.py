"""Weight averaging: select and ship the running average of the weights (thirteenth recipe).

A network stopped at one step sits at one point of a noisy trajectory; its weights carry that
step's accidents, among them whatever it last learned about the hospitals it trains on. The
running (exponential) average of the weights along the trajectory lands in a flatter region of the
loss, and flat minima are what the domain-generalisation benchmarks found to transfer best to
unseen domains (SWAD, Cha et al., NeurIPS 2021; Polyak averaging before it). Nothing changes at
inference: the averaged weights are the same network, so tf2onnx, INT8 and the speed are untouched.

Keras does the averaging (``use_ema`` on the optimizer) and the swap (``SwapEMAWeights``): the
held-out hospital's AUC, the learning-rate schedule, early stopping and the checkpoint all see the
averaged weights, while the optimiser keeps stepping the raw ones. Issue 18, item 3: kept only if
leave one hospital out says it pays.
"""

from __future__ import annotations

import keras


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


def callbacks(momentum: float) -> list[keras.callbacks.Callback]:
    """The swap that puts the averaged weights in the model for validation and every callback after it.

    It must come first in the list so that the checkpoint, the learning-rate schedule and early
    stopping all judge (and the checkpoint saves) the averaged weights.
    """
    return [keras.callbacks.SwapEMAWeights(swap_on_epoch=True)] if momentum else []
