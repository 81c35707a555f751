"""Watch mode: screen films as they arrive in a folder (see ``session.FolderWatch``)."""

from .session import FolderWatch, WatchOptions, daily_pdf_path

__all__ = ["FolderWatch", "WatchOptions", "daily_pdf_path"]
