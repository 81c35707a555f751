"""Issue 19, reader verdicts: an append-only store, CSV in and out, onto reports and into validation."""

from __future__ import annotations

import sqlite3

import pytest
from PIL import Image

from pneumoscan import cli
from pneumoscan.outputs.csv_report import read_report
from pneumoscan.verdicts import Verdict, VerdictError, VerdictStore, default_path, export_csv, import_csv
from tests.core.validation.helpers import labelled_folder
from tests.dicom_factory import gradient, write_dicom


def test_verdicts_are_appended_and_the_latest_counts(tmp_path):
    store = VerdictStore(tmp_path / "v.sqlite3")
    store.record([Verdict("uid:1.2.3", "pneumonia", reader="dr a")])
    store.record([Verdict("uid:1.2.3", "normal", reader="dr b", note="second look")])
    assert store.latest()["uid:1.2.3"].verdict == "normal"
    assert [v.verdict for v in store.history("uid:1.2.3")] == ["pneumonia", "normal"]
    again = VerdictStore(tmp_path / "v.sqlite3")  # a restart
    assert again.latest()["uid:1.2.3"].reader == "dr b"
    db = sqlite3.connect(tmp_path / "v.sqlite3")
    for sql in ("UPDATE verdicts SET verdict = 'pneumonia'", "DELETE FROM verdicts"):
        with pytest.raises(sqlite3.DatabaseError, match="appended"):
            db.execute(sql)
    db.close()


@pytest.mark.parametrize(
    "bad, words",
    [
        (Verdict("uid:1.2", "maybe"), "unknown verdict"),
        (Verdict("film.png", "normal"), "SOP Instance UID or a content hash"),
    ],
)
def test_a_bad_verdict_records_nothing_of_its_batch(tmp_path, bad, words):
    store = VerdictStore(tmp_path / "v.sqlite3")
    with pytest.raises(VerdictError, match=words):
        store.record([Verdict("uid:9.9", "normal"), bad])
    assert store.latest() == {}


def test_export_import_round_trip_by_path_uid_and_hash(tmp_path):
    films = tmp_path / "films"
    films.mkdir()
    Image.fromarray(gradient(256, 200)).save(films / "a.png")
    dcm = write_dicom(films / "b.dcm", gradient(256, 200), "explicit")
    import pydicom

    uid = pydicom.dcmread(dcm).SOPInstanceUID
    (tmp_path / "in.csv").write_text(
        "path,verdict,reader\nfilms/a.png,pneumonia,dr a\nfilms/b.dcm,no pneumonia,\n"
    )
    store = VerdictStore(tmp_path / "v.sqlite3")
    assert import_csv(store, tmp_path / "in.csv", reader="dr z") == 2
    latest = store.latest()
    assert latest[f"uid:{uid}"].verdict == "normal" and latest[f"uid:{uid}"].reader == "dr z"
    assert any(k.startswith("sha256:") and v.verdict == "pneumonia" for k, v in latest.items())
    assert export_csv(store, tmp_path / "out.csv") == 2
    other = VerdictStore(tmp_path / "other.sqlite3")
    assert import_csv(other, tmp_path / "out.csv") == 2
    assert {k: v.verdict for k, v in other.latest().items()} == {k: v.verdict for k, v in latest.items()}


@pytest.mark.parametrize(
    "text, words",
    [
        ("path,verdict\nmissing.png,normal\n", "not found"),
        ("path,verdict\n,perhaps\n", "is not pneumonia, normal or unsure"),
        ("file,diagnosis\nx,normal\n", "needs a 'verdict' column"),
        ("path,verdict\n", "has no rows"),
    ],
)
def test_a_malformed_import_is_a_message_and_imports_nothing(tmp_path, text, words, capsys):
    (tmp_path / "in.csv").write_text(text)
    code = cli.main(["verdicts", "--db", str(tmp_path / "v.sqlite3"), "import", str(tmp_path / "in.csv")])
    assert code == 2 and words in capsys.readouterr().err
    assert VerdictStore(tmp_path / "v.sqlite3").latest() == {}


def test_the_report_carries_the_verdict_and_validation_can_use_verdicts(tiny_manifest, tmp_path, capsys):
    root = labelled_folder(tmp_path / "site")
    rows = ["path,verdict"]
    for p in sorted((root / "NORMAL").glob("p*.png")):
        rows.append(f"{p},normal")
    for p in sorted((root / "PNEUMONIA").glob("*.png")):
        rows.append(f"{p},pneumonia")
    rows.append(f"{root / 'misc' / 'unlabelled.png'},unsure")
    (tmp_path / "reads.csv").write_text("\n".join(rows) + "\n")
    assert cli.main(["verdicts", "import", str(tmp_path / "reads.csv")]) == 0
    assert default_path().exists()
    cli.main(["screen", str(root), "-o", str(tmp_path / "r.csv"), "--model", str(tiny_manifest)])
    verdicts = {r["path"].rsplit("/", 1)[-1]: r["reader_verdict"] for r in read_report(tmp_path / "r.csv")}
    assert verdicts["p000_normal.png"] == "normal" and verdicts["unlabelled.png"] == "unsure"
    code = cli.main(
        [
            "validate",
            str(root),
            "--from-verdicts",
            "-o",
            str(tmp_path / "v.html"),
            "--model",
            str(tiny_manifest),
            "--bootstrap",
            "50",
        ]
    )
    err = capsys.readouterr()
    assert code == 0 and "1 films marked unsure are left out" in err.err
    assert "On your 100 films" in err.out


def test_export_never_replaces_a_foreign_file(tmp_path, capsys):
    (tmp_path / "mine.csv").write_text("a,b\n1,2\n")
    assert cli.main(["verdicts", "export", "-o", str(tmp_path / "mine.csv")]) == 2
    assert (tmp_path / "mine.csv").read_text() == "a,b\n1,2\n"
    assert cli.main(["verdicts", "export", "-o", str(tmp_path / "v.csv")]) == 0
    assert cli.main(["verdicts", "export", "-o", str(tmp_path / "v.csv")]) == 0  # our own: replaced


def test_a_crash_mid_import_leaves_all_or_nothing(tmp_path):
    """SIGKILL at several moments of a 60,000-row import: the database holds none of it or all of it."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.shared import REPO

    n = 60_000
    rows = "\n".join(f"1.2.826.0.1.{i},{'normal' if i % 2 else 'pneumonia'}" for i in range(n))
    (tmp_path / "big.csv").write_text("sop_instance_uid,verdict\n" + rows + "\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    seen = set()
    for delay in (0.3, 0.6, 0.9, 1.2, 1.5):
        db = tmp_path / f"v{delay}.sqlite3"
        cmd = [
            sys.executable,
            "-m",
            "pneumoscan",
            "verdicts",
            "--db",
            str(db),
            "import",
            str(tmp_path / "big.csv"),
        ]
        proc = subprocess.Popen(cmd, env=env, cwd=REPO, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        count = len(VerdictStore(db).latest()) if db.exists() else 0
        assert count in (0, n), count
        seen.add(count)
    print(f"after SIGKILL: {sorted(seen)} rows (0 = killed before the commit, {n} = after)")
