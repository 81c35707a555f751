"""The lung mask inside the classifier's graph (training.lung_graph)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from training.lung_graph import POOL, SMALL, STATS_STEP, LungMaskOps, pooled  # noqa: E402
from training.lung_resample import box, cropped, ramp, upsampled  # noqa: E402

OUT, IN = -4.0, 4.0  # segmenter logits: no lung, lung


def _two_lungs() -> np.ndarray:
    lg = np.full((1, 32, 32, 1), OUT, np.float32)
    lg[0, 6:26, 4:13] = IN
    lg[0, 6:26, 19:28] = IN
    return lg


def _mask(lg: np.ndarray) -> np.ndarray:
    return np.asarray(LungMaskOps().soft(lg, (224, 224)))[0, ..., 0] > 0.5


def _cell(m: np.ndarray, row: int, col: int) -> bool:
    """The mask at the centre of a 32x32 map cell."""
    return bool(m[row * POOL + POOL // 2, col * POOL + POOL // 2])


@pytest.mark.parametrize(
    ("hole", "cell"),
    [((slice(12, 18), slice(6, 11)), (15, 8)), ((slice(10, 13), slice(21, 26)), (11, 23))],
)
def test_a_consolidation_inside_a_lung_is_kept(hole, cell):
    """What the segmenter misses inside a lung (lung on all four sides) is never masked away."""
    lg = _two_lungs()
    lg[0, hole[0], hole[1]] = OUT
    m = _mask(lg)
    assert _cell(m, *cell)
    assert not _cell(m, 15, 16)  # the mediastinum between the lungs stays out
    assert not _cell(m, 1, 1) and not _cell(m, 30, 16)  # corners and below the lungs stay out


def test_a_lost_lung_comes_back_mirrored():
    lg = _two_lungs()
    lg[0, :, 19:28] = OUT  # the segmenter lost the whole right side of the image
    m = _mask(lg)
    assert _cell(m, 15, 23) and _cell(m, 8, 20)
    assert not _cell(m, 15, 16)


def test_two_found_lungs_are_not_mirrored():
    lg = _two_lungs()
    lg[0, 6:12, 19:28] = OUT  # the right lung found smaller, but over LOST of the left
    assert not _cell(_mask(lg), 8, 23)


@pytest.mark.parametrize("speck", [(0, 0), (30, 30), (2, 16)])
def test_specks_go_and_only_specks_keeps_the_film_whole(speck):
    lg = _two_lungs()
    lg[0, speck[0], speck[1]] = IN
    assert not _cell(_mask(lg), *speck)
    only = np.full_like(lg, OUT)
    only[0, speck[0], speck[1]] = IN
    assert _mask(only).all()  # no lungs found: the film stays whole


def test_the_layer_blanks_outside_and_keeps_inside():
    rng = np.random.default_rng(0)
    image = rng.uniform(-1, 1, (1, 224, 224, 1)).astype(np.float32)
    lg = _two_lungs()
    out = np.asarray(LungMaskOps()([image, lg]))[0, ..., 0]
    soft = np.asarray(LungMaskOps().soft(lg, (224, 224)))[0, ..., 0]
    inside, outside = soft == 1.0, soft == 0.0
    assert inside.any() and outside.any()
    assert np.allclose(out[inside], image[0, ..., 0][inside], atol=1e-6)
    assert np.allclose(out[outside], -1.0, atol=1e-6)
    edge = ~inside & ~outside  # a ramp: between the film and black
    assert np.allclose(out[edge], (image[0, ..., 0][edge] + 1) * soft[edge] - 1, atol=1e-5)


def test_pooled_is_the_average_of_each_block():
    x = np.arange(2 * 14 * 14, dtype=np.float32).reshape(2, 14, 14, 1)
    p = pooled(x)
    assert p.shape == (2, 2, 2, 1)
    assert p[1, 1, 0, 0] == pytest.approx(x[1, 7:14, 0:7, 0].mean())


@pytest.fixture(
    scope="module",
    params=[
        ("film", False, "conv"),
        ("lungs", False, "conv"),
        ("lungs", True, "conv"),
        ("equalised", True, "conv"),
        ("lungs", True, "patch"),
    ],
)
def masked_model(tmp_path_factory, request):
    """A classifier (random weights) with a small untrained 32 segmenter built in, saved and loaded:
    (intensity, crop, stem)."""
    import keras

    from training.lungs import build_unet
    from training.model import build_model

    d = tmp_path_factory.mktemp("graph")
    build_unet(32, widths=(4, 8)).save(d / "segmenter.keras")
    intensity, crop, stem = request.param
    build_model(
        widths=(8, 8, 8, 8),
        lung_segmenter=str(d / "segmenter.keras"),
        lung_intensity=intensity,
        lung_crop=crop,
        stem=stem,
    ).save(d / "best.keras")
    return d, keras.models.load_model(d / "best.keras"), request.param


def test_the_segmenter_is_frozen_and_survives_save_and_load(masked_model):
    _, model, (intensity, crop, _) = masked_model
    assert model.get_layer("lung_mask").__class__ is LungMaskOps
    assert model.get_layer("lung_mask").intensity == intensity  # kept through save and load
    assert model.get_layer("lung_mask").crop is crop
    assert model.get_layer("lung_mask").stats_step == STATS_STEP
    assert not model.get_layer("lung_unet").trainable
    x = np.random.default_rng(1).uniform(-1, 1, (2, 224, 224, 1)).astype(np.float32)
    assert np.isfinite(np.asarray(model(x, training=False)["logit"])).all()


def test_a_cropping_model_exports_the_box_its_map_covers(masked_model):
    """The export's fifth output is the box the crop read (the app places the map there); a model
    that does not crop has four outputs; cropping models are not averaged (their maps differ in frame)."""
    import keras

    from training.model import ensemble_export, export_model

    _, model, (_, crop, _) = masked_model
    x = np.random.default_rng(4).uniform(-1, 1, (3, 224, 224, 1)).astype(np.float32)
    out = [np.asarray(o) for o in export_model(model)(x, training=False)]
    assert len(out) == (5 if crop else 4)
    if crop:
        logits = keras.Model(model.input, model.get_layer("lung_mask").input[1])(x, training=False)
        (top, bottom), (left, right) = box(model.get_layer("lung_mask").mask(logits), 32, 32)
        assert np.allclose(out[4], np.stack([top, bottom, left, right], axis=1))
        assert np.all((0 <= out[4]) & (out[4] <= 1)) and np.all(out[4][:, 0] < out[4][:, 1])
        with pytest.raises(ValueError, match="no average"):
            ensemble_export([model, model])


@pytest.mark.slow
def test_the_masked_model_exports_to_onnx_with_parity(masked_model, tmp_path):
    import onnx

    from convert.export import export_onnx
    from convert.verify import onnx_outputs

    d, _, (intensity, crop, _) = masked_model
    exported = export_onnx([d / "best.keras"], tmp_path / "model.onnx")
    x = np.random.default_rng(2).uniform(-1, 1, (4, 224, 224, 1)).astype(np.float32)
    want = [np.asarray(o) for o in exported(x, training=False)]
    got = onnx_outputs(tmp_path / "model.onnx", x)
    assert ("cam_box" in got) is crop and len(got) == len(want)
    for w, g in zip(want, got.values()):
        assert np.abs(w - g).max() < 1e-4
    names = [n.name for n in onnx.load(str(tmp_path / "model.onnx")).graph.node]
    scoped = {scope for scope in SMALL if any(f"/{scope}/" in name for name in names)}
    expected = {"lung_cells", "lung_stats" if intensity == "lungs" else "", "lung_box" if crop else ""}
    assert scoped == expected - {""}


def test_lung_graph_is_not_stacked_on_the_other_masks():
    from training.train import TrainConfig, set_crop

    with pytest.raises(SystemExit, match="--lung-graph"):
        set_crop(TrainConfig(lung_graph="seg.keras", lung_mask="seg.keras"))


@pytest.mark.parametrize("step", [1, STATS_STEP])
def test_lungs_standardised_do_not_see_how_bright_the_film_came_out(step):
    """``intensity="lungs"``: a film whose lungs came out brighter and flatter (another hospital's
    surroundings changed the equalisation) gives the classifier the same lungs, whether their
    mean and spread are read on every pixel or on a sample."""
    rng = np.random.default_rng(3)
    image = rng.uniform(-1, 1, (1, 224, 224, 1)).astype(np.float32)
    lg = _two_lungs()
    ops = LungMaskOps(intensity="lungs", stats_step=step)
    a = np.asarray(ops([image, lg]))[0, ..., 0]
    b = np.asarray(ops([0.5 * image + 0.3, lg]))[0, ..., 0]
    inside = np.asarray(ops.soft(lg, (224, 224)))[0, ..., 0] == 1.0
    assert np.allclose(a[inside], b[inside], atol=1e-2)
    assert abs(a[inside].mean()) < 0.05 and abs(a[inside].std() - 0.5) < 0.05
    assert np.allclose(a[~inside & (np.asarray(ops.soft(lg, (224, 224)))[0, ..., 0] == 0)], -1.0)


def test_a_layer_saved_before_the_sampled_statistics_reads_every_pixel():
    """Runs of stop 41 and before saved no ``stats_step``: they load as they were trained."""
    config = LungMaskOps(intensity="lungs").get_config()
    del config["stats_step"]
    assert LungMaskOps.from_config(config).stats_step == 1


def test_a_layer_saved_before_the_margin_grows_its_mask_by_one_cell():
    """Runs of stop 42 and before saved no ``margin``: they load with the one cell they grew by."""
    config = LungMaskOps(intensity="lungs").get_config()
    del config["margin"]
    assert LungMaskOps.from_config(config).margin == 1


@pytest.mark.parametrize("margin", [1, 2, 3])
def test_the_margin_grows_the_mask_by_that_many_cells(margin):
    """A lung's box of cells, closed (unchanged) and grown by ``margin`` cells on every side."""
    lg = _two_lungs()
    on = np.asarray(LungMaskOps(margin=margin).mask(lg))[0, ..., 0]
    rows, cols = np.flatnonzero(on.any(axis=1)), np.flatnonzero(on[:, :16].any(axis=0))
    assert (rows[0], rows[-1]) == (6 - margin, 25 + margin)  # the lungs: rows 6-25, columns 4-12
    assert (cols[0], cols[-1]) == (4 - margin, 12 + margin)


