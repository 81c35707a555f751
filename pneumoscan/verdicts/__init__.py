"""Reader verdicts: what the clinician decided for each film, kept locally as the site's labels."""

from pneumoscan.verdicts.exchange import attach, export_csv, import_csv, key_of, read_import
from pneumoscan.verdicts.store import VERDICTS, Verdict, VerdictError, VerdictStore, default_path

__all__ = [
    "VERDICTS",
    "Verdict",
    "VerdictError",
    "VerdictStore",
    "attach",
    "default_path",
    "export_csv",
    "import_csv",
    "key_of",
    "read_import",
]
