"""The CSV report: round trip, Excel BOM, formula injection, no-PHI, atomic write."""

from __future__ import annotations

from pathlib import Path

import pytest

from pneumoscan.outputs.csv_report import COLUMNS, PHI_COLUMNS, defuse, read_report, write_report
from pneumoscan.results import ScreenResult


def _results() -> list[ScreenResult]:
    ok = ScreenResult(
        Path("=cmd|' /C calc'!A0.dcm"),
        "ok",
        probability=0.91,
        threshold=0.5,
        operating_point="high_sensitivity",
        model_version="1.0",
        meta={
            "width": 10,
            "height": 20,
            "source_kind": "DICOM",
            "PatientName": '=HYPERLINK("x")',
            "PatientID": "+123",
            "AccessionNumber": "@SUM(1)",
            "StudyDate": "20260101",
        },
        notes=["a note"],
    )
    err = ScreenResult(Path("/x/bad.png"), "error", reason="-truncated", model_version="1.0")
    return [ok, err]


@pytest.mark.parametrize(
    ("text", "out"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("  =x", "'  =x"),
        ("plain", "plain"),
        ("", ""),
    ],
)
def test_defuse(text, out):
    assert defuse(text) == out


def test_round_trip_and_defused_cells(tmp_path):
    path = write_report(tmp_path / "r.csv", _results())
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = read_report(path)
    assert list(rows[0]) == list(COLUMNS)
    ok, err = rows
    assert ok["path"].startswith("'=cmd") and ok["patient_name"].startswith("'=")
    assert ok["patient_id"] == "'+123" and ok["accession_number"] == "'@SUM(1)"
    assert ok["probability"] == "0.910000" and ok["result"] == "PNEUMONIA" and ok["threshold"] == "0.500000"
    assert err["status"] == "error" and err["result"] == "" and err["probability"] == ""
    assert err["reason"] == "'-truncated"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@"))


def test_no_phi_leaves_columns_out(tmp_path):
    rows = read_report(write_report(tmp_path / "r.csv", _results(), no_phi=True))
    for col in PHI_COLUMNS:
        assert col not in rows[0]
    assert "study_date" not in rows[0] and "body_part" not in rows[0]
    assert "study_instance_uid" in rows[0] and "modality" in rows[0]


def test_atomic_write_keeps_old_report_on_failure(tmp_path):
    target = tmp_path / "r.csv"
    target.write_text("old")

    def broken():
        yield _results()[0]
        raise RuntimeError("disk gone")

    with pytest.raises(RuntimeError):
        write_report(target, broken())
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.csv"]


def test_status_is_its_text_everywhere(tmp_path):
    """Status values are written, hashed, formatted and compared as the text reports have always held."""
    import json

    from pneumoscan.results import Status, as_status

    for s in Status:
        assert str(s) == f"{s}" == s.value and {s.value: 1}[s] == 1 and json.dumps(s) == f'"{s.value}"'
    assert as_status("out_of_scope") is Status.OUT_OF_SCOPE and as_status("???") is Status.ERROR
    rows = read_report(write_report(tmp_path / "status.csv", _results()))
    assert [r["status"] for r in rows] == ["ok", "error"]


@pytest.mark.parametrize(
    "op, status", [("high_sensitivity", "not validated"), ("site:clinic-a", "validated:clinic-a")]
)
def test_site_status_says_whether_the_threshold_was_validated_here(tmp_path, op, status):
    ok = _results()[0]
    ok.with_threshold(op, 0.5)
    ok.reader_verdict = "normal"
    (row,) = read_report(write_report(tmp_path / "r.csv", [ok]))
    assert row["site_status"] == status and row["reader_verdict"] == "normal"
