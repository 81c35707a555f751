"""The printable batch summary (reportlab): what the ward reads on paper.

Flagged films first (thumbnail with heatmap, probability), then the films the
scope gate did not assess and why, then files that could not be read. Every
page says it is not a diagnosis. reportlab is imported only here, only when a
PDF is asked for, so screening never pays for it.
"""

from __future__ import annotations

import io
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from pneumoscan.outputs.csv_report import printable
from pneumoscan.outputs.dicom.wording import DISCLAIMER, operating_label, site_words
from pneumoscan.results import ScreenResult, Status

THUMB = 200  # pixels on the long side of each flagged film's picture
#: Pictures for at most this many flagged films (JPEG, ~10 KB each): a day of 2,000 flagged films
#: stays a PDF of a few MB that prints; the report and the worklist list every film.
MAX_PICTURES = 200
#: reportlab's CID fonts (Adobe's Asian font packs, not embedded): CJK names print as text, not boxes.
_CID_FONTS = (
    ("HYSMyeongJo-Medium", ((0x1100, 0x11FF), (0x3130, 0x318F), (0xAC00, 0xD7AF))),  # Hangul
    ("HeiseiMin-W3", ((0x3040, 0x30FF), (0x31F0, 0x31FF))),  # kana
    ("STSong-Light", ((0x2E80, 0x9FFF), (0xF900, 0xFAFF), (0xFF00, 0xFFEF))),  # Han and full-width forms
)
FOOTER = f"PneumoScan is a second reader for chest X-rays; {DISCLAIMER}. A radiologist decides."


@dataclass
class SummaryInfo:
    """What the header states: when, with which model, at which operating point."""

    model_version: str
    model_sha256: str = ""
    operating_point: str = ""
    when: datetime | None = None
    title: str = "PneumoScan batch summary"
    batch_check: str = (
        ""  # "Batch check: ok (...)" or "... shift (...)": does this batch look like validation?
    )


def counts(results: Sequence[ScreenResult]) -> dict[str, int]:
    c = Counter()
    for r in results:
        c["files"] += 1
        if r.ok:
            c["assessed"] += 1
            c["flagged" if r.flagged else "not flagged"] += 1
        else:
            c["not assessed" if r.out_of_scope else r.status] += 1
    return {
        k: c.get(k, 0)
        for k in ("files", "assessed", "flagged", "not flagged", "not assessed", "error", "skipped")
    }


def _picture(result: ScreenResult) -> bytes | None:
    """PNG of the film with its heatmap: from the kept thumbnail, or decoded again."""
    from PIL import Image

    from pneumoscan.reading.display import overlay, shrink

    pixels = result.thumbnail
    if pixels is None:
        try:
            from pneumoscan.reading.loader import load_image

            pixels = load_image(result.path).pixels
        except Exception:  # noqa: BLE001 - the row still prints, without its picture
            return None
    rgb = overlay(shrink(np.asarray(pixels), THUMB), result.cam)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=80)
    return buf.getvalue()


def cjk_font(text: str) -> str | None:
    """The CID font for text with Hangul, kana or Han characters (None for Latin text)."""
    for name, ranges in _CID_FONTS:
        if any(lo <= ord(ch) <= hi for ch in text for lo, hi in ranges):
            return name
    return None


def _in_font(escaped: str, raw: str) -> str:
    """Paragraph markup for a name in the font that has its characters."""
    name = cjk_font(raw)
    if name is None:
        return escaped
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(name))
    return f'<font name="{name}">{escaped}</font>'


