"""MixStyle: early feature maps take on another film's "style" while training (tenth recipe).

A hospital's signature (exposure, detector noise, processing) lives largely in the per-channel
means and spreads of a CNN's early feature maps, the statistics style transfer swaps (Huang and
Belongie, 2017). MixStyle (Zhou et al., ICLR 2021) mixes those statistics between films of a batch
with a random convex weight, so the network sees each film in styles between its own hospital's
and another's and learns less from the style. Unlike the input augmentations tried before (second
recipe), the styles it mixes are the hospitals' own. Issue 18, item 3: kept only if leave one
hospital out says it pays.

At inference the layer is the identity, so the exported graph, tf2onnx and INT8 see the plain net.
"""

from __future__ import annotations

import keras
from keras import layers, ops

AFTER_BLOCKS = (0, 1)  # after the first two blocks (56x56 and 28x28), as the paper's early stages


@keras.saving.register_keras_serializable(package="pneumoscan")
class MixStyle(layers.Layer):
    """Per film and channel, mix the feature map's mean and spread with those of a shuffled partner.

    ``p`` is the chance that a training batch is mixed at all, ``alpha`` the Beta distribution's
    parameter for the mixing weight (0.1 keeps most weights near 0 or 1: mostly one style or the
    other). The statistics are held constant for the gradient, as in the reference code.
    """

    def __init__(self, p: float = 0.5, alpha: float = 0.1, eps: float = 1e-6, seed: int | None = None, **kw):
        super().__init__(**kw)
        self.p, self.alpha, self.eps, self.seed = float(p), float(alpha), float(eps), seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, x, training=None):
        if not training or self.p <= 0.0:
            return x
        mu = ops.stop_gradient(ops.mean(x, axis=(1, 2), keepdims=True))
        sig = ops.stop_gradient(ops.sqrt(ops.var(x, axis=(1, 2), keepdims=True) + self.eps))
        n = ops.shape(x)[0]
        lam = keras.random.beta((n, 1, 1, 1), self.alpha, self.alpha, seed=self.seed_generator, dtype=x.dtype)
        perm = keras.random.shuffle(ops.arange(n), seed=self.seed_generator)
        mu_mix = lam * mu + (1.0 - lam) * ops.take(mu, perm, axis=0)
        sig_mix = lam * sig + (1.0 - lam) * ops.take(sig, perm, axis=0)
        mixed = (x - mu) / sig * sig_mix + mu_mix
        coin = keras.random.uniform((), seed=self.seed_generator) < self.p
        return ops.where(coin, mixed, x)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "p": self.p, "alpha": self.alpha, "eps": self.eps, "seed": self.seed}
