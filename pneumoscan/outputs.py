"""Where a report may go: checked before screening, with a fallback if saving still fails.

A run of thousands of films must never end in a traceback because the report
path was a folder, read-only, full, or one of the images being screened.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path


class OutputError(Exception):
    """The report cannot be written there; the message says why in words."""


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def check_output(
    output: str | os.PathLike, inputs: Sequence[Path], roots: Sequence[str | os.PathLike]
) -> Path:
    """Refuse a report path that would lose data or cannot be written; returns it as a Path.

    Refused: an empty name; a folder; one of the files to be screened; a name
    other than ``.csv`` inside a screened folder; a place where a probe file
    cannot be created and written (read-only, no permission, full disk).
    """
    text = os.fspath(output)
    if not text.strip():
        raise OutputError("the report path is empty")
    target = Path(text)
    if target.is_dir():
        raise OutputError(f"{target} is a folder; give a file name such as {target / 'report.csv'}")
    resolved = target.resolve()
    for f in inputs:
        try:
            same = f.resolve() == resolved
        except OSError:
            same = False
        if same:
            raise OutputError(f"{target} is one of the images to screen; the report would overwrite it")
    folders = [Path(r).resolve() for r in roots if Path(r).is_dir()]
    if target.suffix.lower() != ".csv" and any(_inside(resolved, d) for d in folders):
        raise OutputError(f"{target} is inside the screened folder but does not end in .csv")
    parent = resolved.parent
    existing = next((p for p in (parent, *parent.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise OutputError(f"{existing} is a file, so no report can be written below it")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".probe", dir=parent)
        try:
            os.write(fd, b"\0" * 4096)
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError as exc:
        raise OutputError(f"the report cannot be written in {parent} ({exc.strerror or exc})") from exc
    return target


def fallback_path(target: Path) -> Path:
    """A writable place for a report whose own folder failed at the end of a run."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    name = f"{target.stem or 'report'}-{stamp}.csv"
    for folder in (Path.home() / "PneumoScan reports", Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if os.access(folder, os.W_OK):
                return folder / name
        except OSError:
            continue
    return Path(tempfile.gettempdir()) / name