def _name(result: ScreenResult, no_phi: bool) -> str:
    """Paragraph markup: the file name (and the patient ID unless --no-phi), escaped, in a font
    that has their characters."""
    text = printable(str(Path(result.path).name))
    pid = str(result.meta.get("PatientID", "") or "")
    markup = _in_font(_esc(text), text)
    if no_phi or not pid:
        return markup
    return f"{markup}<br/>Patient ID {_in_font(_esc(printable(pid)), pid)}"


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_summary(
    path: str | os.PathLike, results: Sequence[ScreenResult], info: SummaryInfo, no_phi: bool = False
) -> Path:
    """Write the PDF atomically (built in memory, then the report module's atomic write)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas as rl_canvas
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from pneumoscan.outputs.atomic import atomic_write_bytes

    styles = getSampleStyleSheet()
    body, small = styles["BodyText"], styles["BodyText"].clone("small", fontSize=8, leading=10)

    esc = _esc

    class NumberedCanvas(rl_canvas.Canvas):
        """Two-pass page numbers ("page 2 of 5"), the reportlab recipe."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):  # noqa: N802 - reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont("Helvetica", 8)
                self.drawString(15 * mm, 10 * mm, FOOTER)
                self.drawRightString(A4[0] - 15 * mm, 10 * mm, f"Page {self._pageNumber} of {total}")
                super().showPage()
            super().save()

    when = info.when or datetime.now()
    tally = counts(results)
    story = [
        Paragraph(esc(info.title), styles["Title"]),
        Paragraph(
            esc(
                f"{when:%Y-%m-%d %H:%M} · operating point: {info.operating_point.replace('_', ' ') or 'default'} "
                f"({site_words(info.operating_point)}) · "
                f"model {info.model_version}"
                + (f" (SHA-256 {info.model_sha256[:12]}…)" if info.model_sha256 else "")
            ),
            body,
        ),
        *([Paragraph(esc(info.batch_check), body)] if info.batch_check else []),
        Spacer(1, 4 * mm),
    ]
    count_table = Table([list(tally.keys()), [str(v) for v in tally.values()]])
    count_table.setStyle(
        TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey), ("FONTSIZE", (0, 0), (-1, -1), 9)])
    )
    story += [count_table, Spacer(1, 6 * mm)]

    flagged = sorted((r for r in results if r.flagged), key=lambda r: -(r.probability or 0))
    story.append(Paragraph(f"Flagged films ({len(flagged)}), most suspicious first", styles["Heading2"]))
    if flagged:
        rows = [["Film", "File", "Probability", "Operating point", "Subtype (research)"]]
        for i, r in enumerate(flagged):
            png = _picture(r) if i < MAX_PICTURES else None
            pic = Image(io.BytesIO(png), width=38 * mm, height=38 * mm, kind="proportional") if png else ""
            rows.append(
                [
                    pic,
                    Paragraph(_name(r, no_phi), small),
                    f"{r.probability:.2f}",
                    Paragraph(esc(operating_label(r)), small),
                    Paragraph(esc(r.subtype_words or "-"), small),
                ]
            )
        table = Table(rows, colWidths=[42 * mm, 50 * mm, 22 * mm, 30 * mm, 36 * mm], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                ]
            )
        )
        story.append(table)
        if len(flagged) > MAX_PICTURES:
            story.append(
                Paragraph(
                    f"Pictures are shown for the {MAX_PICTURES} most suspicious films; the CSV report and "
                    "the workstation show every film.",
                    small,
                )
            )
    else:
        story.append(Paragraph("None.", body))

    for title, chosen in (
        ("Not assessed (outside what PneumoScan judges)", [r for r in results if r.out_of_scope]),
        ("Errors (files that could not be read)", [r for r in results if r.status == Status.ERROR]),
    ):
        story += [Spacer(1, 6 * mm), Paragraph(f"{title}: {len(chosen)}", styles["Heading2"])]
        if chosen:
            rows = [["File", "Reason"]] + [
                [
                    Paragraph(_name(r, no_phi), small),
                    Paragraph(esc(r.reason), small),
                ]
                for r in chosen
            ]
            table = Table(rows, colWidths=[60 * mm, 120 * mm], repeatRows=1)
            table.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                    ]
                )
            )
            story.append(table)

    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=info.title,
        author="PneumoScan",
        creator="PneumoScan",  # how own.py recognises our PDFs in a screened folder
        subject=FOOTER,
    )
    doc.build(story, canvasmaker=NumberedCanvas)
    return atomic_write_bytes(path, buf.getvalue())
