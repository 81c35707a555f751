"""Issue 17, items 1, 2, 4, 5: one output guard for every path PneumoScan writes."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
from PIL import Image

from pneumoscan import cli
from pneumoscan.outputs import OutputError, check_targets, is_own_report, pdf_target, report_target
from pneumoscan.outputs.csv_report import read_report
from tests.dicom_factory import gradient, write_dicom


@pytest.fixture
def inbox(tmp_path) -> Path:
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    Image.fromarray(gradient(256, 200)).save(root / "film.png")
    write_dicom(root / "sub" / "film.dcm", gradient(256, 200), "explicit")
    return root


def screen(model, *args: str) -> int:
    return cli.main(["screen", *args, "--model", str(model)])


@pytest.mark.parametrize(
    "extra",
    [
        ["--pdf", "{out}/r.csv"],  # the PDF would replace the report
        ["--pdf", "{in}/film.png"],  # the PDF would replace a film
        ["--pdf", "{in}/sub/../film.png"],  # the same, through ..
    ],
)
def test_pdf_onto_the_report_or_a_film_is_refused(tiny_manifest, inbox, tmp_path, extra, capsys):
    film = (inbox / "film.png").read_bytes()
    args = [a.format(out=tmp_path, **{"in": inbox}) for a in extra]
    assert screen(tiny_manifest, str(inbox), "-o", str(tmp_path / "r.csv"), *args) == 2
    assert (inbox / "film.png").read_bytes() == film and not (tmp_path / "r.csv").exists()
    assert "report not started" in capsys.readouterr().err


def test_a_symlink_to_a_film_as_report_is_refused(tiny_manifest, inbox, tmp_path):
    link = tmp_path / "looks_like_a_report.csv"
    os.symlink(inbox / "film.png", link)
    film = (inbox / "film.png").read_bytes()
    assert screen(tiny_manifest, str(inbox), "-o", str(link)) == 2
    assert (inbox / "film.png").read_bytes() == film


def test_an_unrelated_csv_is_never_replaced(tiny_manifest, inbox, tmp_path, capsys):
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("date,amount\n2026-01-01,12.50\n")
    assert screen(tiny_manifest, str(inbox), "-o", str(accounts)) == 2
    assert accounts.read_text() == "date,amount\n2026-01-01,12.50\n"
    assert "not a PneumoScan report" in capsys.readouterr().err


@pytest.mark.parametrize("resave", ["python-csv", "semicolon", "pandas-index"])
def test_a_re_saved_report_is_still_ours(tiny_manifest, inbox, tmp_path, resave):
    out = tmp_path / "r.csv"
    assert screen(tiny_manifest, str(inbox), "-o", str(out)) == 0
    rows = read_report(out)
    with open(out, "w", newline="", encoding="utf-8") as fh:  # no BOM any more
        fields = list(rows[0])
        if resave == "pandas-index":
            w = csv.writer(fh)
            w.writerow(["", *fields])
            for i, r in enumerate(rows):
                w.writerow([i, *r.values()])
        else:
            w = csv.DictWriter(fh, fields, delimiter=";" if resave == "semicolon" else ",")
            w.writeheader()
            w.writerows(rows)
    assert is_own_report(out)
    assert [r["path"] for r in read_report(out)] == [r["path"] for r in rows]
    assert screen(tiny_manifest, str(inbox), "-o", str(out)) == 0


def test_dicom_results_inside_the_screened_folder_are_never_screened(tiny_manifest, inbox, tmp_path):
    out = tmp_path / "r.csv"
    for _ in range(2):
        code = screen(tiny_manifest, str(inbox), "-o", str(out), "--dicom-out", str(inbox / "results"))
        assert code == 0
        assert sorted(Path(r["path"]).name for r in read_report(out)) == ["film.dcm", "film.png"]
    assert len(list((inbox / "results").glob("*.dcm"))) == 2
    # also when the results are reached another way: the loader knows them by content
    code = screen(tiny_manifest, str(inbox / "results"), "-o", str(tmp_path / "again.csv"))
    rows = read_report(tmp_path / "again.csv")
    assert code == 1 and {r["status"] for r in rows} == {"skipped"}
    assert all("PneumoScan result" in r["reason"] for r in rows)


def test_targets_are_compared_with_each_other_resolved(tmp_path):
    (tmp_path / "a").mkdir()
    with pytest.raises(OutputError, match="same file"):
        check_targets([report_target(tmp_path / "r.csv"), pdf_target(tmp_path / "a" / ".." / "r.csv")], [])


@pytest.mark.parametrize("target", ["folder", "parent-is-file", "empty"])
def test_impossible_targets_say_why(tmp_path, target):
    path = {"folder": tmp_path, "parent-is-file": tmp_path / "f.txt" / "r.csv", "empty": Path("")}[target]
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(OutputError):
        check_targets([report_target(path if target != "empty" else "")], [])


def test_validate_never_overwrites_labels_films_or_a_foreign_json(tiny_manifest, inbox, tmp_path, capsys):
    labels = tmp_path / "labels.csv"
    labels.write_text("path,label\nfilm.png,NORMAL\n")
    before = labels.read_text()
    base = ["validate", str(inbox), "--labels", str(labels), "--model", str(tiny_manifest)]
    assert cli.main([*base, "-o", str(labels)]) == 2
    assert cli.main([*base, "-o", str(inbox / "film.png")]) == 2
    (tmp_path / "v.json").write_text('{"mine": true}')
    assert cli.main([*base, "-o", str(tmp_path / "v.html")]) == 2
    assert labels.read_text() == before and (tmp_path / "v.json").read_text() == '{"mine": true}'
    err = capsys.readouterr().err
    assert "one of the files to screen" in err and "not a PneumoScan validation JSON" in err
