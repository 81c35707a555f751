"""Find candidate files under the paths a user gives, in a stable order.

Discovery does not judge content (the loader does, per file, so every file
gets a row); it only leaves out what is never an image: DICOMDIR indexes,
hidden and OS housekeeping files. Symlink loops are followed once.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

SYSTEM_FILES = {"dicomdir", "thumbs.db", "desktop.ini", ".ds_store", "ehthumbs.db", "icon\r"}


def is_skipped_name(name: str) -> bool:
    """Hidden, system and DICOMDIR files are never screened."""
    return name.startswith(".") or name.lower() in SYSTEM_FILES or name.startswith("~$")


def _walk(root: Path, seen: set[tuple[int, int]]) -> Iterator[Path]:
    try:
        st = root.stat()
    except OSError:
        return
    key = (st.st_dev, st.st_ino)
    if key in seen:
        return
    seen.add(key)
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if is_skipped_name(entry.name):
            continue
        path = Path(entry.path)
        try:
            if entry.is_dir(follow_symlinks=True):
                yield from _walk(path, seen)
            elif entry.is_file(follow_symlinks=True):
                yield path
        except OSError:
            continue


def discover(paths: Iterable[str | os.PathLike], recursive: bool = True) -> list[Path]:
    """Expand files and folders into a de-duplicated, ordered list of files.

    Files named explicitly are kept even when their name looks hidden: the
    user asked for them. Missing paths are kept too, so they get an error row.
    """
    out: list[Path] = []
    seen_files: set[Path] = set()
    seen_dirs: set[tuple[int, int]] = set()
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = (
                _walk(p, seen_dirs)
                if recursive
                else (
                    Path(e.path)
                    for e in sorted(os.scandir(p), key=lambda e: e.name)
                    if e.is_file() and not is_skipped_name(e.name)
                )
            )
        else:
            found = iter([p])
        for f in found:
            key = f.resolve() if f.exists() else f.absolute()
            if key not in seen_files:
                seen_files.add(key)
                out.append(f)
    return out
