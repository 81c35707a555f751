"""Issue 10, data loss: the report never overwrites an input, never loses the batch, keeps every name."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pneumoscan import cli
from pneumoscan.errors import LoadError
from pneumoscan.outputs.csv_report import read_report
from pneumoscan.reading.loader import load_image
from pneumoscan.screener import Screener
from tests.dicom_factory import gradient, write_rle_overrun
from tests.process import run_cli


@pytest.fixture
def folder(tmp_path) -> Path:
    root = tmp_path / "films"
    root.mkdir()
    Image.fromarray(gradient(256, 200)).save(root / "a.png")
    Image.fromarray(gradient(256, 220)).save(root / "b.png")
    return root


@pytest.mark.parametrize("read_only", [False, True], ids=["writable", "read-only"])
def test_output_naming_an_input_is_refused_and_the_image_kept(tiny_manifest, folder, read_only):
    target = folder / "a.png"
    before = target.read_bytes()
    if read_only:
        target.chmod(stat.S_IRUSR)
    code = cli.main(["screen", str(folder), "-o", str(target), "--model", str(tiny_manifest)])
    assert code == 2 and target.read_bytes() == before


def test_non_csv_inside_the_screened_tree_is_refused(tiny_manifest, folder):
    assert (
        cli.main(["screen", str(folder), "-o", str(folder / "report.txt"), "--model", str(tiny_manifest)])
        == 2
    )
    assert not (folder / "report.txt").exists()


@pytest.mark.parametrize("kind", ["directory", "parent_is_file", "empty"])
def test_unwritable_output_is_refused_before_screening(tiny_manifest, folder, tmp_path, kind, capsys):
    (tmp_path / "plain").write_text("x")
    output = {"directory": str(tmp_path), "parent_is_file": str(tmp_path / "plain" / "r.csv"), "empty": ""}[
        kind
    ]
    assert cli.main(["screen", str(folder), "-o", output, "--model", str(tiny_manifest)]) == 2
    err = capsys.readouterr().err
    assert "report not started" in err and "Traceback" not in err and "/2" not in err  # no progress bar ran


def test_full_disk_probe_is_refused(tiny_manifest, folder, tmp_path, monkeypatch):
    import errno

    from pneumoscan.outputs import guard

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(guard.os, "write", full)
    assert (
        cli.main(["screen", str(folder), "-o", str(tmp_path / "r.csv"), "--model", str(tiny_manifest)]) == 2
    )


def test_folder_without_write_permission_is_refused(tiny_manifest, folder, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    proc = run_cli(
        "screen", str(folder), "-o", str(locked / "r.csv"), "--model", str(tiny_manifest), drop_root=True
    )
    assert proc.returncode == 2, proc.stderr
    assert "cannot be written" in proc.stderr and "Traceback" not in proc.stderr


def test_failure_at_the_end_saves_to_a_fallback(tiny_manifest, folder, tmp_path, monkeypatch, capsys):
    from pneumoscan.outputs import publish

    real = publish.atomic_write_text
    monkeypatch.setenv("HOME", str(tmp_path / "home"))

    def failing(path, text, encoding="utf-8"):
        if Path(path).name == "r.csv":
            raise OSError(30, "Read-only file system")
        return real(path, text, encoding=encoding)

    monkeypatch.setattr(publish, "atomic_write_text", failing)
    code = cli.main(["screen", str(folder), "-o", str(tmp_path / "r.csv"), "--model", str(tiny_manifest)])
    err = capsys.readouterr().err
    saved = Path(err.split("saved to ")[1].split("\n")[0])
    assert code == 1 and saved.exists() and len(read_report(saved)) == 2


def test_rle_panic_is_an_error_row_and_the_batch_goes_on(tiny_manifest, folder, tmp_path):
    bad = write_rle_overrun(folder / "panic.dcm")
    with pytest.raises(LoadError, match="corrupt"):
        load_image(bad)
    results = {r.path.name: r for r in Screener(tiny_manifest).screen(sorted(folder.iterdir()))}
    assert results["panic.dcm"].status == "error" and results["a.png"].ok and results["b.png"].ok
    out = tmp_path / "r.csv"
    assert cli.main(["screen", str(folder), "-o", str(out), "--model", str(tiny_manifest)]) == 1
    assert len(read_report(out)) == 3


def test_non_utf8_file_name_is_written_losslessly(tiny_manifest, folder, tmp_path):
    name = os.fsdecode(b"M\xfcller.png")  # Latin-1 on a UTF-8 system
    Image.fromarray(gradient(200, 200)).save(os.path.join(os.fsencode(folder), b"M\xfcller.png"))
    out = tmp_path / "r.csv"
    assert cli.main(["screen", str(folder), "-o", str(out), "--model", str(tiny_manifest)]) == 0
    paths = [r["path"] for r in read_report(out)]
    assert len(paths) == 3 and any(p.endswith("M\\xfcller.png") for p in paths)
    assert name not in "".join(paths)  # no lone surrogate reached the file


def test_unreadable_and_broken_entries_become_rows(tiny_manifest, folder, tmp_path):
    (folder / "dangling.png").symlink_to(folder / "missing.png")
    (folder / "loop").symlink_to(folder)
    secret = folder / "secret"
    secret.mkdir()
    Image.fromarray(gradient(200, 200)).save(secret / "c.png")
    secret.chmod(0)
    unreadable = folder / "z.png"
    Image.fromarray(gradient(200, 200)).save(unreadable)
    unreadable.chmod(0)
    out = tmp_path / "r.csv"
    try:
        proc = run_cli("screen", str(folder), "-o", str(out), "--model", str(tiny_manifest), drop_root=True)
    finally:
        secret.chmod(0o755)
    rows = {Path(r["path"]).name: r for r in read_report(out)}
    assert proc.returncode == 1, proc.stderr
    assert "Broken link" in rows["dangling.png"]["reason"]
    assert "loop" in rows["loop"]["reason"]
    assert "Permission denied" in rows["secret"]["reason"]
    assert "Permission denied" in rows["z.png"]["reason"]
    assert rows["a.png"]["status"] == "ok"


def test_own_report_in_the_folder_is_not_screened_next_time(tiny_manifest, folder):
    out = folder / "report.csv"
    assert cli.main(["screen", str(folder), "-o", str(out), "--model", str(tiny_manifest)]) == 0
    out.chmod(0o640)
    assert cli.main(["screen", str(folder), "-o", str(out), "--model", str(tiny_manifest)]) == 0
    assert [Path(r["path"]).name for r in read_report(out)] == ["a.png", "b.png"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o640  # the report keeps its permissions


def test_to_uint8_shows_12_bit_and_8_bit_times_256_data():
    from pneumoscan.reading.display import to_uint8

    twelve = np.arange(4096, dtype=np.uint16).reshape(64, 64)
    assert to_uint8(twelve).max() == 255 and to_uint8(twelve)[32, 0] == round(2048 * 255 / 4095)
    scaled = (np.arange(256, dtype=np.uint16) * 256).reshape(16, 16)
    assert np.array_equal(to_uint8(scaled), np.arange(256, dtype=np.uint8).reshape(16, 16))


def test_path_over_the_os_limit_becomes_a_row(tiny_manifest, folder, tmp_path):
    """A folder chain deeper than PATH_MAX (4096 bytes) is built with directory descriptors."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        depth = 0
        while len(str(folder)) + depth * 201 < 4200:
            os.mkdir("d" * 200, dir_fd=fd)
            nxt = os.open("d" * 200, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd, depth = nxt, depth + 1
        leaf = os.open("deep.png", os.O_WRONLY | os.O_CREAT, dir_fd=fd)
        os.write(leaf, b"\x89PNG")
        os.close(leaf)
    finally:
        os.close(fd)
    out = tmp_path / "r.csv"
    assert cli.main(["screen", str(folder), "-o", str(out), "--model", str(tiny_manifest)]) == 1
    reasons = [r["reason"] for r in read_report(out) if r["status"] == "error"]
    assert any("too long" in r for r in reasons), reasons
