"""Typed errors whose message is a sentence a technician can act on.

Each carries a ``status`` so the report can tell a file we refused on purpose
(``skipped``: not a chest radiograph) from one we could not read (``error``).
"""

from __future__ import annotations


class LoadError(Exception):
    """A file could not be turned into a screenable image."""

    status = "error"  # a Status value (errors sit below results.py, which names them)

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotScreenable(LoadError):
    """A readable file that is deliberately not screened (wrong modality, no image)."""

    status = "skipped"


class ModelError(Exception):
    """The shipped model or its manifest is missing, altered or inconsistent."""
