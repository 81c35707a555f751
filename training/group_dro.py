"""Group DRO made coarse: after each epoch, weigh up the (hospital, class) groups the model does worst on.

Balanced weights (``training.sources``) give each hospital and class a fixed share of the loss, so
the easy majority (Guangzhou, whose films the model separates almost perfectly) still sets what the
network learns. Group DRO (Sagawa et al., 2020) instead minimises the worst group's loss by
exponentiated-gradient weights on the groups; here the weights move once per epoch, from each
group's loss on a fixed sample of its training films seen without augmentation, and scale the
balanced weights inside the input pipeline (a variable the tf.data map reads). Issue 18, item 3
("source-balanced training"): measured leave one hospital out, kept only if it improves that.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PROBE_PER_GROUP = 150


def group_ids(films: list) -> tuple[np.ndarray, list[tuple[str, int]]]:
    """Each film's group index, and the groups (hospital, label) in index order."""
    names = sorted({(f.hospital, int(f.label)) for f in films})
    index = {g: i for i, g in enumerate(names)}
    return np.array([index[(f.hospital, int(f.label))] for f in films], dtype=np.int32), names


def probe_indices(groups: np.ndarray, per_group: int = PROBE_PER_GROUP, seed: int = 0) -> np.ndarray:
    """A fixed sample of each group's films on which its loss is measured every epoch."""
    rng = np.random.default_rng(seed)
    picks = [
        rng.choice(np.flatnonzero(groups == g), min(per_group, int((groups == g).sum())), replace=False)
        for g in np.unique(groups)
    ]
    return np.sort(np.concatenate(picks))


def group_losses(logits: np.ndarray, labels: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Mean binary cross-entropy per group (a group without probe films counts 0)."""
    z = logits.astype(np.float64)
    bce = np.maximum(z, 0) - z * labels + np.log1p(np.exp(-np.abs(z)))
    sums = np.bincount(groups, weights=bce, minlength=n_groups)
    counts = np.bincount(groups, minlength=n_groups)
    return np.divide(sums, counts, out=np.zeros(n_groups), where=counts > 0)


def updated(q: np.ndarray, losses: np.ndarray, eta: float) -> np.ndarray:
    """Exponentiated-gradient step on the group weights; they stay a distribution."""
    w = q * np.exp(eta * (losses - losses.max()))
    return w / w.sum()


class GroupWeights:
    """The groups' loss multipliers (mean 1 over groups), held in a variable the input pipeline reads."""

    def __init__(self, n_groups: int, eta: float):
        import tensorflow as tf

        self.eta = eta
        self.q = np.full(n_groups, 1.0 / n_groups)
        self.variable = tf.Variable(np.ones(n_groups, np.float32), trainable=False)

    def scale(self, group):
        import tensorflow as tf

        return tf.gather(self.variable, group)

    def step(self, losses: np.ndarray) -> np.ndarray:
        self.q = updated(self.q, losses, self.eta)
        self.variable.assign((self.q * len(self.q)).astype(np.float32))
        return self.q


def callback(weights: GroupWeights, x_probe, y_probe: np.ndarray, g_probe: np.ndarray, names: list):
    """A Keras callback that measures the groups' losses and moves the weights after each epoch."""
    import keras

    from training import dataset

    class GroupDRO(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs=None) -> None:
            logits = self.model.predict(dataset.eval_dataset(x_probe), verbose=0)["logit"][:, 0]
            losses = group_losses(logits, y_probe, g_probe, len(names))
            q = weights.step(losses)
            text = ", ".join(f"{h}/{y}: loss {lo:.3f} q {w:.2f}" for (h, y), lo, w in zip(names, losses, q))
            print(f"group DRO after epoch {epoch + 1}: {text}", flush=True)

    return GroupDRO()


@dataclass
class Setup:
    groups: np.ndarray
    weights: GroupWeights
    callback: object


def setup(films: list, x: np.ndarray, y: np.ndarray, eta: float, seed: int) -> Setup:
    """Groups, their weights and the callback that moves them, for one training run."""
    groups, names = group_ids(films)
    probe = probe_indices(groups, seed=seed)
    weights = GroupWeights(len(names), eta)
    print(f"group DRO over {len(names)} groups, {len(probe)} probe films, eta {eta}", flush=True)
    return Setup(
        groups, weights, callback(weights, x[probe], y[probe].astype(np.float64), groups[probe], names)
    )
