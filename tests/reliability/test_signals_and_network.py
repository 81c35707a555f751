"""Issue 10: signals stop a run like Ctrl-C, and a long screen sends nothing over the network."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pneumoscan import cli
from pneumoscan.outputs.csv_report import read_report
from tests.shared import REPO


def many_films(root: Path, n: int, copies: int = 1) -> Path:
    """``n`` distinct small images, hard-linked ``copies`` times into sub-folders (cheap to make)."""
    rng = np.random.default_rng(0)
    base = (rng.random((224, 224)) * 255).astype(np.uint8)
    first = root / "c0"
    first.mkdir(parents=True)
    for i in range(n):
        Image.fromarray(np.roll(base, i, axis=1)).save(first / f"{i:05d}.png")
    for c in range(1, copies):
        d = root / f"c{c}"
        d.mkdir()
        for f in first.iterdir():
            os.link(f, d / f.name)
    return root


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["TERM", "HUP"])
def test_term_and_hup_keep_what_was_screened(tiny_manifest, tmp_path, sig):
    films = many_films(tmp_path / "films", 300, copies=40)
    out = tmp_path / "r.csv"
    cmd = [
        sys.executable,
        "-m",
        "pneumoscan",
        "screen",
        str(films),
        "-o",
        str(out),
        "--model",
        str(tiny_manifest),
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    seen: list[str] = []
    reader = threading.Thread(target=lambda: seen.extend(iter(lambda: proc.stderr.read(1), "")), daemon=True)
    reader.start()
    deadline = time.monotonic() + 60  # start-up is about a second on a quiet machine, longer on a busy one
    while not re.search(r"\b[1-9]\d*/12000", "".join(seen)) and time.monotonic() < deadline:
        time.sleep(0.1)  # the signal comes once films are being screened (the progress bar says so)
    assert proc.poll() is None, "finished before the signal: make the folder larger"
    proc.send_signal(sig)
    proc.wait(timeout=60)
    reader.join(timeout=10)
    err = "".join(seen)
    assert proc.returncode == 130, err
    rows = read_report(out)
    assert 0 < len(rows) < 12000 and "interrupted" in err and "Traceback" not in err


def test_ctrl_c_during_start_up_prints_no_traceback(monkeypatch, capsys):
    def interrupted(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_parser", interrupted)
    assert cli.main(["screen", "x", "-o", "y.csv"]) == 130
    assert "interrupted" in capsys.readouterr().err


def test_second_ctrl_c_while_saving_does_not_lose_the_report(tiny_manifest, tmp_path, monkeypatch):
    from pneumoscan.cli import screen as screen_cmd

    films = many_films(tmp_path / "films", 5)
    real = screen_cmd.write_report

    def interrupted_save(path, results, no_phi=False):
        os.kill(os.getpid(), signal.SIGINT)  # ignored while saving
        return real(path, results, no_phi=no_phi)

    monkeypatch.setattr(screen_cmd, "write_report", interrupted_save)
    out = tmp_path / "r.csv"
    assert cli.main(["screen", str(films), "-o", str(out), "--model", str(tiny_manifest)]) == 0
    assert len(read_report(out)) == 5


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("strace"), reason="strace not installed (apt-get install strace)")
def test_a_long_screen_opens_no_network_socket(tmp_path):
    """ONNX Runtime's telemetry starts DNS lookups after about 10 s; the shipped model runs for longer."""
    films = many_films(tmp_path / "films", 300, copies=15)
    log = tmp_path / "strace.log"
    cmd = ["strace", "-f", "-qq", "-e", "trace=socket,connect,sendto,sendmsg", "-o", str(log)]
    cmd += [
        sys.executable,
        "-m",
        "pneumoscan",
        "screen",
        str(films),
        "-o",
        str(tmp_path / "r.csv"),
        "--threads",
        "1",
    ]
    start = time.monotonic()
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=REPO
    )
    took = time.monotonic() - start
    assert proc.returncode in (0, 1), proc.stderr
    assert took > 12, f"screen took {took:.1f} s: too short to catch the telemetry timer"
    calls = [ln for ln in log.read_text().splitlines() if "AF_INET" in ln or "htons(53)" in ln]
    assert calls == [], "\n".join(calls[:10])
