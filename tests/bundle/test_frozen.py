"""The PyInstaller folder, run with no network: CLI report equals the source install's, GUI starts.

Run with ``make bundle-test`` (builds dist/PneumoScan first). Skipped when the folder is absent.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.dicom_factory import SYNTAXES, gradient, write_dicom
from tests.shared import REPO

DIST = Path(os.environ.get("PNEUMOSCAN_DIST", REPO / "dist" / "PneumoScan"))
pytestmark = pytest.mark.bundle


def offline(cmd: list[str]) -> list[str]:
    """Run in a new network namespace (no interfaces but a down loopback) where possible."""
    if (
        shutil.which("unshare")
        and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0
    ):
        return ["unshare", "-n", *cmd]
    pytest.skip("cannot create a network namespace here (unshare -n), so offline use cannot be proven")


@pytest.fixture(scope="module")
def frozen() -> Path:
    if not (DIST / "pneumoscan").exists() and not (DIST / "pneumoscan.exe").exists():
        pytest.skip(f"no bundle at {DIST}; run `make bundle` first")
    return DIST


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("bundle") / "study"
    root.mkdir()
    img = gradient(300, 240)
    for name in SYNTAXES:
        write_dicom(root / f"{name}.dcm", img, name, window=(128, 256))
    write_dicom(
        root / "mono1_16bit",
        img.astype(np.uint16) * 16,
        "explicit",
        bits_stored=12,
        window=(2048, 4096),
        photometric="MONOCHROME1",
    )
    Image.fromarray(img).save(root / "plain.png")
    Image.fromarray(255 - img).convert("RGB").save(root / "colour.jpg", quality=90)
    (root / "broken.dcm").write_bytes(b"\0" * 128 + b"DICM" + b"\x02\x00")
    return root


def test_frozen_cli_report_equals_source_install(frozen, study, tmp_path):
    cwd = study.parent
    frozen_csv, source_csv = tmp_path / "frozen.csv", tmp_path / "source.csv"
    a = subprocess.run(
        offline([str(frozen / "pneumoscan"), "screen", "study", "-o", str(frozen_csv)]),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    b = subprocess.run(
        [sys.executable, "-m", "pneumoscan", "screen", "study", "-o", str(source_csv)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert a.returncode == b.returncode == 1, (a.stderr, b.stderr)  # broken.dcm is not screened
    from pneumoscan.outputs.csv_report import read_report

    def timeless(path: Path) -> list[dict]:
        return [{k: v for k, v in r.items() if k != "screened_at"} for r in read_report(path)]

    assert timeless(frozen_csv) == timeless(source_csv)  # every column but the screening time
    text = frozen_csv.read_text(encoding="utf-8-sig")
    for name in SYNTAXES:  # every transfer syntax decoded in the bundle (plugins were found)
        line = next(row for row in text.splitlines() if row.startswith(f"study/{name}.dcm"))
        # synthetic gradients are decoded, then refused by the scope gate's learned check
        assert ",ok," in line or ",out_of_scope," in line, line


def test_frozen_cli_version_offline(frozen):
    out = subprocess.run(
        offline([str(frozen / "pneumoscan"), "--version"]), capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0 and "pneumoscan" in out.stdout


def test_frozen_gui_starts_with_a_folder_and_exits_cleanly(frozen, study):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run(
        offline([str(frozen / "pneumoscan-gui"), str(study), "--quit-after", "4"]),
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert out.returncode == 0, out.stderr[-2000:]


def test_bundle_holds_no_training_stack(frozen):
    names = {p.name.lower() for p in (frozen / "_internal").iterdir()}
    assert not names & {"tensorflow", "keras", "tf2onnx", "onnx", "pytest", "matplotlib", "scipy"}
    assert (frozen / "_internal" / "assets" / "model.onnx").exists()


def test_frozen_validate_and_profile_offline(frozen, tmp_path):
    """Site validation works in the frozen app (numbers; no figures, matplotlib is left out) and the
    profile it adopts is listed by the frozen program."""
    from tests.shared import data_dir

    films = data_dir() / "fullres"  # labelled NORMAL/ and PNEUMONIA/ folders
    env = {**os.environ, "PNEUMOSCAN_CONFIG_DIR": str(tmp_path / "config")}
    out = tmp_path / "v.html"
    a = subprocess.run(
        offline([str(frozen / "pneumoscan"), "validate", str(films), "-o", str(out), "--adopt", "s1"]),
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert a.returncode == 0, a.stderr
    html = out.read_text()
    assert "On your 1" in html and "No figures" in html and "Proposed site thresholds" in html
    b = subprocess.run(
        offline([str(frozen / "pneumoscan"), "profiles"]), capture_output=True, text=True, env=env
    )
    assert "s1: threshold" in b.stdout


def test_frozen_dicom_results_and_pdf(frozen, study, tmp_path):
    """highdicom (with its trimmed tables) and reportlab work frozen; outputs read back here."""
    import highdicom as hd
    import pydicom
    from pypdf import PdfReader

    out, pdf = tmp_path / "pacs", tmp_path / "summary.pdf"
    a = subprocess.run(
        offline(
            [
                str(frozen / "pneumoscan"),
                "screen",
                str(study),
                "-o",
                str(tmp_path / "r.csv"),
                "--dicom-out",
                str(out),
                "--pdf",
                str(pdf),
            ]
        ),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert a.returncode == 1, a.stderr  # broken.dcm
    from pydicom.uid import ComprehensiveSRStorage, SecondaryCaptureImageStorage

    docs = [pydicom.dcmread(p) for p in sorted(out.glob("*.dcm"))]
    kinds = [d.SOPClassUID for d in docs]
    # every readable DICOM input (seven syntaxes and the MONOCHROME1 file): one SC and one SR
    assert (
        kinds.count(SecondaryCaptureImageStorage) == kinds.count(ComprehensiveSRStorage) == len(SYNTAXES) + 1
    )
    for d in docs:
        if d.SOPClassUID == ComprehensiveSRStorage:
            assert hd.sr.srread(out / f"{d.SOPInstanceUID}.dcm").content.get_image_measurement_groups()
    assert len(PdfReader(str(pdf)).pages) >= 1


def test_frozen_watch_screens_arrivals_and_stops_on_sigint(frozen, study, tmp_path):
    import signal
    import time

    from pneumoscan.outputs.csv_report import read_report

    inbox, report = tmp_path / "inbox", tmp_path / "watch.csv"
    inbox.mkdir()
    proc = subprocess.Popen(
        offline([str(frozen / "pneumoscan"), "watch", str(inbox), "-o", str(report), "--settle", "0.3"]),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(2)
        for name in ("explicit.dcm", "rle.dcm", "plain.png"):
            shutil.copy(study / name, inbox / name)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not (report.exists() and len(read_report(report)) == 3):
            time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert len(read_report(report)) == 3 and "Traceback" not in err


def test_frozen_listen_receives_a_film_and_stops_on_sigterm(frozen, study, tmp_path):
    """The DICOM node from the folder: a C-STORE on loopback becomes a row; SIGTERM exits 0."""
    import signal
    import time

    import pydicom
    from pynetdicom import AE

    from pneumoscan.outputs.csv_report import read_report
    from tests.pacs import free_port

    port, report = free_port(), tmp_path / "node.csv"
    cmd = [str(frozen / "pneumoscan"), "listen", "--port", str(port), "-o", str(report)]
    proc = subprocess.Popen([*cmd, "--spool", str(tmp_path / "spool")], stderr=subprocess.PIPE, text=True)
    try:
        ds = pydicom.dcmread(study / "rle.dcm")
        ae = AE("MODALITY")
        ae.add_requested_context(ds.SOPClassUID, ds.file_meta.TransferSyntaxUID)
        deadline = time.monotonic() + 60
        assoc = ae.associate("127.0.0.1", port, ae_title="PNEUMOSCAN")
        while not assoc.is_established and time.monotonic() < deadline:
            time.sleep(0.5)
            assoc = ae.associate("127.0.0.1", port, ae_title="PNEUMOSCAN")
        assert int(assoc.send_c_store(ds).Status) == 0
        assoc.release()
        while time.monotonic() < deadline and not (report.exists() and read_report(report)):
            time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert len(read_report(report)) == 1 and "Traceback" not in err


def test_the_bundle_leaves_the_cluster_engine_out(frozen, tmp_path):
    """What the folder holds, not what the spec says: no Ray, pyarrow or pandas in it, and the
    frozen CLI asks for the cluster extra when ``--engine ray`` is given."""
    internal = frozen / "_internal"
    present = {p.name.lower() for p in internal.iterdir()}
    assert not {"ray", "pyarrow", "pandas"} & present
    films = tmp_path / "films"
    films.mkdir()
    out = subprocess.run(
        [str(frozen / "pneumoscan"), "screen", str(films), "-o", str(tmp_path / "r.csv"), "--engine", "ray"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2 and "pneumoscan[cluster]" in out.stderr
