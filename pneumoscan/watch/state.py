"""What a watch has already screened, kept beside the report so a restart screens nothing twice."""

from __future__ import annotations

import json
import time
from pathlib import Path

from ..report import atomic_write_text

VERSION = 1


def state_path_for(report: Path) -> Path:
    return report.with_name(report.name + ".watch-state.json")


class WatchState:
    """Instance keys screened (with where and when) and a stat cache that spares re-hashing."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.keys: dict[str, dict] = {}
        self.files: dict[str, list[int]] = {}  # path -> [size, mtime_ns] of files already handled
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                if data.get("version") == VERSION:
                    self.keys = dict(data.get("keys", {}))
                    self.files = {k: list(v) for k, v in data.get("files", {}).items()}
            except (OSError, ValueError, AttributeError) as exc:
                raise ValueError(
                    f"watch state {path} is unreadable ({exc}); move it away to start afresh"
                ) from exc

    def known_file(self, path: Path, size: int, mtime_ns: int) -> bool:
        return self.files.get(str(path)) == [size, mtime_ns]

    def remember(self, path: Path, key: str, size: int, mtime_ns: int) -> None:
        self.files[str(path)] = [size, mtime_ns]
        self.keys.setdefault(key, {"path": str(path), "time": time.strftime("%Y-%m-%dT%H:%M:%S")})

    def save(self) -> None:
        atomic_write_text(self.path, json.dumps({"version": VERSION, "keys": self.keys, "files": self.files}))