def test_an_unknown_intensity_or_a_negative_margin_is_refused():
    with pytest.raises(ValueError, match="intensity"):
        LungMaskOps(intensity="normalised")
    with pytest.raises(ValueError, match="margin"):
        LungMaskOps(margin=-1)


def _ramp() -> np.ndarray:
    """A film whose value is its column (or, transposed, its row)."""
    return np.tile(np.arange(224, dtype=np.float32)[None, :], (224, 1))[None, ..., None]


@pytest.mark.parametrize(
    ("cells", "size"), [((32, 32), (224, 224)), ((16, 8), (112, 100)), ((32, 32), (8, 12))]
)
def test_the_soft_mask_is_tensorflows_bilinear_resize(cells, size):
    """``upsampled`` (two matrix products, for ONNX Runtime's sake) is ``tf.image.resize``'s
    bilinear, half-pixel resize, upwards and downwards, edges clamped as it clamps them."""
    import tensorflow as tf

    on = (np.random.default_rng(3).uniform(size=(3, *cells, 1)) > 0.5).astype(np.float32)
    want = tf.image.resize(on, size, method="bilinear").numpy()
    got = upsampled(tf.constant(on), ramp(size[0], cells[0]), ramp(size[1], cells[1])).numpy()
    assert got.shape == want.shape
    assert np.allclose(got, want, atol=1e-5)


