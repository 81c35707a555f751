"""The lung box (training.lungs) and the hospital part of the gate's training set (training.scope_hospitals)."""

from __future__ import annotations

import numpy as np
import pytest

from pneumoscan.scope.classes import GATE_CLASSES
from training import scope_hospitals
from training.lungs import lung_box, lung_mask, masked


@pytest.mark.parametrize(
    ("rows", "cols", "expected"),
    [
        ((20, 80), (10, 90), (0.2 - 0.08, 0.1 - 0.08, 0.8 + 0.08, 0.9 + 0.08)),
        ((0, 100), (0, 100), (0.0, 0.0, 1.0, 1.0)),  # the margin never leaves the image
    ],
)
def test_lung_box_is_the_lungs_plus_a_margin(rows, cols, expected):
    prob = np.zeros((100, 100))
    prob[rows[0] : rows[1], cols[0] : cols[1]] = 0.9
    assert lung_box(prob) == pytest.approx(expected)


def test_no_lungs_found_means_no_crop():
    prob = np.zeros((100, 100))
    prob[:5, :5] = 0.9  # under 8% of the image
    assert lung_box(prob) is None


def _two_lungs(size: int = 128) -> np.ndarray:
    prob = np.zeros((size, size))
    prob[20:110, 15:55] = 0.9
    prob[20:110, 73:113] = 0.9
    return prob


def test_mask_brings_back_a_lung_lost_to_consolidation():
    prob = _two_lungs()
    prob[20:110, 73:113] = 0.1  # the segmenter missed the whole right side of the image
    prob[60:80, 25:45] = 0.2  # and a dense patch inside the left lung
    m = lung_mask(prob, (128, 128), dilate=0.0)
    assert m[30:100, 80:105].all()  # mirrored back
    assert m[60:80, 25:45].all()  # the hole is filled
    assert not m[:10].any() and not m[:, :5].any()  # outside the lungs stays out


@pytest.mark.parametrize("mirror", ["midline", "lost"])
@pytest.mark.parametrize("shift", [-12, 0, 9])
def test_mirror_is_about_the_patients_midline_not_the_images(shift, mirror):
    """A film shifted on its detector: the mirror must not bring the mediastinum back as lung."""
    prob = np.roll(_two_lungs(), shift, axis=1)
    prob[20:60, 73 + shift : 113 + shift] = 0.1  # the upper right lung lost to consolidation
    m = lung_mask(prob, (128, 128), dilate=0.0, mirror=mirror)
    assert m[25:105, 20 + shift : 50 + shift].all() and m[25:105, 78 + shift : 108 + shift].all()
    assert not m[:, 58 + shift : 70 + shift].any()  # the gap between the lungs stays out


def _tilted_lungs(size: int = 128, slope: float = 0.25) -> np.ndarray:
    """Two whole lungs of a patient rotated on the detector: each column band leans with the rows."""
    rows, cols = np.mgrid[:size, :size]
    lean = cols - slope * (rows - size / 2)
    return np.where(((lean >= 15) & (lean < 55)) | ((lean >= 73) & (lean < 113)), 0.9, 0.0) * (
        (rows >= 20) & (rows < 110)
    )


@pytest.mark.parametrize(("mirror", "widened"), [("midline", True), ("lost", False), ("none", False)])
def test_a_rotated_films_whole_lungs_are_mirrored_only_by_the_midline_rule(mirror, widened):
    """Mirrored about a vertical line, a tilted lung lands beside its partner: the mask widens into
    the mediastinum. With both lungs found whole nothing is lost, so only ``midline`` mirrors."""
    prob = _tilted_lungs()
    m = lung_mask(prob, (128, 128), dilate=0.0, mirror=mirror)
    assert m[64, 58:70].all() if widened else not m[64, 58:70].any()  # the gap between the lungs
    assert m.sum() > 1.3 * (prob > 0.5).sum() if widened else m.sum() < 1.1 * (prob > 0.5).sum()


@pytest.mark.parametrize(("mirror", "brought_back"), [("midline", True), ("lost", True), ("none", False)])
def test_a_lung_lost_to_consolidation_comes_back_unless_the_mirror_is_off(mirror, brought_back):
    prob = _two_lungs()
    prob[20:110, 73:113] = 0.1  # the whole right side of the image lost
    m = lung_mask(prob, (128, 128), dilate=0.0, mirror=mirror)
    assert m[30:100, 80:105].all() == brought_back and m[30:100, 20:50].all()


def test_an_unknown_mirror_rule_is_refused():
    with pytest.raises(ValueError, match="mirror must be one of"):
        lung_mask(_two_lungs(), (128, 128), mirror="tilted")


