"""The one atomic write, for every file PneumoScan produces.

Reports, PDFs, DICOM results, profiles, watch state and validation reports all
go through here: a temporary file beside the target, fsync, a rename, then an
fsync of the folder, so a crash, Ctrl-C, a power cut or a full disk never
leaves half a file where the last good one was (the DICOM node answers
Success only after this returns), and a watcher never sees a partial file.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Encode, then ``atomic_write_bytes``."""
    return atomic_write_bytes(path, text.encode(encoding))


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; an existing file's permissions are kept.

    The temporary file is created with mode 0666, so the kernel applies the umask as it does to
    any new file (no umask has to be read or set, which would race with other threads)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_beside(target)
    try:
        existing = _existing_mode(target)
        if existing is not None and hasattr(os, "fchmod"):
            os.fchmod(fd, existing)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)
    return target


def is_temporary(path: Path) -> bool:
    """A temporary file of ``atomic_write_bytes`` (left only by a crash mid-write)."""
    return path.name.startswith(".") and path.name.endswith(".tmp")


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable (POSIX); Windows has no folder handles to sync."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _create_beside(target: Path) -> tuple[int, str]:
    """A new, exclusive temporary file in the target's folder (hidden, so no watcher screens it)."""
    for _ in range(100):
        tmp = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(
                tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_BINARY", 0), 0o666
            ), str(tmp)
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {target}")


def _existing_mode(target: Path) -> int | None:
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        return None
