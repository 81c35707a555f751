"""Watch mode: files written slowly, duplicates, restarts, a burst of 500, real events, the CLI."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from pneumoscan.outputs.csv_report import read_report
from pneumoscan.screener import Screener
from pneumoscan.watch import FolderWatch, WatchOptions
from pneumoscan.watch.arrival import looks_complete
from tests.core.watch.helpers import png_bytes
from tests.dicom_factory import gradient, write_dicom


@pytest.fixture(scope="module")
def screener(tiny_manifest) -> Screener:
    return Screener(tiny_manifest, threads=1)


def make_watch(screener, tmp_path, **kw) -> FolderWatch:
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    options = WatchOptions(report=tmp_path / "report.csv", settle=1.0, give_up=60.0, rescan=0.0, **kw)
    return FolderWatch(inbox, screener, options)


def test_file_written_slowly_in_chunks_is_screened_once_whole(screener, tmp_path):
    watch = make_watch(screener, tmp_path)
    data = png_bytes()
    target = watch.folder / "slow.png"
    with open(target, "wb") as fh:
        fh.write(data[: len(data) // 3])
    assert watch.step(now=0.0) == []
    assert watch.step(now=5.0) == []  # stable but no PNG end chunk: still arriving
    with open(target, "ab") as fh:
        fh.write(data[len(data) // 3 :])
    assert watch.step(now=6.0) == []  # size changed: wait again
    (result,) = watch.step(now=8.0)
    assert result.ok and Path(result.path).name == "slow.png"
    assert watch.step(now=20.0) == []


@pytest.mark.parametrize("kind", ["jpeg", "png", "dicom"])
def test_completeness_by_format(tmp_path, kind):
    path = tmp_path / f"f.{kind}"
    if kind == "dicom":
        write_dicom(path, gradient(256, 200), "explicit")
    else:
        Image.fromarray(gradient(256, 200)).save(path, format=kind.upper())
    whole = path.read_bytes()
    assert looks_complete(path)
    path.write_bytes(whole[: len(whole) - 200])
    assert not looks_complete(path)


def test_duplicates_by_uid_and_by_content(screener, tmp_path):
    watch = make_watch(screener, tmp_path)
    dcm = write_dicom(watch.folder / "a.dcm", gradient(256, 200), "explicit")
    shutil.copy(dcm, watch.folder / "a_resent.dcm")
    (watch.folder / "b.png").write_bytes(png_bytes(1))
    (watch.folder / "b_copy.png").write_bytes(png_bytes(1))
    watch.step(now=0.0)
    results = watch.step(now=2.0)
    assert len(results) == 2
    assert watch.stats.duplicates == 2
    assert len(read_report(watch.options.report)) == 2


def test_restart_screens_nothing_twice_and_keeps_rows(screener, tmp_path):
    watch = make_watch(screener, tmp_path)
    for i in range(3):
        (watch.folder / f"f{i}.png").write_bytes(png_bytes(i))
    watch.step(now=0.0)
    assert len(watch.step(now=2.0)) == 3
    watch.close()
    again = make_watch(screener, tmp_path)
    again.step(now=0.0)
    assert again.step(now=2.0) == []
    (again.folder / "new.png").write_bytes(png_bytes(9))
    again.step(now=3.0)
    assert [Path(r.path).name for r in again.step(now=5.0)] == ["new.png"]
    rows = read_report(watch.options.report)
    assert sorted(Path(r["path"]).name for r in rows) == ["f0.png", "f1.png", "f2.png", "new.png"]


def test_burst_of_500_files(screener, tmp_path):
    watch = make_watch(screener, tmp_path)
    for i in range(500):
        (watch.folder / f"burst_{i:03d}.png").write_bytes(png_bytes(i))
    watch.step(now=0.0)
    results = watch.step(now=2.0)
    assert len(results) == 500 and all(r.ok for r in results)
    rows = read_report(watch.options.report)
    assert len(rows) == 500 and len({r["path"] for r in rows}) == 500
    assert len(watch.state.keys) <= 500 and watch.stats.screened == 500


def test_own_outputs_inside_the_folder_are_not_screened(screener, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    options = WatchOptions(
        report=inbox / "report.csv",
        dicom_out=inbox / "results",
        pdf=inbox / "summary.pdf",
        settle=1.0,
        rescan=0.0,
    )
    watch = FolderWatch(inbox, screener, options)
    write_dicom(inbox / "film.dcm", gradient(256, 200), "explicit")
    watch.step(now=0.0)
    assert len(watch.step(now=2.0)) == 1
    assert any((inbox / "results").iterdir()) and list(inbox.glob("summary-*.pdf"))
    watch.step(now=3.0)
    assert watch.step(now=10.0) == []  # report, state, PDF and DICOM results are ours


@pytest.mark.parametrize("poll", [False, True])
def test_real_events_and_stop(screener, tmp_path, poll):
    watch = make_watch(screener, tmp_path, poll=poll)
    watch.options.settle, watch.options.rescan = 0.3, 3600.0
    watch.settler.settle = 0.3
    watch.start()
    stop = threading.Event()
    runner = threading.Thread(target=watch.run, args=(stop, 0.1))
    runner.start()
    try:
        for i in range(5):
            (watch.folder / f"arrived_{i}.png").write_bytes(png_bytes(i))
        deadline = time.monotonic() + 30
        while watch.stats.screened < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        runner.join(timeout=30)
        watch.close()
    assert not runner.is_alive()
    assert watch.stats.screened == 5
    assert watch.observer_kind == ("polling" if poll else "events")


def test_cli_watch_stops_cleanly_on_sigint(tiny_manifest, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "first.png").write_bytes(png_bytes(3))
    report = tmp_path / "report.csv"
    cmd = [sys.executable, "-m", "pneumoscan", "watch", str(inbox), "-o", str(report), "--settle", "0.2"]
    proc = subprocess.Popen([*cmd, "--model", str(tiny_manifest)], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (report.exists() and len(read_report(report)) == 1) and time.monotonic() < deadline:
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "1 screened" in err
    assert len(read_report(report)) == 1


def test_every_pydicom_test_file_gets_a_row_and_the_watch_survives(screener, tmp_path):
    """pydicom's own test files (odd VRs such as NumberOfFrames '1A', other modalities) arrive."""
    from pydicom.data import get_testdata_file

    src = Path(get_testdata_file("CT_small.dcm")).parent
    watch = make_watch(screener, tmp_path)
    names = sorted(p.name for p in src.glob("*.dcm"))
    for name in names:
        shutil.copy(src / name, watch.folder / name)
    watch.step(now=0.0)
    watch.step(now=2.0)
    watch.step(now=200.0)  # past give_up: even files that never look complete are screened
    rows = read_report(watch.options.report)
    seen = {Path(r["path"]).name for r in rows}
    # every file has a row, except copies of an instance already screened (same SOP Instance UID)
    assert len(seen) + watch.stats.duplicates == len(names)
    assert "badVR.dcm" in seen or watch.stats.duplicates