@pytest.mark.parametrize(("shape", "speck"), [((128, 128), True), ((512, 400), False)])
def test_mask_has_the_films_size_and_drops_specks(shape, speck):
    prob = _two_lungs()
    if speck:
        prob[2:6, 60:64] = 0.9  # 16 pixels: a speck, not a lung
    m = lung_mask(prob, shape, dilate=0.0)
    assert m.shape == shape and m.dtype == bool
    assert not m[: shape[0] // 32].any()


@pytest.mark.parametrize("specks", [False, True])
def test_no_lungs_found_means_no_mask(specks):
    prob = np.zeros((128, 128))
    if specks:  # over 8% of the image in all, every piece under the speck size
        for dy in (0, 1):
            for dx in (0, 1):
                prob[dy::6, dx::6] = 0.9  # 2x2 blocks, 4 pixels apart: 11% of the image
    else:
        prob[:10, :10] = 0.9
    assert lung_mask(prob, (200, 200)) is None


def test_masked_film_is_black_outside_and_cropped_to_the_lungs():
    pixels = np.full((10, 10), 200, np.uint8)
    pixels[0, 0] = 5
    mask = np.zeros((10, 10), bool)
    mask[2:8, 3:9] = True
    mask[4, 5] = False
    out = masked(pixels, mask)
    assert out.shape == (6, 6)
    assert out[2, 2] == 5 and (out[mask[2:8, 3:9]] == 200).all()


def _films(kids: int, adults: int, other: int) -> list[dict]:
    films = [
        {"path": f"k{i}", "hospital": "shenzhen", "age": 6.0, "child": True, "train": True}
        for i in range(kids)
    ]
    films += [
        {"path": f"a{i}", "hospital": "shenzhen", "age": 40.0, "child": False, "train": True}
        for i in range(adults)
    ]
    films += [
        {"path": f"m{i}", "hospital": "montgomery", "age": None, "child": None, "train": False}
        for i in range(other)
    ]
    return films


def test_folds_spread_children_and_adults_and_never_montgomery():
    films = _films(10, 25, 7)
    folds = scope_hospitals.fold_of(films)
    assert (folds[-7:] == -1).all()
    for k in range(scope_hospitals.FOLDS):
        assert (folds[:10] == k).sum() == 2 and (folds[10:35] == k).sum() == 5


@pytest.mark.parametrize("held", [None, 0, 3])
def test_training_part_balances_children_by_copies_and_leaves_the_fold_out(held):
    films = _films(10, 25, 7)
    n = len(films)
    c = {
        "x_hosp": np.arange(n, dtype=np.float32).reshape(n, 1, 1, 1),
        "a_hosp_kids": np.full((10 * scope_hospitals.CHILD_COPIES, 1, 1, 1), -1, np.float32),
        "a_hosp_adults": np.full((25, 1, 1, 1), -2, np.float32),
    }
    x, y = scope_hospitals.training_part(c, films, held)
    kept = 35 if held is None else 28
    kids = 10 if held is None else 8
    assert len(x) == kept + kids * scope_hospitals.CHILD_COPIES + (25 if held is None else 20)
    child, adult = GATE_CLASSES.index("paediatric_chest"), GATE_CLASSES.index("adult_chest")
    assert set(y.tolist()) == {child, adult}
    assert not set(x[:kept, 0, 0, 0].astype(int)) & set(range(35, n))  # Montgomery never trained on


def test_summary_uses_the_convert_rule_and_groups_by_age():
    rng = np.random.default_rng(0)
    val = np.c_[rng.uniform(0.9, 1.0, 1000), np.zeros((1000, 4))]
    scores = {
        "val": val.tolist(),
        "val_shifted": val.tolist(),
        "hospitals": {
            "k": {"hospital": "shenzhen", "age": 6.0, "probs": [0.99, 0, 0, 0, 0]},
            "a": {"hospital": "shenzhen", "age": 50.0, "probs": [0.01, 0.99, 0, 0, 0]},
            "m": {"hospital": "montgomery", "age": None, "probs": [0.5, 0.5, 0, 0, 0]},
        },
    }
    out = scope_hospitals.summary(scores)
    assert out["threshold"] == pytest.approx(np.quantile(val[:, 0], 0.002))
    assert out["shenzhen, children 1-10"]["refused"] == 0
    assert out["shenzhen, adults"]["refused"] == 1 and out["montgomery, age not given"]["refused"] == 1


@pytest.mark.parametrize(
    ("held", "expected"),
    [("montgomery", "segmenter-without-montgomery.keras"), ("", "segmenter.keras")],
)
def test_lung_mask_folder_gives_a_held_out_run_the_segmenter_that_never_saw_it(tmp_path, held, expected):
    from training.train import TrainConfig, segmenter_for

    for name in ("segmenter.keras", "segmenter-without-montgomery.keras"):
        (tmp_path / name).write_bytes(b"")
    assert segmenter_for(TrainConfig(lung_mask=str(tmp_path), hold_out_hospital=held)) == tmp_path / expected
    single = tmp_path / "segmenter.keras"
    assert segmenter_for(TrainConfig(lung_mask=str(single), hold_out_hospital=held)) == single
    with pytest.raises(SystemExit, match="segmenter-without-shenzhen"):
        segmenter_for(TrainConfig(lung_mask=str(tmp_path), hold_out_hospital="shenzhen"))


def test_lung_kept_counts_true_lung_inside_the_mask():
    from training.lungs import _lung_kept

    truth = (_two_lungs() > 0.5)[None, ..., None].astype(np.float32)
    good = _two_lungs()[None, ..., None]
    half = good.copy()
    half[0, 65:, :, 0] = 0.0  # the lower halves missed, and not on both sides: the mirror cannot help
    kept = _lung_kept(np.concatenate([good, half]), np.concatenate([truth, truth]))
    assert kept[0] == pytest.approx(1.0)
    assert 0.5 < kept[1] < 0.95


class _FakeSegmenter:
    def __init__(self, n: int) -> None:
        self.n = n

    def predict(self, x, verbose=0):
        return np.zeros((len(x), *x.shape[1:3], 1), np.float32)

    def save(self, path) -> None:
        path.write_text(str(self.n))


@pytest.mark.parametrize(
    ("flags", "trained_on", "files"),
    [
        (
            [],
            [4, 6, 10],
            ["loho_dice.json", "segmenter-without-montgomery.keras", "segmenter-without-shenzhen.keras"],
        ),
        (["--all-only"], [10], []),
        (["--all-only", "--size", "64"], [10], []),
    ],
)
def test_lungs_main_trains_the_hold_out_pair_unless_all_only(tmp_path, monkeypatch, flags, trained_on, files):
    """--all-only skips the hold-out pair (and its Dice report) and keeps the segmenter on every mask;
    --size loads the masks at another side."""
    from training import lungs

    x = np.zeros((10, 8, 8, 1), np.float32)
    hs = ["montgomery"] * 6 + ["shenzhen"] * 4
    loaded = []
    monkeypatch.setattr(lungs, "load_masks", lambda data, size: loaded.append(size) or (x, x.copy(), hs))
    sizes = []
    monkeypatch.setattr(
        lungs, "train", lambda xs, ms, epochs, **kw: sizes.append(len(xs)) or _FakeSegmenter(len(xs))
    )
    lungs.main(["--out", str(tmp_path), *flags])
    (run,) = tmp_path.iterdir()
    assert sizes == trained_on
    assert loaded == [64 if "64" in flags else lungs.SIZE]
    assert sorted(p.name for p in run.iterdir()) == sorted([*files, "segmenter.keras"])
    assert (run / "segmenter.keras").read_text() == "10"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shift_aug_moves_the_mask_with_the_film(seed):
    """--shift-aug: the film and its mask share one geometry, the mask stays binary and the film
    comes out equalised; a film that is its own mask (bright lungs on black) must still match it."""
    import tensorflow as tf

    from training.lungs import _augment_shifted

    m = (_two_lungs() > 0.5).astype(np.float32)[..., None]
    x = np.where(m > 0, 0.8, -0.8).astype(np.float32)
    film, mask = (t.numpy() for t in _augment_shifted(tf.constant(x), tf.constant(m), tf.constant([seed, 3])))
    assert film.shape == mask.shape == m.shape
    assert set(np.unique(mask)) <= {0.0, 1.0} and 0.05 < mask.mean() < 0.95  # zoomed, never lost
    assert film.min() >= -1 and film.max() <= 1
    assert film[mask > 0].mean() > film[mask == 0].mean() + 0.5


@pytest.mark.parametrize("mirror", ["midline", "lost"])
def test_a_masked_run_masks_with_its_own_mirror_rule(tmp_path, monkeypatch, mirror):
    from training import dataset, lungs
    from training.train import TrainConfig, set_crop

    (tmp_path / "segmenter.keras").write_bytes(b"")
    made = []
    monkeypatch.setattr(lungs, "LungMasker", lambda seg, mirror: made.append((seg, mirror)) or "masker")
    monkeypatch.setattr(dataset, "CROP", None)
    set_crop(TrainConfig(lung_mask=str(tmp_path), lung_mirror=mirror))
    assert made == [(tmp_path / "segmenter.keras", mirror)] and dataset.CROP == "masker"
