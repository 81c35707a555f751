"""The one output guard: every path PneumoScan writes is checked here before any work starts.

A run must never overwrite a film, a user's spreadsheet or its own ground
truth, and two outputs must never be one file. Paths are compared resolved
(``..`` and symbolic links followed), against every input and against each
other; an existing file may be replaced only when its content shows that
PneumoScan wrote it (``own.py``). A place that cannot be written (read-only,
no permission, full disk) is refused before screening, not after an hour.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pneumoscan.reading.own import is_own_html, is_own_json, is_own_pdf, is_own_report


class OutputError(Exception):
    """An output cannot be written there; the message says why in words."""


@dataclass(frozen=True)
class Target:
    """One thing a command will write: what it is (for messages), where, and how to know our own."""

    role: str
    path: Path
    folder: bool = False
    ours: Callable[[Path], bool] | None = None


def report_target(path: str | os.PathLike, role: str = "report") -> Target:
    return Target(role, Path(path), ours=is_own_report)


def pdf_target(path: str | os.PathLike) -> Target:
    return Target("PDF summary", Path(path), ours=is_own_pdf)


def json_target(path: str | os.PathLike, role: str) -> Target:
    return Target(role, Path(path), ours=is_own_json)


def html_target(path: str | os.PathLike) -> Target:
    return Target("validation report", Path(path), ours=is_own_html)


def folder_target(path: str | os.PathLike, role: str = "DICOM results folder") -> Target:
    return Target(role, Path(path), folder=True)


def resolved(path: str | os.PathLike) -> Path:
    """Absolute, ``..`` removed and symbolic links followed, also for a file not yet there."""
    return Path(os.path.realpath(os.path.abspath(os.fspath(path))))


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


#: Names an output may have inside a screened folder: those own.py can recognise by content.
_RECOGNISED = (".csv", ".pdf", ".json", ".html", ".htm")


def check_targets(
    targets: Iterable[Target], inputs: Sequence[Path], roots: Sequence[str | os.PathLike] = ()
) -> list[Path]:
    """Refuse anything that would lose data or cannot be written; returns the resolved paths."""
    targets = list(targets)
    for t in targets:
        if not os.fspath(t.path).strip():
            raise OutputError(f"the {t.role} path is empty")
    real = [resolved(t.path) for t in targets]
    for i, (a, ra) in enumerate(zip(targets, real)):
        for b, rb in zip(targets[i + 1 :], real[i + 1 :]):
            if ra == rb:
                raise OutputError(f"the {a.role} and the {b.role} would be the same file ({a.path})")
    input_paths: dict[Path, Path] = {}
    for f in inputs:
        try:
            input_paths.setdefault(resolved(f), Path(f))
        except (OSError, ValueError):
            continue
    folders = [resolved(r) for r in roots if Path(r).is_dir()]
    for t, r in zip(targets, real):
        if r in input_paths:
            raise OutputError(f"{t.path} is one of the files to screen; the {t.role} would overwrite it")
        for other in (x for x in (*input_paths, *folders) if t.folder and _inside(x, r) and x != r):
            raise OutputError(f"the {t.role} {t.path} would hold the input {other}; choose another folder")
        if t.folder:
            _check_folder(t, r)
        else:
            _check_file(t, r, folders)
    return real


def _check_file(t: Target, r: Path, screened: Sequence[Path]) -> None:
    if r.is_dir():
        raise OutputError(f"{t.path} is a folder; give a file name for the {t.role}")
    if r.exists():
        try:
            empty = r.stat().st_size == 0
        except OSError:
            empty = False
        if not empty and not (t.ours is not None and t.ours(r)):
            raise OutputError(
                f"{t.path} exists and is not a PneumoScan {t.role}; it is left untouched "
                "(choose another name, or move that file away)"
            )
    if r.suffix.lower() not in _RECOGNISED and any(_inside(r, d) for d in screened):
        raise OutputError(
            f"{t.path} is inside a screened folder but is not a .csv, .pdf, .json or .html file"
        )
    _probe(t, r.parent)


def _check_folder(t: Target, r: Path) -> None:
    if r.exists() and not r.is_dir():
        raise OutputError(f"{t.path} is a file, not a folder; the {t.role} must be a folder")
    _probe(t, r)


def _probe(t: Target, folder: Path) -> None:
    """Create and write a small file where the output will go: read-only, full or forbidden fails now."""
    existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise OutputError(f"{existing} is a file, so the {t.role} cannot be written below it")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=f".{t.path.name}.", suffix=".probe", dir=folder)
        try:
            os.write(fd, b"\0" * 4096)
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError as exc:
        raise OutputError(f"the {t.role} cannot be written in {folder} ({exc.strerror or exc})") from exc


def check_output(
    output: str | os.PathLike, inputs: Sequence[Path], roots: Sequence[str | os.PathLike]
) -> Path:
    """A single CSV report (``screen -o``): see ``check_targets``; returns it as given."""
    check_targets([report_target(output)], inputs, roots)
    return Path(output)


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
