"""Consistency training (``train --consistency W``): one film, two looks, one answer.

The shipped threshold does not travel: on another batch or hospital the normal films' scores
move up as a whole (the outside report: on the official test the default flagged most normal
films while the ranking held). Augmentation alone teaches the network to *rank* changed films;
it does not ask the score itself to stay put. Here every training film is shown twice, changed
independently by the same augmentation, and the loss adds the Jensen-Shannon divergence between
the two pneumonia probabilities (as AugMix, Hendrycks et al. 2020, does for classes), so a change
of exposure, blur, noise or framing costs the network when it moves the score, not only when it
flips the label. Bounded (at most ln 2 per film), the term weighs most where films sit near the
threshold and little where both looks are confidently the same.
"""

from __future__ import annotations

import keras
import tensorflow as tf

_EPS = 1e-7


def js_binary(logit_a: tf.Tensor, logit_b: tf.Tensor) -> tf.Tensor:
    """Jensen-Shannon divergence (nats) between two Bernoulli distributions given as logits."""
    p = tf.clip_by_value(tf.sigmoid(logit_a), _EPS, 1 - _EPS)
    q = tf.clip_by_value(tf.sigmoid(logit_b), _EPS, 1 - _EPS)
    m = 0.5 * (p + q)

    def kl(a: tf.Tensor, b: tf.Tensor) -> tf.Tensor:
        return a * tf.math.log(a / b) + (1 - a) * tf.math.log((1 - a) / (1 - b))

    return 0.5 * (kl(p, m) + kl(q, m))


class ConsistencyTrainer(keras.Model):
    """Trains ``net`` on pairs of views; evaluates, predicts and is saved as ``net`` alone.

    The supervised loss is the mean over both views (each is a fully augmented film); the
    consistency term is ``weight`` times the mean divergence of the pneumonia head. The subtype
    and any other head are left to their own losses.
    """

    def __init__(self, net: keras.Model, weight: float) -> None:
        super().__init__(name="consistency_trainer")
        self.net = net
        self.weight = float(weight)
        self.gap = keras.metrics.Mean(name="consistency")
        self.total = keras.metrics.Mean(name="loss_with_consistency")

    def call(self, x, training: bool = False):
        return self.net(x, training=training)

    def train_step(self, data):
        (x1, x2), y, weights = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            p1, p2 = self(x1, training=True), self(x2, training=True)
            supervised = 0.5 * (
                self.compute_loss(x=x1, y=y, y_pred=p1, sample_weight=weights, training=True)
                + self.compute_loss(x=x2, y=y, y_pred=p2, sample_weight=weights, training=True)
            )
            gap = tf.reduce_mean(js_binary(p1["logit"], p2["logit"]))
            loss = supervised + self.weight * gap
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.gap.update_state(gap)
        self.total.update_state(loss)
        logs = self.compute_metrics(x1, y, p1, sample_weight=weights)
        logs.pop(self.total.name, None)
        return logs | {"loss": self.total.result(), "consistency": self.gap.result()}

    def test_step(self, data):
        """Validation is one look per film: the pair's trackers have nothing to say there."""
        logs = super().test_step(data)
        return {k: v for k, v in logs.items() if k not in (self.gap.name, self.total.name)}


class SaveBestNet(keras.callbacks.Callback):
    """``ModelCheckpoint(save_best_only)`` for the wrapped network: the run's ``best.keras`` stays
    the plain network that ``convert`` and the evaluations load."""

    def __init__(self, path: str, monitor: str) -> None:
        super().__init__()
        self.path, self.monitor, self.best = path, monitor, -float("inf")

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        value = (logs or {}).get(self.monitor)
        if value is not None and value > self.best:
            self.best = float(value)
            self.model.net.save(self.path)
