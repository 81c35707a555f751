"""The one "after a batch" step: DICOM results, then the CSV report, then the PDF summary.

``screen``, ``watch``, the workstation's exports (and the DICOM node to come)
all publish through here, so the order (DICOM results first: their outcome is
a note in each row), the failure rules and the wording are the same
everywhere. A DICOM result or a PDF that cannot be written is returned as a
failure for the caller to retry and to turn into a non-zero exit; a report
that cannot be written raises, because the caller must decide (a fallback
file for ``screen``, nothing marked done for ``watch``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pneumoscan.outputs.atomic import atomic_write_text
from pneumoscan.outputs.csv_report import render_rows, row_for
from pneumoscan.results import ScreenResult


@dataclass(frozen=True)
class ModelInfo:
    """What every output states about the model that made the results."""

    version: str
    sha256: str
    operating_point: str = ""

    @classmethod
    def of(cls, screener) -> ModelInfo:
        return cls(screener.manifest.version, screener.manifest.sha256, screener.operating_point)


@dataclass
class PublishOptions:
    report: Path | None = None
    dicom_out: Path | None = None
    pdf: Path | None = None
    no_phi: bool = False
    pdf_title: str = "PneumoScan batch summary"
    batch_check: str = ""  # the batch check's line, printed in the PDF header


@dataclass
class Published:
    rows: list[dict[str, str]] = field(default_factory=list)  # the report's rows, earlier ones included
    report: Path | None = None
    dicom_files: int = 0
    dicom_missing: int = 0  # inputs that get none by design (not DICOM, not read): see their notes
    dicom_failed: list[ScreenResult] = field(default_factory=list)  # tried and failed: retry these
    pdf: Path | None = None
    problems: list[str] = field(default_factory=list)  # messages for the user, one per failed output

    @property
    def ok(self) -> bool:
        return not self.problems


def publish_dicom(
    results: Sequence[ScreenResult], out: Path, model: ModelInfo, no_phi: bool, into: Published
) -> None:
    """SC + SR per DICOM input; the outcome becomes a note of its row."""
    from pneumoscan.outputs.dicom import write_dicom_results

    for r in results:
        outcome = write_dicom_results(r, out, model.version, model.sha256, no_phi)
        r.notes.append(outcome.note)
        into.dicom_files += len(outcome.written)
        if outcome.failed:
            into.dicom_failed.append(r)
        elif not outcome.written:
            into.dicom_missing += 1
    if into.dicom_failed:
        into.problems.append(f"{len(into.dicom_failed)} DICOM result(s) NOT written; see the notes column")


def publish_pdf(
    results: Sequence[ScreenResult],
    path: Path,
    model: ModelInfo,
    no_phi: bool,
    title: str,
    batch_check: str = "",
) -> Path:
    """The printable summary; raises ``OSError`` when it cannot be written."""
    from pneumoscan.outputs.pdf import SummaryInfo, write_summary

    info = SummaryInfo(
        model.version, model.sha256, model.operating_point, title=title, batch_check=batch_check
    )
    return write_summary(path, results, info, no_phi)


def publish(
    results: Sequence[ScreenResult],
    options: PublishOptions,
    model: ModelInfo,
    earlier_rows: Sequence[dict[str, str]] = (),
    before_report: Callable[[list[dict[str, str]]], None] | None = None,
    pdf_results: Sequence[ScreenResult] | None = None,
) -> Published:
    """DICOM results, report, PDF, in that order; see the module docstring for what fails how.

    ``earlier_rows`` are kept ahead of the new rows (a watch's report); ``before_report``
    runs just before the report is replaced (a watch records its batch as pending there);
    ``pdf_results`` summarises other results than ``results`` (a watch's whole day)."""
    done = Published()
    if options.dicom_out is not None:
        publish_dicom(results, options.dicom_out, model, options.no_phi, done)
    done.rows = list(earlier_rows) + [row_for(r, options.no_phi) for r in results]
    if options.report is not None:
        if before_report is not None:
            before_report(done.rows)
        done.report = atomic_write_text(
            options.report, render_rows(done.rows, options.no_phi), encoding="utf-8-sig"
        )
    if options.pdf is not None:
        try:
            done.pdf = publish_pdf(
                results if pdf_results is None else pdf_results,
                options.pdf,
                model,
                options.no_phi,
                options.pdf_title,
                options.batch_check,
            )
        except OSError as exc:
            done.problems.append(f"PDF summary NOT written ({exc.strerror or exc})")
    return done
