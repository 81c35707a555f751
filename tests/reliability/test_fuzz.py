"""A seeded mutation fuzz of the loader: nothing but ``LoadError`` escapes, nothing hangs, memory stays bounded."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.shared import REPO


def run_fuzz(cases: int, seed: int, tmp_path) -> tuple[list[dict], dict]:
    proc = subprocess.run(
        [sys.executable, "-m", "tests.reliability.fuzz_worker", str(cases), str(seed), str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), "RUST_BACKTRACE": "0"},
        timeout=1800,
    )
    lines = [json.loads(ln) for ln in proc.stdout.splitlines() if ln.startswith("{")]
    assert proc.returncode == 0 and lines, proc.stderr[-2000:]
    return [ln for ln in lines if "problem" in ln], lines[-1]["summary"]


def test_fuzz_smoke(tmp_path):
    problems, counts = run_fuzz(150, 1, tmp_path)
    assert problems == [] and sum(counts.values()) == 150


@pytest.mark.slow
def test_fuzz_thousands_of_mutations(tmp_path):
    problems, counts = run_fuzz(3000, 2026, tmp_path)
    assert problems == [], problems[:5]
    assert counts["ok"] > 0 and counts["load_error"] > 0  # the mutations reach both outcomes