@pytest.mark.parametrize("axis", [1, 2])
def test_the_crop_stretches_the_lungs_box_over_the_film(axis):
    """A mask over cells 8-23 (pixels 56-167) crops there: the first output pixel samples
    near 56, the last near 167, evenly between."""
    import tensorflow as tf

    film = _ramp() if axis == 2 else np.swapaxes(_ramp(), 1, 2)
    on = np.zeros((1, 32, 32, 1), np.float32)
    on[0, 8:24, 8:24] = 1
    out = np.asarray(cropped(tf.constant(film), tf.constant(on), (224, 224, 32, 32)))[0, ..., 0]
    line = out[0] if axis == 2 else out[:, 0]
    assert line[0] == pytest.approx(55.75) and line[-1] == pytest.approx(167.25)
    assert np.allclose(np.diff(line), 0.5)  # 112 pixels over 224: a half-pixel step


def test_the_crop_matches_tensorflows_resize_of_each_films_own_box():
    """Films of one batch with different boxes: each is its own box resized by
    ``tf.image.resize`` (bilinear, half-pixel), but for the outermost output pixels (two at the
    narrowest box's 4.6x stretch), which read one pixel beyond the box where ``tf.image.resize``
    clamps to it."""
    import tensorflow as tf

    rng = np.random.default_rng(5)
    image = rng.uniform(-1, 1, (3, 224, 224, 1)).astype(np.float32)
    boxes = [(8, 24, 4, 30), (0, 32, 0, 32), (3, 19, 10, 17)]  # cells: top, bottom, left, right
    on = np.zeros((3, 32, 32, 1), np.float32)
    for k, (t, b, lf, r) in enumerate(boxes):
        on[k, t:b, lf:r] = 1
    out = np.asarray(cropped(tf.constant(image), tf.constant(on), (224, 224, 32, 32)))
    for k, (t, b, lf, r) in enumerate(boxes):
        box = image[k : k + 1, POOL * t : POOL * b, POOL * lf : POOL * r]
        want = np.asarray(tf.image.resize(box, (224, 224), method="bilinear"))[0]
        assert np.allclose(out[k, 2:-2, 2:-2], want[2:-2, 2:-2], atol=1e-5), boxes[k]


