"""SC and SR read back with pydicom and highdicom: UIDs, references, codes, values."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.uid import ComprehensiveSRStorage, SecondaryCaptureImageStorage

from pneumoscan.outputs.dicom import codes, write_dicom_results
from pneumoscan.screener import Screener
from tests.dicom_factory import gradient, write_dicom


@pytest.fixture(scope="module")
def screener(tiny_manifest) -> Screener:
    return Screener(tiny_manifest, threads=1)


def _screen(screener: Screener, path: Path):
    return next(iter(screener.screen([path])))


def _read(written: list[Path]) -> dict[str, pydicom.Dataset]:
    out = {}
    for p in written:
        ds = pydicom.dcmread(p)
        assert p.name == f"{ds.SOPInstanceUID}.dcm"
        out["sc" if ds.SOPClassUID == SecondaryCaptureImageStorage else "sr"] = ds
    return out


def _texts(ds: pydicom.Dataset) -> str:
    """Every Text Value in the SR content tree, joined (str(ds) abbreviates long ones)."""
    out = []
    for item in ds.get("ContentSequence", []):
        if "TextValue" in item:
            out.append(str(item.TextValue))
        out.append(_texts(item))
    return " ".join(out)


def _group(sr_path: Path):
    import highdicom as hd

    doc = hd.sr.srread(sr_path)
    groups = doc.content.get_image_measurement_groups()
    assert len(groups) == 1
    return groups[0]


@pytest.mark.parametrize("syntax", ["explicit", "rle", "jpeg", "jpeg2000"])
@pytest.mark.parametrize("threshold,expected", [(0.0, codes.SUSPECTED), (1.0, codes.NOT_FLAGGED)])
def test_sc_and_sr_for_an_assessed_film(screener, tmp_path, syntax, threshold, expected):
    src = write_dicom(tmp_path / "film.dcm", gradient(256, 200), syntax, tags={"PatientID": "P-77"})
    source = pydicom.dcmread(src)
    result = _screen(screener, src).with_threshold("custom", threshold)
    assert result.ok
    outcome = write_dicom_results(result, tmp_path / "out", "v-test", "ab" * 32)
    assert len(outcome.written) == 2, outcome.note
    docs = _read(outcome.written)
    sc, sr = docs["sc"], docs["sr"]
    for ds in (sc, sr):
        assert ds.StudyInstanceUID == source.StudyInstanceUID
        assert ds.PatientID == "P-77"
        assert ds.SeriesInstanceUID != source.SeriesInstanceUID
        assert "PneumoScan" in ds.SeriesDescription
    assert sc.SOPClassUID == SecondaryCaptureImageStorage
    assert sc.PhotometricInterpretation == "RGB" and sc.pixel_array.shape[2] == 3
    assert sc.BurnedInAnnotation == "YES"
    assert sc.SourceImageSequence[0].ReferencedSOPInstanceUID == source.SOPInstanceUID
    assert "not a diagnosis" in sc.ImageComments
    assert ("PNEUMONIA suspected" in sc.ImageComments) == (threshold == 0.0)
    assert sr.SOPClassUID == ComprehensiveSRStorage
    assert sr.CompletionFlag == "COMPLETE"
    group = _group(next(p for p in outcome.written if pydicom.dcmread(p).Modality == "SR"))
    (prob,) = group.get_measurements(name=codes.PROBABILITY)
    assert float(prob.value) == pytest.approx(result.probability, abs=1e-6)
    (thr,) = group.get_measurements(name=codes.THRESHOLD)
    assert float(thr.value) == pytest.approx(threshold)
    (evaluation,) = group.get_qualitative_evaluations(name=codes.RESULT)
    assert evaluation.value == expected
    (ref,) = group.source_images
    assert ref.referenced_sop_instance_uid == source.SOPInstanceUID
    texts = _texts(sr)
    assert "ab" * 32 in texts and "v-test" in texts


def test_out_of_scope_film_gets_not_assessed_with_reason(screener, tmp_path):
    src = write_dicom(tmp_path / "film.dcm", gradient(256, 200), "explicit")
    result = _screen(screener, src)
    result.status, result.reason, result.probability = "out_of_scope", "Not assessed: looks like a hand", None
    outcome = write_dicom_results(result, tmp_path / "out", "v", "cd" * 32)
    docs = _read(outcome.written)
    assert "NOT ASSESSED: looks like a hand" in docs["sc"].ImageComments
    group = _group(next(p for p in outcome.written if pydicom.dcmread(p).Modality == "SR"))
    assert group.get_measurements(name=codes.PROBABILITY) == []
    (evaluation,) = group.get_qualitative_evaluations(name=codes.RESULT)
    assert evaluation.value == codes.NOT_ASSESSED
    assert "looks like a hand" in _texts(docs["sr"])


def test_no_phi_empties_identity_but_keeps_the_study(screener, tmp_path):
    src = write_dicom(tmp_path / "film.dcm", gradient(256, 200), "explicit")
    source = pydicom.dcmread(src)
    result = _screen(screener, src)
    outcome = write_dicom_results(result, tmp_path / "out", "v", "ef" * 32, no_phi=True)
    for ds in _read(outcome.written).values():
        assert ds.StudyInstanceUID == source.StudyInstanceUID
        for keyword in ("PatientName", "PatientID", "PatientAge", "AccessionNumber"):
            assert not str(ds.get(keyword, "") or ""), keyword
        assert "Test^Patient" not in str(ds) and "ACC42" not in str(ds)


def test_rerun_writes_the_same_instances(screener, tmp_path):
    src = write_dicom(tmp_path / "film.dcm", gradient(256, 200), "explicit")
    result = _screen(screener, src)
    first = write_dicom_results(result, tmp_path / "out", "v", "01" * 32).written
    second = write_dicom_results(result, tmp_path / "out", "v", "01" * 32).written
    assert first == second and len(list((tmp_path / "out").iterdir())) == 2


@pytest.mark.parametrize("kind", ["png", "error", "skipped"])
def test_no_dicom_result_for_other_inputs(screener, tmp_path, kind):
    path = tmp_path / "film.png"
    if kind == "png":
        Image.fromarray(gradient(256, 200)).save(path)
    elif kind == "skipped":
        path = write_dicom(tmp_path / "ct.dcm", gradient(256, 200), "explicit", modality="CT")
    else:
        path.write_bytes(b"not an image")
    result = _screen(screener, path)
    outcome = write_dicom_results(result, tmp_path / "out", "v", "00" * 32)
    assert outcome.written == [] and outcome.note.startswith("No DICOM result")


def test_source_without_uids_is_a_note_not_a_crash(screener, tmp_path):
    src = write_dicom(tmp_path / "film.dcm", gradient(256, 200), "explicit")
    ds = pydicom.dcmread(src)
    del ds.StudyInstanceUID
    ds.save_as(src)
    result = _screen(screener, src)
    outcome = write_dicom_results(result, tmp_path / "out", "v", "00" * 32)
    assert outcome.written == [] and "StudyInstanceUID" in outcome.note


def test_capture_pixels_show_the_heatmap_only_for_flagged_films(screener, tmp_path):
    from pneumoscan.outputs.dicom.capture import capture_pixels

    src = write_dicom(tmp_path / "film.dcm", gradient(256, 200), "explicit")
    result = _screen(screener, src)
    pixels = gradient(256, 200)
    normal = capture_pixels(pixels, result.with_threshold("custom", 1.0))
    flagged = capture_pixels(pixels, result.with_threshold("custom", 0.0))
    assert normal.shape == flagged.shape
    band = normal.shape[0] - 256
    grey = normal[band:]
    assert np.all(grey[..., 0] == grey[..., 1])  # no colour on a film that is not flagged
    assert np.any(flagged[band:, :, 0] != flagged[band:, :, 2])


@pytest.mark.skipif(
    not shutil.which("dciodvfy"), reason="dciodvfy not installed (apt-get install dicom3tools)"
)
def test_outputs_pass_dciodvfy(screener, tmp_path):
    """A validator that is not ours (dicom3tools): no errors in the SC or the SR."""
    src = write_dicom(tmp_path / "film.dcm", gradient(256, 200), "explicit")
    result = _screen(screener, src)
    outcome = write_dicom_results(result, tmp_path / "out", "v", "ab" * 32)
    for path in outcome.written:
        out = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True)
        errors = [ln for ln in (out.stdout + out.stderr).splitlines() if ln.startswith("Error")]
        assert errors == [], (path.name, errors)


def test_the_sr_says_where_the_threshold_comes_from_and_the_readers_verdict(screener, tmp_path):
    src = write_dicom(tmp_path / "film.dcm", gradient(256, 200), "explicit")
    result = _screen(screener, src)
    result.with_threshold("site:clinic-a", 0.5)
    result.reader_verdict = "pneumonia"
    outcome = write_dicom_results(result, tmp_path / "out", "v1", "ab" * 32)
    sr = _read(outcome.written)["sr"]
    text = _texts(sr)
    assert "validated at this site (profile clinic-a)" in text and "reader verdict: pneumonia" in text
