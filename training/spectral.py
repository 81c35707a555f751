"""Spectral decoupling: the classification loss plus a penalty on the logit's square.

Why: a network trained with cross-entropy stops learning once one cue separates the training
films (gradient starvation: the loss of a well-separated film is near zero, and so is its
gradient for every other feature). Guangzhou's films are separated at logits of -6 and +7 by
whatever Guangzhou's films carry; a held-out hospital's films sit between those classes. The
penalty lets a film already right rest at a moderate logit (``resting_logit``), so that films
already right keep pushing on the features that are not yet used (Pezeshki et al., "Gradient
Starvation", NeurIPS 2021: ``loss = cross-entropy + strength / 2 * logit ** 2``).

``--spectral S`` in ``training.train``; the penalty is on the pneumonia head's logit only.
"""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="pneumoscan")
class SpectralDecoupling(keras.losses.Loss):
    """Binary cross-entropy on logits plus ``strength / 2`` times the logit's square, per film.

    Per-film, so that the class-balancing sample weights weigh the penalty as they weigh the
    cross-entropy."""

    def __init__(self, strength: float, name: str = "spectral_decoupling", **kwargs) -> None:
        if strength < 0:
            raise ValueError(f"strength {strength}: a negative penalty would reward large logits")
        super().__init__(name=name, **kwargs)
        self.strength = float(strength)

    def call(self, y_true, y_pred):
        y_true = keras.ops.cast(y_true, y_pred.dtype)
        if len(y_true.shape) < len(y_pred.shape):  # the training sets give one label a film
            y_true = keras.ops.expand_dims(y_true, -1)
        bce = keras.ops.binary_crossentropy(y_true, y_pred, from_logits=True)
        return keras.ops.mean(bce + 0.5 * self.strength * keras.ops.square(y_pred), axis=-1)

    def get_config(self) -> dict:
        return {**super().get_config(), "strength": self.strength}


def resting_logit(strength: float) -> float:
    """Where the penalty stops a correctly classified film's logit: ``sigmoid(-z) = strength * z``.

    For ``strength > 0``; without the penalty a right film's logit never rests."""
    from scipy.optimize import brentq
    from scipy.special import expit

    return float(brentq(lambda z: expit(-z) - strength * z, 0.0, 1.0 / strength))
