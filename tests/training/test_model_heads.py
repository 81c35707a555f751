"""The two-head model: the 14x14 CAM is exact (its mean is the logit) and both heads export."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from training.model import build_model, ensemble_export, export_model  # noqa: E402


@pytest.mark.parametrize(("members", "stem"), [(1, "conv"), (2, "conv"), (1, "patch")])
def test_cam_is_14x14_and_exact(members, stem):
    models = [build_model(stem=stem) for _ in range(members)]
    exported = export_model(models[0]) if members == 1 else ensemble_export(models)
    x = np.random.default_rng(0).uniform(-1, 1, (3, 224, 224, 1)).astype(np.float32)
    logit, cam, features, subtype = (np.asarray(o) for o in exported(x, training=False))
    assert cam.shape == (3, 14, 14, 1)
    assert np.abs(cam.mean(axis=(1, 2, 3)) - logit[:, 0]).max() < 1e-5
    assert features.shape == (3, 384 * members) and subtype.shape == (3, 1)
    trained = models[0](x, training=False)
    if members == 1:
        assert np.allclose(np.asarray(trained["logit"]), logit, atol=1e-5)
        assert np.allclose(np.asarray(trained["subtype"]), subtype, atol=1e-5)


def test_the_patch_stem_reads_4x4_patches_straight_to_56():
    model = build_model(stem="patch")
    assert model.get_layer("stem_conv").kernel_size == (4, 4) and model.get_layer("stem_conv").strides == (
        4,
        4,
    )
    assert model.get_layer("stem_relu").output.shape[1:3] == (56, 56)
    assert "stem_pool" not in [layer.name for layer in model.layers]
    with pytest.raises(ValueError, match="stem"):
        build_model(stem="s2d")


@pytest.mark.parametrize("scale", [0.0, 0.5, 1.0])
def test_gradient_reversal_is_identity_forward_and_flips_the_gradient(scale):
    import tensorflow as tf

    from training.model import GradientReversal

    layer = GradientReversal()
    x = tf.constant(np.random.default_rng(1).normal(size=(4, 8)).astype(np.float32))
    layer.build(x.shape)
    layer.scale.assign(scale)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x)
        loss = tf.reduce_sum(3.0 * y)
    assert np.allclose(y.numpy(), x.numpy(), atol=1e-6)
    assert np.allclose(tape.gradient(loss, x).numpy(), -3.0 * scale, atol=1e-6)


def test_the_hospital_head_is_training_only():
    model = build_model(hospitals=4)
    assert model.output["hospital"].shape[-1] == 4
    x = np.zeros((1, 224, 224, 1), np.float32)
    assert len(export_model(model)(x, training=False)) == 4  # logit, cam, features, subtype: no hospital
