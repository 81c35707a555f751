"""Background swap: the label stays with the lungs, the surroundings come from another film."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from training.background_swap import film_masks, swap, swapped  # noqa: E402

H = W = 8


def _films(n: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Film i is all grey level 10 * (i + 1); its lungs are a different block for each film."""
    imgs = np.stack([np.full((H, W, 1), 10 * (i + 1), np.uint8) for i in range(n)])
    masks = np.zeros((n, H, W, 1), np.uint8)
    for i in range(n):
        masks[i, 1 + i : 4 + i, 1:5] = 1
    return imgs, masks


@pytest.mark.parametrize("take", [(True, True, True), (True, False, True), (False, False, False)])
def test_a_taken_film_keeps_its_lungs_and_gets_the_next_films_surroundings(take):
    imgs, masks = _films()
    out = np.asarray(swap(imgs, masks, np.array(take)))
    for i, taken in enumerate(take):
        own, donor = imgs[i], imgs[i - 1]  # the batch is rolled by one: film i's donor is film i-1
        lungs, donor_lungs = masks[i] == 1, masks[i - 1] == 1
        assert np.array_equal(out[i][lungs], own[lungs])  # the lungs never change
        if not taken:
            assert np.array_equal(out[i], own)
            continue
        outside = ~lungs & ~donor_lungs
        assert np.array_equal(out[i][outside], donor[outside])
        # where the donor's own lungs lie outside this film's lungs, this film's pixels stay
        assert np.array_equal(out[i][donor_lungs & ~lungs], own[donor_lungs & ~lungs])


@pytest.mark.parametrize("chance", [0.0, 1.0])
def test_the_pipeline_keeps_every_film_with_its_own_label(chance):
    import tensorflow as tf

    imgs, masks = _films(6)
    labels = np.arange(6, dtype=np.float32)  # each film's label says which film it is
    ds = tf.data.Dataset.zip(
        (
            tf.data.Dataset.from_tensor_slices((imgs, {"logit": labels}, {"logit": labels})),
            tf.data.Dataset.from_tensor_slices(masks),
        )
    )
    out = list(swapped(ds, chance, batch=3).as_numpy_iterator())
    assert len(out) == 6
    changed = 0
    for img, target, _ in out:
        k = int(target["logit"])
        assert np.array_equal(img[masks[k] == 1], imgs[k][masks[k] == 1])  # its own lungs
        changed += not np.array_equal(img, imgs[k])
    assert changed == (6 if chance else 0)


class _Segmenter:
    """Stands in for a trained segmenter: two lung-shaped blobs, or nothing for a blank film."""

    input_shape = (None, 32, 32, 1)

    def __call__(self, x, training=False):
        logits = np.full(x.shape, -8.0, np.float32)
        for i in range(len(x)):
            if x[i].std() > 0.1:  # a film with content: lungs left and right
                logits[i, 6:26, 4:14] = logits[i, 6:26, 18:28] = 8.0
        return logits


def test_film_masks_draws_lungs_and_swaps_nothing_where_it_finds_none():
    rng = np.random.default_rng(0)
    x = np.stack([rng.integers(0, 255, (64, 64, 1)).astype(np.uint8), np.full((64, 64, 1), 7, np.uint8)])
    masks, found = film_masks(x, _Segmenter())
    assert found == 1 and masks.shape == x.shape and masks.dtype == np.uint8
    assert masks[0, 24, 16, 0] == 1 and masks[0, 24, 32, 0] == 0  # a lung; the mediastinum
    assert masks[0, 1, 1, 0] == 0 and 0.2 < masks[0].mean() < 0.7
    assert masks[1].all()  # no lungs found: the film keeps its own surroundings


@pytest.mark.parametrize("held", ["montgomery", "shenzhen"])
def test_the_swap_draws_a_held_out_runs_masks_with_the_segmenter_that_never_saw_that_hospital(tmp_path, held):
    from training.train import TrainConfig, segmenter_for

    for name in ("segmenter-without-montgomery.keras", "segmenter-without-shenzhen.keras"):
        (tmp_path / name).write_bytes(b"")
    cfg = TrainConfig(background_swap=0.5, swap_segmenter=str(tmp_path), hold_out_hospital=held)
    assert segmenter_for(cfg, cfg.swap_segmenter) == tmp_path / f"segmenter-without-{held}.keras"


def test_background_swap_without_a_segmenter_says_what_is_missing():
    from training.background_swap import setup
    from training.train import TrainConfig

    with pytest.raises(SystemExit, match="--swap-segmenter"):
        setup(TrainConfig(background_swap=0.5), np.zeros((1, 8, 8, 1), np.uint8))


@pytest.mark.slow
def test_a_run_with_background_swap_trains_and_says_how_many_films_had_lungs(tmp_path, capsys):
    from tests.shared import data_dir
    from training.lungs import build_unet
    from training.train import TrainConfig, run

    segmenter = tmp_path / "segmenter.keras"
    build_unet(32, widths=(4, 8, 8, 8)).save(segmenter)
    cfg = TrainConfig(
        data=str(data_dir() / "chest_xray" / "train"),
        out=str(tmp_path / "runs"),
        epochs=1,
        steps=2,
        limit=16,
        background_swap=0.5,
        swap_segmenter=str(segmenter),
    )
    run_dir = run(cfg)
    assert (run_dir / "best.keras").exists()
    assert "background swap: lungs found in" in capsys.readouterr().out
