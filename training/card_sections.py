"""Sections of ``assets/MODEL_CARD.md`` that evaluation commands write and the card's writer keeps.

Training-side analyses (scope gate, round 2, hospitals) each own a marked
section; ``convert`` regenerates the rest of the card around them.
"""

from __future__ import annotations

from pathlib import Path

SECTION_START, SECTION_END = "<!-- scope-gate:start -->", "<!-- scope-gate:end -->"
#: Sections written by other commands (the scope gate's, round 2's evidence and transfer figures);
#: regenerating the card keeps each of them.
SECTIONS = ("scope-gate", "scope-gate-history", "round2", "hospitals")


def kept_section(path: Path, name: str = "scope-gate") -> str:
    if not path.exists():
        return ""
    text = path.read_text()
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if start in text and end in text:
        return text[text.index(start) : text.index(end) + len(end)]
    return ""


def replace_section(path: Path, section: str, name: str = "scope-gate") -> None:
    text = path.read_text() if path.exists() else ""
    old = kept_section(path, name)
    text = text.replace(old, section) if old else text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)
