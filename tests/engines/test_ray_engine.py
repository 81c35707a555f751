"""``--engine ray`` on a local Ray instance: the same report as the local engine, and no network.

Marked ``cluster`` (a Ray start costs seconds): ``make test-cluster`` installs the extra and runs
these; CI runs that as its own step. Without Ray, ``--engine ray`` fails with the install hint
(tested in the default run, in ``test_engine_choice.py``).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pneumoscan.outputs.csv_report import read_report
from tests.dicom_factory import SYNTAXES, gradient, write_dicom
from tests.shared import REPO, data_dir

if importlib.util.find_spec("ray") is None:  # find_spec: collecting must not import Ray
    pytest.skip("Ray is not installed (pip install '.[cluster]')", allow_module_level=True)
pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> Path:
    """Chest films as JPEG, PNG and DICOM in several syntaxes, broken files, out-of-scope pictures."""
    root = tmp_path_factory.mktemp("ray") / "mixed"
    root.mkdir()
    films = sorted((data_dir() / "fullres").rglob("*.jp*g"))[:6]
    for i, f in enumerate(films):
        img = np.asarray(Image.open(f).convert("L"))
        if i % 3 == 0:
            shutil.copy(f, root / f"film_{i}.jpeg")
        elif i % 3 == 1:
            Image.fromarray(img).save(root / f"film_{i}.png")
        else:
            for syntax in ("explicit", "rle", "jpeg2000"):
                write_dicom(root / f"film_{i}_{syntax}.dcm", img, syntax)
    for name in list(SYNTAXES)[:3]:
        write_dicom(root / f"gradient_{name}.dcm", gradient(300, 240), name)
    (root / "broken.dcm").write_bytes(b"\0" * 128 + b"DICM" + b"\x02\x00")
    (root / "notes.txt").write_text("not an image")
    photo = np.zeros((300, 400, 3), np.uint8)
    photo[..., 0] = np.linspace(0, 255, 400, dtype=np.uint8)
    photo[100:200, :, 1] = 200
    Image.fromarray(photo).save(root / "photo.jpg")
    odd = os.fsencode(root) + b"/M\xfcller.png"  # a Latin-1 file name (not UTF-8)
    with open(odd, "wb") as fh:
        fh.write((root / "film_1.png").read_bytes())
    return root


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "pneumoscan", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def without_time(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "screened_at"} for r in rows]


def test_ray_report_equals_local_report(mixed, tmp_path):
    local = run_cli("screen", "mixed", "-o", str(tmp_path / "local.csv"), cwd=mixed.parent)
    ray = run_cli(
        "screen",
        "mixed",
        "-o",
        str(tmp_path / "ray.csv"),
        "--engine",
        "ray",
        "--workers",
        "2",
        cwd=mixed.parent,
    )
    assert local.returncode == ray.returncode == 1, (local.stderr[-2000:], ray.stderr[-2000:])
    a, b = read_report(tmp_path / "local.csv"), read_report(tmp_path / "ray.csv")
    assert without_time(a) == without_time(b)
    statuses = {r["status"] for r in a}
    assert {"ok", "error", "out_of_scope"} <= statuses, statuses
    assert all(r["screened_at"] for r in b)


def test_ray_validate_equals_local(tmp_path):
    films = data_dir() / "fullres"
    a = run_cli("validate", str(films), "-o", str(tmp_path / "a.html"), "--bootstrap", "200", cwd=tmp_path)
    b = run_cli(
        "validate",
        str(films),
        "-o",
        str(tmp_path / "b.html"),
        "--bootstrap",
        "200",
        "--engine",
        "ray",
        cwd=tmp_path,
    )
    assert a.returncode == b.returncode == 0, b.stderr[-2000:]
    import json

    ja, jb = (json.loads((tmp_path / f"{n}.json").read_text()) for n in ("a", "b"))
    for key in ("files", "counts", "auc", "operating_points", "proposals", "labelled_files_sha256"):
        assert ja[key] == jb[key], key


@pytest.mark.skipif(not shutil.which("strace"), reason="strace not installed (apt-get install strace)")
def test_ray_engine_talks_only_to_itself(mixed, tmp_path):
    """Every connect/sendto of every Ray process stays on loopback or local sockets: no cloud
    metadata (169.254.169.254), no DNS, no public resolver."""
    log = tmp_path / "strace.log"
    cmd = ["strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(log), sys.executable]
    cmd += [
        "-m",
        "pneumoscan",
        "screen",
        str(mixed),
        "-o",
        str(tmp_path / "r.csv"),
        "--engine",
        "ray",
        "--workers",
        "2",
    ]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=600
    )
    assert proc.returncode == 1, proc.stderr[-2000:]
    lines = log.read_text().splitlines()
    inet = [ln for ln in lines if "AF_INET" in ln or "htons(53)" in ln]
    assert inet, "strace saw no Ray traffic at all: the probe is not working"
    outside = [
        ln for ln in inet if "127.0.0.1" not in ln and '"::1"' not in ln and "::ffff:127.0.0.1" not in ln
    ]
    assert outside == [], "\n".join(outside[:10])
