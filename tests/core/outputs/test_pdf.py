"""The batch PDF read back with pypdf: pages, order of sections, reasons, footer on every page."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pypdf import PdfReader

from pneumoscan.outputs.pdf import FOOTER, SummaryInfo, counts, write_summary
from pneumoscan.results import ScreenResult


def _result(i: int, status: str = "ok", p: float | None = None, reason: str = "") -> ScreenResult:
    r = ScreenResult(path=Path(f"/films/film_{i:03d}.dcm"), status=status, reason=reason, probability=p)
    r.with_threshold("high_sensitivity", 0.5)
    r.thumbnail = np.tile(np.linspace(0, 255, 64, dtype=np.uint8), (80, 1))
    r.cam = np.linspace(-1, 1, 196, dtype=np.float32).reshape(14, 14)
    r.meta = {"PatientID": f"PID{i}"}
    return r


def _text(path: Path) -> tuple[int, list[str]]:
    reader = PdfReader(str(path))
    return len(reader.pages), [page.extract_text() for page in reader.pages]


@pytest.mark.parametrize("n_flagged", [0, 1, 25])
def test_sections_counts_and_footer(tmp_path, n_flagged):
    results = [_result(i, p=0.6 + i / 100) for i in range(n_flagged)]
    results += [_result(100 + i, p=0.1) for i in range(3)]
    results.append(_result(200, "out_of_scope", reason="Not assessed: looks like a lateral film"))
    results.append(_result(201, "error", reason="Truncated DICOM file"))
    path = write_summary(tmp_path / "s.pdf", results, SummaryInfo("1.2.3", "ab" * 32, "high_sensitivity"))
    pages, texts = _text(path)
    everything = "\n".join(texts)
    assert pages >= (2 if n_flagged > 10 else 1)
    for i, text in enumerate(texts, 1):
        assert f"Page {i} of {pages}" in text
        assert FOOTER.split(";")[0] in text.replace("\n", " ")
    assert f"Flagged films ({n_flagged})" in everything
    assert "looks like a lateral film" in everything and "Truncated DICOM file" in everything
    assert "1.2.3" in everything and "high sensitivity" in everything
    flagged_at = everything.index("Flagged films")
    assert flagged_at < everything.index("Not assessed") < everything.index("Errors")
    if n_flagged > 1:  # most suspicious first
        assert everything.index(f"film_{n_flagged - 1:03d}") < everything.index("film_000")
    assert counts(results)["flagged"] == n_flagged


def test_no_phi_leaves_patient_ids_out(tmp_path):
    results = [_result(1, p=0.9)]
    with_phi = write_summary(tmp_path / "a.pdf", results, SummaryInfo("v"))
    without = write_summary(tmp_path / "b.pdf", results, SummaryInfo("v"), no_phi=True)
    assert "PID1" in "".join(_text(with_phi)[1])
    assert "PID1" not in "".join(_text(without)[1])


def test_cjk_names_print_in_a_font_that_has_them(tmp_path):
    from pneumoscan.outputs.pdf import cjk_font

    results = []
    for i, pid in enumerate(["김희중", "やまだ", "张伟", "Müller"]):
        r = _result(i, p=0.9)
        r.meta = {"PatientID": pid}
        results.append(r)
    path = write_summary(tmp_path / "s.pdf", results, SummaryInfo("v1"))
    fonts = set()
    for page in PdfReader(str(path)).pages:
        fonts |= {str(f.get_object()["/BaseFont"]) for f in page["/Resources"]["/Font"].values()}
    assert {"/HYSMyeongJo-Medium", "/HeiseiMin-W3", "/STSong-Light"} <= fonts
    assert cjk_font("Müller") is None


def test_pictures_are_capped_and_small(tmp_path, monkeypatch):
    import pneumoscan.outputs.pdf as pdf
    from pneumoscan.reading.own import is_own_pdf

    monkeypatch.setattr(pdf, "MAX_PICTURES", 5)
    results = [_result(i, p=0.6 + i / 1000) for i in range(40)]
    for i, r in enumerate(results):
        r.thumbnail = (
            (r.thumbnail.astype(np.int32) + 5 * i).clip(0, 255).astype(np.uint8)
        )  # distinct pictures
    path = write_summary(tmp_path / "s.pdf", results, SummaryInfo("v1"))
    images = sum(len(page["/Resources"].get("/XObject", {})) for page in PdfReader(str(path)).pages)
    assert images == 5
    assert "Pictures are shown for the 5 most suspicious films" in " ".join(_text(path)[1])
    assert path.stat().st_size < 200_000 and is_own_pdf(path)
