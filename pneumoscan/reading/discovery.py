"""Find candidate files under the paths a user gives, in a stable order.

Discovery does not judge content (the loader does, per file, so every file
gets a row); it only leaves out what is never an image: DICOMDIR indexes,
hidden and OS housekeeping files, and PneumoScan's own outputs (reports,
PDFs, validation reports and watch state, recognised by content; DICOM results
are recognised by the loader, which reads them anyway). What cannot be
walked (unreadable folders, broken links, link loops, names too long) is
returned as a problem with a reason, so it becomes a row instead of vanishing.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from pneumoscan.reading.own import is_own_output

SYSTEM_FILES = {"dicomdir", "thumbs.db", "desktop.ini", ".ds_store", "ehthumbs.db", "icon\r"}
Problem = tuple[Path, str]


def is_skipped_name(name: str) -> bool:
    """Hidden, system and DICOMDIR files are never screened."""
    return name.startswith(".") or name.lower() in SYSTEM_FILES or name.startswith("~$")


def _reason(exc: OSError, what: str) -> str:
    if isinstance(exc, PermissionError):
        return f"Permission denied: PneumoScan may not read this {what}."
    if exc.errno == errno.ENAMETOOLONG:
        return "Path too long for this system; move or rename the file."
    if exc.errno == errno.ELOOP:
        return "Symbolic link loop (the link points back to itself)."
    return f"This {what} could not be read ({exc.strerror or exc})."


def _walk(
    root: Path, seen: set[tuple[int, int]], problems: list[Problem], skip: frozenset[Path] = frozenset()
) -> Iterator[Path]:
    if skip and Path(os.path.realpath(root)) in skip:
        return  # an output folder of this run (DICOM results): never screened
    try:
        st = root.stat()
    except OSError as exc:
        problems.append((root, _reason(exc, "folder")))
        return
    key = (st.st_dev, st.st_ino)
    if key in seen:
        if root.is_symlink():
            problems.append(
                (root, "Link to a folder already screened (symbolic link loop); not screened twice.")
            )
        return
    seen.add(key)
    for entry in _entries(root, problems):
        if is_skipped_name(entry.name):
            continue
        path = Path(entry.path)
        try:
            if entry.is_dir(follow_symlinks=True):
                yield from _walk(path, seen, problems, skip)
            elif entry.is_file(follow_symlinks=True):
                if not is_own_output(path):
                    yield path
            elif entry.is_symlink():
                try:
                    os.stat(path)
                    problems.append((path, "Link to something that is neither a file nor a folder."))
                except OSError as exc:
                    loop = exc.errno == errno.ELOOP
                    problems.append(
                        (path, _reason(exc, "link") if loop else "Broken link: its target does not exist.")
                    )
            else:
                yield path  # FIFOs, sockets, devices: the loader refuses them with a reason
        except OSError as exc:
            problems.append((path, _reason(exc, "file")))


def discover_with_problems(
    paths: Iterable[str | os.PathLike],
    recursive: bool = True,
    exclude: Iterable[str | os.PathLike] = (),
) -> tuple[list[Path], list[Problem]]:
    """Files to screen (de-duplicated, ordered) and what could not be walked, with reasons.

    Files named explicitly are kept even when their name looks hidden: the
    user asked for them. Missing paths are kept too, so they get an error row.
    Folders in ``exclude`` (this run's own output folders) are not walked.
    """
    skip = frozenset(Path(os.path.realpath(e)) for e in exclude)
    out: list[Path] = []
    problems: list[Problem] = []
    seen_files: set[Path] = set()
    seen_dirs: set[tuple[int, int]] = set()
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = _walk(p, seen_dirs, problems, skip) if recursive else _flat(p, problems)
        else:
            found = iter([p])
        for f in found:
            try:
                key = f.resolve() if f.exists() else f.absolute()
            except OSError:
                key = f.absolute()
            if key not in seen_files:
                seen_files.add(key)
                out.append(f)
    return out, problems


def _entries(folder: Path, problems: list[Problem]) -> list[os.DirEntry]:
    """A folder's entries by name; an unreadable folder is a problem with its reason."""
    try:
        return sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        problems.append((folder, _reason(exc, "folder")))
        return []


def _flat(folder: Path, problems: list[Problem]) -> Iterator[Path]:
    for e in _entries(folder, problems):
        if not is_skipped_name(e.name) and e.is_file() and not is_own_output(Path(e.path)):
            yield Path(e.path)


def discover(
    paths: Iterable[str | os.PathLike], recursive: bool = True, exclude: Iterable[str | os.PathLike] = ()
) -> list[Path]:
    """Only the files (see ``discover_with_problems`` for what could not be walked)."""
    return discover_with_problems(paths, recursive, exclude)[0]
