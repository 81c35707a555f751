"""Received instances on disk before Success is answered: nothing a sender was told is stored is lost.

Each instance is written with the one atomic write (temporary hidden file, fsync, rename, fsync of
the folder) into ``incoming/`` under its SOP Instance UID: after a power cut the file is either
whole in ``incoming/`` or not there at all, and in the second case the sender got no Success and
sends it again. Any failure (full disk, no permission) is an exception for the caller to turn into
a failure status.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from pydicom.uid import UID

from pneumoscan.outputs.atomic import atomic_write_bytes, is_temporary


class Spool:
    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self.incoming = self.root / "incoming"
        self.outbox = self.root / "outbox"
        for d in (self.incoming, self.outbox):
            d.mkdir(parents=True, exist_ok=True)
        for stale in self.incoming.iterdir():  # a write cut short by a crash: the sender had no Success
            if is_temporary(stale):
                stale.unlink(missing_ok=True)

    def name_for(self, sop_instance_uid: str) -> str:
        """The file name for an instance: its UID when valid, else a digest of it (never a path)."""
        uid = str(sop_instance_uid or "").strip("\0 ")
        if uid and UID(uid).is_valid:
            return f"{uid}.dcm"
        return f"uid-{hashlib.sha256(uid.encode()).hexdigest()[:32]}.dcm"

    def store(self, sop_instance_uid: str, encoded: bytes) -> Path:
        """Write one received instance durably; returns its path in ``incoming/``."""
        return atomic_write_bytes(self.incoming / self.name_for(sop_instance_uid), encoded)
