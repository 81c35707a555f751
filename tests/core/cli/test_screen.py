"""The CLI end to end on a mixed folder with the tiny model."""

from __future__ import annotations

import pytest

from pneumoscan import cli
from pneumoscan.outputs.csv_report import read_report


def test_screen_mixed_folder(tiny_manifest, mixed_folder, tmp_path, capsys):
    root, expected = mixed_folder
    out = tmp_path / "report.csv"
    code = cli.main(["screen", str(root), "-o", str(out), "--model", str(tiny_manifest)])
    assert code == 1  # some files were not screened
    rows = read_report(out)
    assert {r["path"].rsplit("/", 1)[-1]: r["status"] for r in rows} == expected
    err = capsys.readouterr().err
    assert (
        "screened 4," in err
        and "errors 3" in err
        and "skipped 1" in err
        and "images/s" in err
        and "8/8" in err
    )


def test_all_good_exits_zero_and_threshold_override(tiny_manifest, mixed_folder, tmp_path):
    root, _ = mixed_folder
    out = tmp_path / "r.csv"
    code = cli.main(
        [
            "screen",
            str(root / "a_dark.png"),
            "-o",
            str(out),
            "--model",
            str(tiny_manifest),
            "--threshold",
            "0.999",
            "--no-phi",
        ]
    )
    assert code == 0
    (row,) = read_report(out)
    assert row["threshold"] == "0.999000" and row["result"] == "NORMAL" and "patient_name" not in row


@pytest.mark.parametrize("argv", [[], ["screen"], ["screen", "x"], ["bogus"]])
def test_usage_errors_exit_2(argv):
    assert cli.main(argv) == 2


def test_bad_threshold_and_bad_model(tiny_manifest, tmp_path):
    assert (
        cli.main(
            [
                "screen",
                str(tmp_path),
                "-o",
                str(tmp_path / "r.csv"),
                "--model",
                str(tiny_manifest),
                "--threshold",
                "2",
            ]
        )
        == 2
    )
    assert (
        cli.main(
            ["screen", str(tmp_path), "-o", str(tmp_path / "r.csv"), "--model", str(tmp_path / "none.json")]
        )
        == 2
    )


def test_ctrl_c_writes_partial_report(tiny_manifest, mixed_folder, tmp_path, monkeypatch):
    root, _ = mixed_folder
    from pneumoscan.screener import Screener

    real = Screener.screen

    def interrupted(self, paths, cancel=None, thumbnails=False):
        for i, r in enumerate(real(self, paths, cancel=cancel)):
            if i == 2:
                raise KeyboardInterrupt
            yield r

    monkeypatch.setattr(Screener, "screen", interrupted)
    out = tmp_path / "r.csv"
    assert cli.main(["screen", str(root), "-o", str(out), "--model", str(tiny_manifest)]) == 130
    assert len(read_report(out)) == 2


def test_info_prints_what_the_loader_saw(tiny_manifest, mixed_folder, capsys):
    root, _ = mixed_folder
    assert cli.main(["info", str(root / "c_dicom_noext"), "--model", str(tiny_manifest)]) == 0
    out = capsys.readouterr().out
    assert "source_kind: DICOM" in out and "transfer_syntax" in out and "window" in out
    assert cli.main(["info", str(root / "e_ct.dcm")]) == 1
    assert "not a projection radiograph" in capsys.readouterr().out
    assert cli.main(["info", str(root / "f_empty.dcm")]) == 1


def test_version(capsys):
    assert cli.main(["--version"]) == 0
    assert "pneumoscan" in capsys.readouterr().out


def test_screen_prints_the_batch_check_and_writes_it_into_the_pdf(
    tiny_manifest, mixed_folder, tmp_path, capsys
):
    """Issue 19: every batch gets a label-free check; without shipped reference statistics it says so."""
    import json
    import shutil

    from pypdf import PdfReader

    model_dir = tmp_path / "model"
    shutil.copytree(tiny_manifest.parent, model_dir)
    root, _ = mixed_folder
    cli.main(
        ["screen", str(root), "-o", str(tmp_path / "r.csv"), "--model", str(model_dir / tiny_manifest.name)]
    )
    assert "Batch check: not run (no reference statistics" in capsys.readouterr().err
    reference = {"films": 500, "distance_quantiles": [0.0] * 101, "flagged_share": 0.5}
    (model_dir / "batch_reference.json").write_text(json.dumps(reference))
    cli.main(
        [
            "screen",
            str(root),
            "-o",
            str(tmp_path / "r2.csv"),
            "--pdf",
            str(tmp_path / "s.pdf"),
            "--model",
            str(model_dir / tiny_manifest.name),
        ]
    )
    line = next(x for x in capsys.readouterr().err.splitlines() if x.startswith("Batch check:"))
    assert line.startswith("Batch check: too few films")  # 4 assessed films
    assert "Batch check: too few films" in " ".join(
        p.extract_text() for p in PdfReader(str(tmp_path / "s.pdf")).pages
    )
