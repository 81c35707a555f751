"""The gate inside screening: out-of-scope rows in the report and the CLI, and the research switch."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pneumoscan import cli
from pneumoscan.outputs.csv_report import read_report
from tests.dicom_factory import gradient, write_dicom


@pytest.fixture
def films(tmp_path):
    root = tmp_path / "films"
    root.mkdir()
    write_dicom(root / "chest.dcm", gradient(256, 200))
    write_dicom(root / "hip.dcm", gradient(256, 200), tags={"BodyPartExamined": "HIP"})
    write_dicom(root / "lateral.dcm", gradient(256, 200), tags={"ViewPosition": "LL"})
    write_dicom(root / "teen.dcm", gradient(256, 200), tags={"PatientAge": "012Y"})
    return root


def test_out_of_scope_rows_have_a_reason_and_no_score(tiny_manifest, films, tmp_path, capsys):
    out = tmp_path / "r.csv"
    assert cli.main(["screen", str(films), "-o", str(out), "--model", str(tiny_manifest)]) == 1
    rows = {r["path"].rsplit("/", 1)[-1]: r for r in read_report(out)}
    hip, lateral = rows["hip.dcm"], rows["lateral.dcm"]
    assert hip["status"] == "out_of_scope" and "other body part (HIP in BodyPartExamined)" in hip["reason"]
    assert lateral["status"] == "out_of_scope" and "lateral view" in lateral["reason"]
    for row in (hip, lateral):
        assert row["probability"] == row["result"] == row["threshold"] == ""
    assert rows["chest.dcm"]["status"] == "ok" and rows["chest.dcm"]["probability"]
    teen = rows["teen.dcm"]
    assert teen["status"] == "ok" and "outside the training range" in teen["notes"]
    assert {r["scope_gate"] for r in rows.values()} == {"on"}
    assert "out of scope 2" in capsys.readouterr().err


def test_no_scope_gate_scores_everything_and_every_row_says_so(tiny_manifest, films, tmp_path, capsys):
    out = tmp_path / "r.csv"
    code = cli.main(["screen", str(films), "-o", str(out), "--model", str(tiny_manifest), "--no-scope-gate"])
    rows = {r["path"].rsplit("/", 1)[-1]: r for r in read_report(out)}
    assert code == 0 and {r["status"] for r in rows.values()} == {"ok"}
    assert {r["scope_gate"] for r in rows.values()} == {"off"}
    assert "would be out of scope (other body part" in rows["hip.dcm"]["notes"]
    assert "scope gate OFF" in capsys.readouterr().err


def test_info_lists_every_check(tiny_manifest, films, capsys):
    assert cli.main(["info", str(films / "hip.dcm"), "--model", str(tiny_manifest)]) == 1
    out = capsys.readouterr().out
    for check in (
        "body_part",
        "view",
        "age",
        "tags_affirm",
        "size",
        "exposure",
        "colour",
        "inverted",
        "classifier",
        "distance",
    ):
        assert f"check {check}:" in out
    assert "scope: Not assessed: other body part" in out


def test_the_core_imports_neither_qt_nor_tensorflow():
    code = (
        "import sys, pneumoscan.cli, pneumoscan.screener, pneumoscan.scope, pneumoscan.reading.loader; "
        "bad = [m for m in ('PySide6', 'tensorflow', 'keras', 'ray', 'requests') if m in sys.modules]; "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
