"""Issue 10: hangs, crashes, memory and silent wrong results from hostile inputs and manifests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pneumoscan import cli
from pneumoscan.errors import LoadError, ModelError
from pneumoscan.model.manifest import sha256_file
from pneumoscan.reading.loader import load_image
from pneumoscan.screener import Screener
from tests.dicom_factory import gradient, make_dataset, save, write_dicom
from tests.model_factory import build_tiny_onnx, write_manifest
from tests.shared import REPO


def finishes(fn, seconds: float = 20.0):
    """Run ``fn`` in a thread; fail (instead of hanging the suite) if it does not return."""
    box: dict = {}

    def target() -> None:
        try:
            box["v"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            box["e"] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), "hung"
    if "e" in box:
        raise box["e"]
    return box.get("v")


def test_fifo_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "scan.dcm"
    os.mkfifo(fifo)
    with pytest.raises(LoadError, match="Not a regular file"):
        finishes(lambda: load_image(fifo))
    assert finishes(lambda: cli.main(["info", str(fifo)])) == 1


def test_large_zero_file_named_dcm_is_judged_from_its_first_kilobytes(tmp_path):
    big = tmp_path / "zeros.dcm"
    with open(big, "wb") as fh:
        fh.truncate(64 * 1024 * 1024)
    with pytest.raises(LoadError, match="Not an image or DICOM"):
        finishes(lambda: load_image(big), 10)


def test_threads_are_clamped_to_the_cpu_count(tiny_manifest, tmp_path, capsys):
    Image.fromarray(gradient(200, 200)).save(tmp_path / "a.png")
    code = cli.main(
        [
            "screen",
            str(tmp_path / "a.png"),
            "-o",
            str(tmp_path / "r.csv"),
            "--threads",
            "1000",
            "--model",
            str(tiny_manifest),
        ]
    )
    assert code == 0 and f"clamped to {os.cpu_count()}" in capsys.readouterr().err


@pytest.mark.parametrize(
    "shape, samples, bits", [((11000, 10880), 3, 8), ((12000, 12000), 1, 16), ((7000, 7000), 4, 16)], ids=str
)
def test_decoded_size_is_capped_before_decoding(tmp_path, shape, samples, bits):
    ds = make_dataset(np.zeros((8, 8), np.uint16 if bits == 16 else np.uint8))
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.BitsAllocated = shape[0], shape[1], samples, bits
    ds.save_as(tmp_path / "huge.dcm", enforce_file_format=True)
    with pytest.raises(LoadError, match="too large"):
        load_image(tmp_path / "huge.dcm")


def test_peak_memory_of_a_large_16_bit_film_stays_under_1_5_gb(tmp_path):
    rng = np.random.default_rng(0)
    write_dicom(tmp_path / "big.dcm", rng.integers(0, 4096, (4300, 3500), dtype=np.uint16), bits_stored=12)
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child of a large pytest
    # process would report its parent's size
    code = (
        "from pneumoscan.reading.loader import load_image; "
        f"load_image({str(tmp_path / 'big.dcm')!r}); "
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert int(out.stdout.strip()) * 1024 < 1.5e9


def degenerate(tmp_path: Path) -> dict[str, Path]:
    files = {}
    for name, px in {
        "black": np.zeros((256, 256), np.uint8),
        "white": np.full((256, 256), 255, np.uint8),
        "one_pixel": np.zeros((1, 1), np.uint8),
        "strip": np.zeros((1, 100000), np.uint8),
    }.items():
        Image.fromarray(px).save(tmp_path / f"{name}.png")
        files[name] = tmp_path / f"{name}.png"
    g = gradient(256, 256, np.uint16)
    for name, kw in {
        "nan_slope": {"slope": float("nan"), "intercept": 0.0},
        "inf_intercept": {"slope": 1.0, "intercept": float("inf")},
        "zero_slope": {"slope": 0.0, "intercept": 0.0},
    }.items():
        files[name] = write_dicom(tmp_path / f"{name}.dcm", g, bits_stored=12, **kw)
    ds = make_dataset(g, bits_stored=12)
    ds.WindowCenter, ds.WindowWidth = "nan", "nan"
    files["nan_window"] = save(ds, tmp_path / "nan_window.dcm")
    return files


def test_degenerate_images_are_never_scored_ok(tiny_manifest, tmp_path):
    files = degenerate(tmp_path)
    results = {r.path.stem: r for r in Screener(tiny_manifest).screen(list(files.values()))}
    for name in ("black", "white", "one_pixel", "strip", "nan_slope", "inf_intercept", "zero_slope"):
        assert results[name].status in ("error", "out_of_scope"), (name, results[name].status)
        assert results[name].reason and results[name].probability is None
    nan_window = results["nan_window"]  # a broken window falls back to a percentile window, with a note
    assert nan_window.ok and any("window is invalid" in n for n in nan_window.notes)


def test_dicom_truncated_before_pixel_data_is_an_error(tmp_path):
    full = write_dicom(tmp_path / "full.dcm", gradient(128, 128))
    data = full.read_bytes()
    cut = data.index(b"\xe0\x7f\x10\x00")  # the Pixel Data tag
    (tmp_path / "cut.dcm").write_bytes(data[:cut])
    with pytest.raises(LoadError, match="truncated") as info:
        load_image(tmp_path / "cut.dcm")
    assert info.value.status == "error"


@pytest.mark.parametrize("fmt", ["TIFF", "GIF"])
def test_multi_page_raster_says_which_page(tmp_path, fmt):
    pages = [Image.fromarray(gradient(128, 128)), Image.fromarray(255 - gradient(128, 128))]
    path = tmp_path / f"multi.{fmt.lower()}"
    pages[0].save(path, format=fmt, save_all=True, append_images=pages[1:])
    img = load_image(path)
    assert any("first one was screened" in n for n in img.notes)


def bad_manifest(tmp_path: Path, change) -> Path:
    d = tmp_path / "m"
    d.mkdir(exist_ok=True)
    build_tiny_onnx(d / "model.onnx")
    path = write_manifest(d)
    data = json.loads(path.read_text())
    text = change(data)
    path.write_text(text if isinstance(text, str) else json.dumps(data))
    return path


BAD = {
    "threshold_string": lambda d: d["thresholds"].update(high_sensitivity="0.3"),
    "threshold_list": lambda d: d["thresholds"].update(high_sensitivity=[0.3]),
    "threshold_null": lambda d: d["thresholds"].update(high_sensitivity=None),
    "threshold_nan": lambda d: (
        "{}".join(json.dumps(d).rsplit("0.3", 1)) and json.dumps(d).replace("0.3", "NaN", 1)
    ),
    "threshold_negative": lambda d: d["thresholds"].update(high_sensitivity=-1),
    "input_empty": lambda d: d.update(input={}),
    "height_text": lambda d: d["input"].update(height="tall"),
    "outputs_list": lambda d: d.update(outputs=["logit"]),
    "model_file_null": lambda d: d.update(model_file=None),
    "model_file_number": lambda d: d.update(model_file=3),
    "manifest_number": lambda d: "42",
    "manifest_null": lambda d: "null",
    "nesting": lambda d: "[" * 100000 + "]" * 100000,
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_manifest_is_a_model_error_and_exit_2(tmp_path, name):
    path = bad_manifest(tmp_path, BAD[name])
    with pytest.raises(ModelError):
        Screener(path)
    Image.fromarray(gradient(200, 200)).save(tmp_path / "a.png")
    assert (
        cli.main(["screen", str(tmp_path / "a.png"), "-o", str(tmp_path / "r.csv"), "--model", str(path)])
        == 2
    )


def test_invalid_utf8_manifest_is_a_model_error(tmp_path):
    path = bad_manifest(tmp_path, lambda d: None)
    path.write_bytes(b'{"version": "\xff\xfe"}')
    with pytest.raises(ModelError, match="unreadable"):
        Screener(path)


def test_upper_case_hash_is_accepted(tmp_path):
    path = bad_manifest(tmp_path, lambda d: d.update(sha256=d["sha256"].upper()))
    assert Screener(path).threshold == pytest.approx(0.3)


def test_pinned_decision_fields_cannot_be_edited(tmp_path):
    from convert.pin import pin

    path = bad_manifest(tmp_path, lambda d: None)
    pin(path.parent)
    assert Screener(path).threshold == pytest.approx(0.3)  # as shipped: accepted
    data = json.loads(path.read_text())
    data["thresholds"]["high_sensitivity"] = 0.9
    path.write_text(json.dumps(data))
    with pytest.raises(ModelError, match="differ from those this model was shipped with"):
        Screener(path)
    assert data["sha256"] == sha256_file(path.parent / "model.onnx")  # the model file itself is intact


def test_multi_frame_file_is_not_read_whole_to_screen_frame_one(tmp_path):
    """180 frames of 512x512 16-bit (94 MB): only frame 1 is read, so peak memory stays far below the file size."""
    ds = make_dataset(np.zeros((512, 512), np.uint16), bits_stored=12)
    ds.NumberOfFrames = 180
    ds.PixelData = np.random.default_rng(0).integers(0, 4096, (180, 512, 512), dtype=np.uint16).tobytes()
    ds.save_as(tmp_path / "multi.dcm", enforce_file_format=True)
    code = (
        "import resource; from pneumoscan.reading.loader import load_image; "
        "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss; "
        f"img = load_image({str(tmp_path / 'multi.dcm')!r}); assert img.pixels.shape == (512, 512); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    grew_mb = int(out.stdout.strip()) / 1024
    assert grew_mb < 60, f"loading frame 1 grew the process by {grew_mb:.0f} MB (file: 94 MB)"
