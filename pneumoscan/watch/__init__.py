"""Watch mode: screen films as they arrive in a folder (see ``session.FolderWatch``)."""

from pneumoscan.watch.options import WatchError, WatchOptions
from pneumoscan.watch.rows import daily_pdf_path
from pneumoscan.watch.session import FolderWatch

__all__ = ["FolderWatch", "WatchError", "WatchOptions", "daily_pdf_path"]
