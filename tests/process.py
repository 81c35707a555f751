"""Run PneumoScan as a user would: as a child process of this checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.shared import REPO  # noqa: E402


def run_cli(*args: str, timeout: float = 120, drop_root: bool = False, **kw) -> subprocess.CompletedProcess:
    """``python -m pneumoscan ...`` in a child process; ``drop_root`` removes the capabilities that ignore file modes."""
    cmd = [sys.executable, "-m", "pneumoscan", *args]
    if drop_root:
        if os.geteuid() == 0:
            if not shutil.which("setpriv"):
                pytest.skip("setpriv not found: cannot drop root's file-mode override")
            caps = "-dac_override,-dac_read_search"
            cmd = ["setpriv", f"--bounding-set={caps}", f"--inh-caps={caps}", *cmd]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO, env=env, **kw)
