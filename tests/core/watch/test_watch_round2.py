"""Issue 17: a watch never screens its own outputs, never loses or duplicates a row, never lies about done."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import pydicom
import pytest

from pneumoscan.outputs.csv_report import read_report
from pneumoscan.screener import Screener
from pneumoscan.watch import FolderWatch, WatchError, WatchOptions
from pneumoscan.watch.state import state_path_for
from tests.core.watch.helpers import png_bytes
from tests.dicom_factory import gradient, write_dicom


@pytest.fixture(scope="module")
def screener(tiny_manifest) -> Screener:
    return Screener(tiny_manifest, threads=1)


@pytest.fixture
def inbox(tmp_path) -> Path:
    (tmp_path / "in" / "sub").mkdir(parents=True)
    return tmp_path / "in"


def options(report: Path, **kw) -> WatchOptions:
    return WatchOptions(report=report, settle=1.0, give_up=60.0, rescan=0.0, **kw)


def run_steps(watch: FolderWatch, start: float, n: int = 6) -> list:
    out = []
    for i in range(n):
        out += watch.step(now=start + 2.0 * i)
    return out


@pytest.mark.parametrize("via", ["dotdot", "symlink"])
def test_results_reached_through_dotdot_or_a_link_are_never_screened(screener, inbox, tmp_path, via):
    if via == "symlink":
        os.symlink(inbox, tmp_path / "link")
        base = tmp_path / "link"
    else:
        base = inbox / "sub" / ".."
    watch = FolderWatch(
        inbox,
        screener,
        options(base / "r.csv", dicom_out=base / "results", pdf=base / "s.pdf", pdf_interval=0.0),
    )
    write_dicom(inbox / "film.dcm", gradient(256, 200), "explicit")
    run_steps(watch, 0.0, 8)
    watch.close()
    again = FolderWatch(
        inbox, screener, options(base / "r.csv", dicom_out=base / "results", pdf=base / "s.pdf")
    )
    assert run_steps(again, 100.0, 3) == []  # a restart with the results inside the folder
    again.close()
    rows = read_report(inbox / "r.csv")
    assert [Path(r["path"]).name for r in rows] == ["film.dcm"]
    assert len(list((inbox / "results").glob("*.dcm"))) == 2 and list(inbox.glob("s-*.pdf"))


def test_own_results_copied_elsewhere_in_the_folder_are_known_by_content(screener, inbox, tmp_path):
    watch = FolderWatch(inbox, screener, options(tmp_path / "r.csv", dicom_out=tmp_path / "dcm"))
    write_dicom(inbox / "film.dcm", gradient(256, 200), "explicit")
    run_steps(watch, 0.0, 2)
    for p in (tmp_path / "dcm").glob("*.dcm"):
        shutil.copy(p, inbox / "sub" / p.name)
    run_steps(watch, 10.0, 3)
    watch.close()
    assert [Path(r["path"]).name for r in read_report(tmp_path / "r.csv")] == ["film.dcm"]


@pytest.mark.parametrize("what", ["film", "foreign-csv", "folder", "state-of-a-film"])
def test_the_report_path_is_checked(screener, inbox, tmp_path, what):
    film = inbox / "IM-0115-0001.png"
    film.write_bytes(png_bytes(1))
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("date,amount\n")
    report = {
        "film": film,
        "foreign-csv": accounts,
        "folder": tmp_path,
        "state-of-a-film": tmp_path / "x.csv",
    }[what]
    if what == "state-of-a-film":
        state_path_for(report).write_text("not ours")
    with pytest.raises(WatchError):
        FolderWatch(inbox, screener, options(report))
    assert film.read_bytes() == png_bytes(1) and accounts.read_text() == "date,amount\n"


def test_cli_refuses_a_bad_report_and_exits_2(tiny_manifest, inbox, tmp_path):
    from pneumoscan import cli

    film = inbox / "film.png"
    film.write_bytes(png_bytes(3))
    assert cli.main(["watch", str(inbox), "-o", str(film), "--model", str(tiny_manifest)]) == 2
    assert cli.main(["watch", str(inbox), "-o", str(tmp_path), "--model", str(tiny_manifest)]) == 2
    assert film.read_bytes() == png_bytes(3)


def test_a_second_watch_on_the_same_report_is_refused(screener, inbox, tmp_path):
    first = FolderWatch(inbox, screener, options(tmp_path / "r.csv"))
    with pytest.raises(WatchError, match="another watch"):
        FolderWatch(inbox, screener, options(tmp_path / "sub" / ".." / "r.csv"))
    first.close()
    FolderWatch(inbox, screener, options(tmp_path / "r.csv")).close()  # free again once stopped


def test_a_report_re_saved_without_bom_keeps_every_row(screener, inbox, tmp_path):
    watch = FolderWatch(inbox, screener, options(tmp_path / "r.csv"))
    for i in range(3):
        (inbox / f"f{i}.png").write_bytes(png_bytes(i))
    run_steps(watch, 0.0, 2)
    watch.close()
    rows = read_report(tmp_path / "r.csv")
    with open(tmp_path / "r.csv", "w", newline="", encoding="utf-8") as fh:  # as Python's csv module saves it
        w = csv.DictWriter(fh, list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    again = FolderWatch(inbox, screener, options(tmp_path / "r.csv"))
    (inbox / "new.png").write_bytes(png_bytes(9))
    run_steps(again, 100.0, 2)
    again.close()
    names = sorted(Path(r["path"]).name for r in read_report(tmp_path / "r.csv"))
    assert names == ["f0.png", "f1.png", "f2.png", "new.png"]


def _killed_after_report(watch: FolderWatch, monkeypatch) -> None:
    """The process dies after the report's rename and before the state's commit (SIGKILL there)."""

    class Killed(BaseException):
        pass

    def die():
        raise Killed

    monkeypatch.setattr(watch.state, "commit", die)
    with pytest.raises(Killed):
        run_steps(watch, 0.0, 2)
    watch._lock.release()


def test_a_kill_between_report_and_state_never_duplicates_rows(screener, inbox, tmp_path, monkeypatch):
    watch = FolderWatch(inbox, screener, options(tmp_path / "r.csv"))
    for i in range(3):
        (inbox / f"f{i}.png").write_bytes(png_bytes(i))
    _killed_after_report(watch, monkeypatch)
    assert len(read_report(tmp_path / "r.csv")) == 3
    again = FolderWatch(inbox, screener, options(tmp_path / "r.csv"))
    assert any("kept" in n for n in again.notices)
    assert run_steps(again, 100.0, 3) == []
    again.close()
    assert len(read_report(tmp_path / "r.csv")) == 3


def test_a_kill_before_the_report_screens_the_batch_again_once(screener, inbox, tmp_path, monkeypatch):
    import pneumoscan.outputs.publish as session

    watch = FolderWatch(inbox, screener, options(tmp_path / "r.csv"))
    (inbox / "a.png").write_bytes(png_bytes(1))

    class Killed(BaseException):
        pass

    def die(*_a, **_k):
        raise Killed

    monkeypatch.setattr(session, "atomic_write_text", die)
    with pytest.raises(Killed):
        run_steps(watch, 0.0, 2)
    watch._lock.release()
    monkeypatch.undo()
    assert json.loads(state_path_for(tmp_path / "r.csv").read_text())["pending"]
    again = FolderWatch(inbox, screener, options(tmp_path / "r.csv"))
    run_steps(again, 100.0, 3)
    again.close()
    assert [Path(r["path"]).name for r in read_report(tmp_path / "r.csv")] == ["a.png"]


def test_a_state_moved_away_is_rebuilt_from_the_report(screener, inbox, tmp_path):
    watch = FolderWatch(inbox, screener, options(tmp_path / "r.csv"))
    write_dicom(inbox / "a.dcm", gradient(256, 200), "explicit")
    (inbox / "b.png").write_bytes(png_bytes(2))
    run_steps(watch, 0.0, 2)
    watch.close()
    state_path_for(tmp_path / "r.csv").rename(tmp_path / "broken-state.json")
    again = FolderWatch(inbox, screener, options(tmp_path / "r.csv"))
    assert any("rebuilt" in n for n in again.notices)
    assert run_steps(again, 100.0, 3) == []
    again.close()
    assert len(read_report(tmp_path / "r.csv")) == 2


@pytest.mark.parametrize(
    "state, words",
    [
        ({"version": 99, "keys": {}, "files": {}}, "version 99"),
        ({"version": 2, "keys": {}, "files": {"x": 5}}, "size, mtime_ns"),
        ({"version": 2, "keys": [], "files": {}}, "must be objects"),
        ([1, 2], "watch state"),
    ],
)
def test_an_odd_state_is_a_message_not_a_crash(screener, inbox, tmp_path, state, words):
    state_path_for(tmp_path / "r.csv").write_text(json.dumps(state))
    with pytest.raises(WatchError, match=words):
        FolderWatch(inbox, screener, options(tmp_path / "r.csv"))
    FolderWatch(inbox, screener, options(tmp_path / "other.csv")).close()  # the lock was released


def test_a_failed_read_is_not_done_the_whole_file_is_screened_later(screener, inbox, tmp_path):
    """A JPEG DICOM that stalls mid-transfer past give_up gets an error row, then its real result."""
    src = write_dicom(tmp_path / "whole.dcm", gradient(512, 400), "jpeg")
    whole = src.read_bytes()
    target = inbox / "arriving.dcm"
    target.write_bytes(whole[: int(len(whole) * 0.3)])
    watch = FolderWatch(
        inbox, screener, WatchOptions(report=tmp_path / "r.csv", settle=1.0, give_up=5.0, rescan=0.0)
    )
    assert run_steps(watch, 0.0, 2) == []  # stable but incomplete: "not yet"
    (bad,) = run_steps(watch, 10.0, 1)  # past give_up: screened anyway, an error row
    assert bad.status == "error"
    target.write_bytes(whole)  # the transfer resumes
    (good,) = run_steps(watch, 20.0, 3)
    watch.close()
    assert good.ok
    assert [r["status"] for r in read_report(tmp_path / "r.csv")] == ["error", "ok"]


def test_a_film_overwritten_under_the_same_uid_is_screened_again(screener, inbox, tmp_path):
    path = write_dicom(inbox / "film.dcm", gradient(256, 200), "explicit")
    watch = FolderWatch(inbox, screener, options(tmp_path / "r.csv"))
    (first,) = run_steps(watch, 0.0, 2)
    ds = pydicom.dcmread(path)
    ds.PixelData = (255 - gradient(256, 200)).tobytes()  # new pixels, same SOP Instance UID
    ds.save_as(path)
    os.utime(path, ns=(1, 1))
    (second,) = run_steps(watch, 10.0, 3)
    watch.close()
    assert second.meta["SOPInstanceUID"] == first.meta["SOPInstanceUID"]
    assert any("Content changed" in n for n in second.notes)
    rows = read_report(tmp_path / "r.csv")
    assert len(rows) == 2 and "Content changed" in rows[1]["notes"]


def test_an_identical_resend_is_still_a_duplicate(screener, inbox, tmp_path):
    path = write_dicom(inbox / "film.dcm", gradient(256, 200), "explicit")
    watch = FolderWatch(inbox, screener, options(tmp_path / "r.csv"))
    run_steps(watch, 0.0, 2)
    shutil.copy(path, inbox / "sub" / "resent.dcm")
    assert run_steps(watch, 10.0, 3) == []
    watch.close()
    assert watch.stats.duplicates == 1


def test_links_out_of_the_folder_are_not_screened(screener, inbox, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.png").write_bytes(png_bytes(4))
    os.symlink(outside / "secret.png", inbox / "link.png")
    messages: list[str] = []
    watch = FolderWatch(inbox, screener, options(tmp_path / "r.csv"))
    watch.on_error = messages.append
    assert run_steps(watch, 0.0, 3) == []
    watch.close()
    assert any("outside the watched folder" in m for m in messages)


def test_failed_dicom_results_are_retried_and_the_row_says_so(screener, inbox, tmp_path, monkeypatch):
    import pneumoscan.outputs.dicom as dr

    real = dr._encode
    calls = {"n": 0}

    def flaky(ds):
        calls["n"] += 1
        if calls["n"] <= 2:
            raise OSError(28, "No space left on device")
        return real(ds)

    monkeypatch.setattr(dr, "_encode", flaky)
    watch = FolderWatch(
        inbox, screener, options(tmp_path / "r.csv", dicom_out=tmp_path / "dcm", retry_interval=5.0)
    )
    write_dicom(inbox / "film.dcm", gradient(256, 200), "explicit")
    run_steps(watch, 0.0, 2)
    assert watch.unwritten == 1 and "not written" in read_report(tmp_path / "r.csv")[0]["notes"]
    run_steps(watch, 20.0, 2)
    watch.close()
    assert watch.unwritten == 0 and len(list((tmp_path / "dcm").glob("*.dcm"))) == 2
    (row,) = read_report(tmp_path / "r.csv")
    assert "written on a retry" in row["notes"] and "not written" not in row["notes"]


def test_the_days_pdf_is_rebuilt_at_most_every_interval_and_at_stop(screener, inbox, tmp_path, monkeypatch):
    import pneumoscan.outputs.pdf as pdf

    writes = []
    real = pdf.write_summary
    monkeypatch.setattr(pdf, "write_summary", lambda *a, **k: writes.append(len(a[1])) or real(*a, **k))
    watch = FolderWatch(
        inbox, screener, options(tmp_path / "r.csv", pdf=tmp_path / "s.pdf", pdf_interval=300)
    )
    for i in range(4):
        (inbox / f"f{i}.png").write_bytes(png_bytes(i))
        run_steps(watch, 10.0 * i, 2)
    assert writes == [1]  # the first batch at once, then not again within 300 s
    watch.close()
    assert writes == [1, 4]  # the stop brings it up to date


def test_films_written_under_a_temporary_name_then_renamed_all_get_a_row(screener, inbox, tmp_path):
    """Renames during a burst: every film present at the end has a row under its own name."""
    watch = FolderWatch(inbox, screener, options(tmp_path / "r.csv"))
    for i in range(40):
        (inbox / f"film_{i:02d}.png.part").write_bytes(png_bytes(i))
    run_steps(watch, 0.0, 2)  # some settle and are screened under the temporary name
    for i in range(40):
        (inbox / f"film_{i:02d}.png.part").rename(inbox / f"film_{i:02d}.png")
    run_steps(watch, 10.0, 3)
    watch.close()
    names = {Path(r["path"]).name for r in read_report(tmp_path / "r.csv")}
    assert {f"film_{i:02d}.png" for i in range(40)} <= names