def test_the_crop_keeps_a_film_without_lungs_whole_and_fills_it_with_lungs():
    rng = np.random.default_rng(4)
    image = rng.uniform(-1, 1, (2, 224, 224, 1)).astype(np.float32)
    lg = np.concatenate([_two_lungs(), np.full((1, 32, 32, 1), OUT, np.float32)])
    out = np.asarray(LungMaskOps(crop=True)([image, lg]))
    assert np.allclose(out[1], image[1], atol=1e-5)  # no lungs found: unchanged
    black = lambda a: (a[0, ..., 0] <= -0.999).mean()  # noqa: E731
    assert black(out) < 0.5 * black(np.asarray(LungMaskOps()([image, lg])))


def test_lung_graph_crop_is_a_switch_on_the_command_line(monkeypatch):
    from training import train

    seen = []
    monkeypatch.setattr(train, "run", lambda cfg: seen.append(cfg) or "run")
    train.main(["--lung-graph-crop", "--no-eval"])
    train.main(["--no-eval"])
    assert [c.lung_graph_crop for c in seen] == [True, False]


def test_equalised_lungs_spread_evenly_whatever_curve_the_film_came_through():
    """``intensity="equalised"``: the lungs' levels uniform over [-1, 1], and the same after any
    brightening curve (standardising only undoes a straight line)."""
    rng = np.random.default_rng(5)
    image = np.tanh(rng.normal(0.3, 0.3, (1, 224, 224, 1))).astype(np.float32)
    lg = _two_lungs()
    ops = LungMaskOps(intensity="equalised")
    a = np.asarray(ops([image, lg]))[0, ..., 0]
    curved = ((image + 1) / 2) ** 0.5 * 2 - 1  # a gamma: brighter, flatter
    b = np.asarray(ops([curved.astype(np.float32), lg]))[0, ..., 0]
    soft = np.asarray(ops.soft(lg, (224, 224)))[0, ..., 0]
    inside = soft == 1.0
    assert np.allclose(np.percentile(a[inside], [10, 50, 90]), [-0.8, 0.0, 0.8], atol=0.05)
    assert np.abs(a - b)[inside].mean() < 0.02
    assert np.allclose(a[soft == 0], -1.0)
