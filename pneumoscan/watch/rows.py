"""Report rows of earlier sessions as results again (for the day's PDF after a restart)."""

from __future__ import annotations

from pathlib import Path

from pneumoscan.results import ScreenResult, as_status


def result_from_row(row: dict[str, str]) -> ScreenResult:
    """A report row back as a result (no map, no thumbnail)."""

    def num(key: str) -> float | None:
        try:
            return float(row.get(key) or "")
        except ValueError:
            return None

    return ScreenResult(
        path=Path(row.get("path", "")),
        status=as_status(row.get("status", "")),
        reason=row.get("reason", ""),
        probability=num("probability"),
        threshold=num("threshold"),
        operating_point=row.get("operating_point", ""),
        model_version=row.get("model_version", ""),
        meta={"PatientID": row.get("patient_id", "")},
        viral_probability=num("viral_probability"),
        # reproduces the recorded call exactly (the head's threshold is not in the row)
        subtype_threshold={"viral": num("viral_probability"), "bacterial": float("inf")}.get(
            row.get("subtype", "")
        ),
        screened_at=row.get("screened_at", ""),
    )


def daily_pdf_path(pdf: Path, day: str) -> Path:
    return pdf.with_name(f"{pdf.stem}-{day}{pdf.suffix or '.pdf'}")