@pytest.mark.parametrize("subtype", ["viral", "bacterial", ""])
def test_rows_read_back_keep_their_calls(subtype):
    """After a restart the day's PDF is rebuilt from report rows: flag and subtype as recorded."""
    from pneumoscan.watch.rows import result_from_row

    row = {
        "path": "/x/a.dcm",
        "status": "ok",
        "probability": "0.900000",
        "threshold": "0.300000",
        "subtype": subtype,
        "viral_probability": "0.4000" if subtype else "",
        "screened_at": "2026-11-29T10:00:00",
    }
    r = result_from_row(row)
    assert r.flagged and r.subtype == subtype


def test_full_disk_for_the_report_screens_again_and_never_duplicates_rows(screener, tmp_path, monkeypatch):
    import pneumoscan.outputs.publish as session

    watch = make_watch(screener, tmp_path)
    (watch.folder / "a.png").write_bytes(png_bytes(1))
    real = session.atomic_write_text

    def full(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(session, "atomic_write_text", full)
    watch.step(now=0.0)
    with pytest.raises(OSError):
        watch.step(now=2.0)
    assert watch.state.keys == {} and not watch.options.report.exists()
    monkeypatch.setattr(session, "atomic_write_text", real)
    watch.step(now=3.0)  # the rescan offers the file again
    watch.step(now=5.0)
    rows = read_report(watch.options.report)
    assert [Path(r["path"]).name for r in rows] == ["a.png"] and watch.stats.screened == 1


def test_a_pdf_that_cannot_be_written_is_a_message_not_a_stop(screener, tmp_path, monkeypatch):
    import pneumoscan.outputs.pdf as pdf

    def full(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pdf, "write_summary", full)
    watch = make_watch(screener, tmp_path, pdf=tmp_path / "summary.pdf")
    messages: list[str] = []
    watch.on_error = messages.append
    (watch.folder / "a.png").write_bytes(png_bytes(2))
    watch.step(now=0.0)
    assert len(watch.step(now=2.0)) == 1
    assert len(read_report(watch.options.report)) == 1 and len(watch.state.keys) == 1
    assert messages and "No space left" in messages[0]
