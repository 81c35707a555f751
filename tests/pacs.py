"""Real DICOM software for the node's tests: an Orthanc PACS and dcmtk's tools, on free loopback ports.

``.ci/run`` installs Debian's ``orthanc`` and ``dcmtk`` (CI runs as root); elsewhere the tests that
need them skip with the reason. Orthanc is driven through its REST API, as a PACS administrator
would; the node is ``python -m pneumoscan listen`` in a child process, as a user starts it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.shared import REPO

ORTHANC = shutil.which("Orthanc") or ("/usr/sbin/Orthanc" if Path("/usr/sbin/Orthanc").exists() else None)


def need(*tools: str) -> None:
    """Skip with the reason when a tool is missing (CI installs them: see .ci/run)."""
    for tool in tools:
        found = ORTHANC if tool == "Orthanc" else shutil.which(tool)
        if not found and os.environ.get("PNEUMOSCAN_REQUIRE_PACS"):  # CI: missing tools are a failure
            pytest.fail(f"{tool} not installed, and PNEUMOSCAN_REQUIRE_PACS is set")
        if not found:
            pytest.skip(f"{tool} not installed (apt-get install orthanc dcmtk; .ci/run does this in CI)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Orthanc:
    """One Orthanc with its own storage; knows the node as modality ``pneumoscan``."""

    def __init__(self, folder: Path, node_port: int, aet: str = "ORTHANC") -> None:
        self.folder, self.aet = folder, aet
        self.http, self.dicom = free_port(), free_port()
        folder.mkdir(parents=True, exist_ok=True)
        config = {
            "Name": "pneumoscan-test",
            "StorageDirectory": str(folder / "db"),
            "IndexDirectory": str(folder / "db"),
            "HttpPort": self.http,
            "DicomPort": self.dicom,
            "DicomAet": aet,
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": False,
            "DicomModalities": {"pneumoscan": ["PNEUMOSCAN", "127.0.0.1", node_port]},
            "DicomScuTimeout": 30,
            "Plugins": [],
            "StableAge": 2,
        }
        (folder / "orthanc.json").write_text(json.dumps(config))
        self.proc = None

    def start(self) -> Orthanc:
        log = open(self.folder / "orthanc.log", "w")
        self.proc = subprocess.Popen([ORTHANC, str(self.folder / "orthanc.json")], stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self.get("/system")
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"Orthanc did not start; see {self.folder / 'orthanc.log'}")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc = None

    def _call(self, method: str, path: str, body: bytes | None = None, kind: str = "application/json"):
        req = urllib.request.Request(f"http://127.0.0.1:{self.http}{path}", data=body, method=method)
        if body is not None:
            req.add_header("Content-Type", kind)
        with urllib.request.urlopen(req, timeout=120) as rsp:
            return json.loads(rsp.read() or b"null")

    def get(self, path: str):
        return self._call("GET", path)

    def upload(self, path: Path) -> dict:
        return self._call("POST", "/instances", path.read_bytes(), "application/dicom")

    def push_to_node(self, resources: list[str]) -> dict:
        """Orthanc sends studies/instances to the node by C-STORE (its REST ``modalities/.../store``)."""
        body = json.dumps({"Resources": resources, "Synchronous": True}).encode()
        return self._call("POST", "/modalities/pneumoscan/store", body)

    def series_of(self, study_id: str) -> list[dict]:
        return self.get(f"/studies/{study_id}/series")

    def instances(self) -> list[str]:
        return self.get("/instances")


class Node:
    """``pneumoscan listen`` as a child process; its stderr lines are kept in ``lines``."""

    def __init__(self, tmp: Path, model: Path, port: int, *extra: str) -> None:
        self.port, self.tmp = port, tmp
        cmd = [sys.executable, "-m", "pneumoscan", "listen", "--port", str(port), "--model", str(model)]
        cmd += ["-o", str(tmp / "report.csv"), "--spool", str(tmp / "spool"), "--threads", "1", *extra]
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, cwd=tmp, env=env)
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for("listening as", 60)

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines:
                if text in line:
                    return line
            if self.proc.poll() is not None:
                raise AssertionError(f"node exited {self.proc.returncode}:\n" + "\n".join(self.lines))
            time.sleep(0.1)
        raise AssertionError(f"{text!r} not said in {timeout} s:\n" + "\n".join(self.lines[-30:]))

    def rows(self) -> list[dict[str, str]]:
        import csv

        path = self.tmp / "report.csv"
        if not path.exists():
            return []
        with open(path, encoding="utf-8-sig", newline="") as fh:
            return list(csv.DictReader(fh))

    def wait_rows(self, n: int, timeout: float = 120) -> list[dict[str, str]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = self.rows()
            if len(rows) >= n:
                return rows
            time.sleep(0.2)
        raise AssertionError(f"{len(self.rows())} rows of {n}:\n" + "\n".join(self.lines[-30:]))

    def stop(self, sig: int = 15) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=60)


def tool(*cmd: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout)
