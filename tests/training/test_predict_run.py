"""A folder that is not a training run gets a clear message, before TensorFlow loads."""

from __future__ import annotations

import pytest

from training.predict_run import main


@pytest.mark.parametrize("present", [[], ["config.json"], ["best.keras"]])
def test_a_folder_without_a_run_is_refused_with_its_name(tmp_path, present):
    for name in present:
        (tmp_path / name).write_text("{}")
    with pytest.raises(SystemExit) as err:
        main([str(tmp_path)])
    missing = "best.keras" if "best.keras" not in present else "config.json"
    assert str(tmp_path) in str(err.value) and f"no {missing}" in str(err.value)


def _run(tmp_path, lung_mask: str):
    import json

    run = tmp_path / "run"
    run.mkdir()
    (run / "best.keras").write_bytes(b"weights")
    (run / "config.json").write_text(json.dumps({"lung_mask": lung_mask, "seed": 7}))
    return run


def test_resegmented_copies_the_run_with_its_segmenter_replaced(tmp_path):
    import json

    from training.predict_run import resegmented

    seg = tmp_path / "seg64.keras"
    seg.write_bytes(b"")
    out = resegmented(_run(tmp_path, "runs/lungs-x/segmenter.keras"), seg, tmp_path / "copy")
    assert (out / "best.keras").read_bytes() == b"weights"
    assert json.loads((out / "config.json").read_text()) == {"lung_mask": str(seg), "seed": 7}


@pytest.mark.parametrize(
    ("lung_mask", "segmenter_exists", "reason"),
    [("", True, "not a --lung-mask run"), ("runs/lungs-x/segmenter.keras", False, "no such segmenter")],
)
def test_resegmented_refuses_what_it_cannot_copy(tmp_path, lung_mask, segmenter_exists, reason):
    from training.predict_run import resegmented

    seg = tmp_path / "seg64.keras"
    if segmenter_exists:
        seg.write_bytes(b"")
    with pytest.raises(SystemExit, match=reason):
        resegmented(_run(tmp_path, lung_mask), seg, tmp_path / "copy")
    assert not (tmp_path / "copy").exists()


def test_resegmented_never_writes_over_the_run_it_copies(tmp_path):
    from training.predict_run import resegmented

    run = _run(tmp_path, "runs/lungs-x/segmenter.keras")
    seg = tmp_path / "seg64.keras"
    seg.write_bytes(b"")
    with pytest.raises(SystemExit, match="a folder of its own"):
        resegmented(run, seg, tmp_path / "run" / ".." / "run")
    assert "lungs-x" in (run / "config.json").read_text()


@pytest.mark.parametrize("flags", [["--lung-mask", "seg.keras"], ["--out", "copy"]])
def test_lung_mask_and_out_go_together(tmp_path, flags):
    with pytest.raises(SystemExit):
        main([str(_run(tmp_path, "seg.keras")), *flags])
