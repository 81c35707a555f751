"""Received instances on disk before Success is answered: nothing a sender was told is stored is lost.

Each instance is written to ``tmp/`` (fsync), renamed into ``incoming/`` under its SOP Instance
UID and the folder is fsynced: after a power cut the file is either whole in ``incoming/`` or not
there at all, and in the second case the sender got no Success and sends it again. Any failure
(full disk, no permission) is an exception for the caller to turn into a failure status.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from pydicom.uid import UID


class Spool:
    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self.incoming = self.root / "incoming"
        self.tmp = self.root / "tmp"
        self.outbox = self.root / "outbox"
        for d in (self.incoming, self.tmp, self.outbox):
            d.mkdir(parents=True, exist_ok=True)
        for stale in self.tmp.iterdir():  # a write cut short by a crash: the sender had no Success
            stale.unlink(missing_ok=True)

    def name_for(self, sop_instance_uid: str) -> str:
        """The file name for an instance: its UID when valid, else a digest of it (never a path)."""
        uid = str(sop_instance_uid or "").strip("\0 ")
        if uid and UID(uid).is_valid:
            return f"{uid}.dcm"
        return f"uid-{hashlib.sha256(uid.encode()).hexdigest()[:32]}.dcm"

    def store(self, sop_instance_uid: str, encoded: bytes) -> Path:
        """Write one received instance durably; returns its path in ``incoming/``."""
        target = self.incoming / self.name_for(sop_instance_uid)
        tmp = self.tmp / f"{secrets.token_hex(8)}.part"
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_BINARY", 0), 0o666)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(encoded)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(self.incoming)
        return target


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX); Windows has no directory handles to sync."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
