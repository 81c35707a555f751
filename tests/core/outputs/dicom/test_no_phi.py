"""Issue 17, items 7, 8 and 12: --no-phi is an allow-list; every element of every output is scanned."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset
from pypdf import PdfReader

from pneumoscan.outputs.csv_report import render
from pneumoscan.outputs.dicom import write_dicom_results
from pneumoscan.outputs.pdf import SummaryInfo, write_summary
from pneumoscan.screener import Screener
from tests.dicom_factory import gradient, write_dicom

#: Every value below is patient data a hostile test put into the source; none may reach an output.
SECRETS = {
    "PatientName": "DOE^JOHN",
    "PatientID": "PID-778899",
    "IssuerOfPatientID": "ISSUER-HOSP-9",
    "PatientBirthDate": "19320117",
    "PatientBirthTime": "101112",
    "PatientComments": "COMMENT-SECRET",
    "StudyDescription": "CHEST DOE JOHN",
    "PhysiciansOfRecord": "HOUSE^GREGORY",
    "NameOfPhysiciansReadingStudy": "WILSON^JAMES",
    "ResponsiblePerson": "DOE^JANE",
    "Occupation": "ASTRONAUT",
    "AdditionalPatientHistory": "HISTORY-SECRET",
    "PatientWeight": "77.7",
    "PatientSize": "1.83",
    "StudyID": "STUDY-ID-4242",
    "AccessionNumber": "ACC-31337",
    "ReferringPhysicianName": "CUDDY^LISA",
    "InstitutionName": "SAINT-SECRET HOSPITAL",
    "PatientAge": "094Y",
}


def _hostile_source(path: Path, body_part: str = "CHEST") -> Path:
    tags = dict(SECRETS)
    tags["BodyPartExamined"] = body_part
    src = write_dicom(path, gradient(256, 200), "explicit", tags=tags)
    ds = pydicom.dcmread(src)
    other = Dataset()
    other.PatientID = "OTHER-ID-5150"
    ds.OtherPatientIDsSequence = [other]
    ref = Dataset()
    ref.PersonIdentificationCodeSequence = []
    ref.InstitutionName = "REFERRING-SECRET"
    ds.ReferringPhysicianIdentificationSequence = [ref]
    ds.save_as(src)
    return src


def _values(ds: Dataset):
    """Every value of every element, nested sequences included, as text."""
    for elem in ds.iterall():
        if elem.VR in ("SQ", "OB", "OW", "UN", "OF", "OD"):
            continue
        values = elem.value if isinstance(elem.value, (list, pydicom.multival.MultiValue)) else [elem.value]
        for v in values:
            yield elem.keyword, str(v)


def _leaks(text: str) -> list[str]:
    # numbers (weight, size) are checked by keyword: a score such as 21.83 would "contain" 1.83
    needles = [v for v in SECRETS.values() if not v.replace(".", "").isdigit()]
    needles += ["OTHER-ID-5150", "REFERRING-SECRET", "94 years", "DOE", "JOHN"]
    return [n for n in needles if n in text]


@pytest.fixture(scope="module")
def screener(tiny_manifest) -> Screener:
    return Screener(tiny_manifest, threads=1)


@pytest.mark.parametrize("threshold", [0.0, 1.0])  # flagged and not flagged
def test_no_element_of_sc_or_sr_carries_patient_data(screener, tmp_path, threshold):
    src = _hostile_source(tmp_path / "film.dcm")
    result = next(iter(screener.screen([src])))
    if result.ok:
        result.with_threshold("custom", threshold)
    outcome = write_dicom_results(result, tmp_path / "out", "v", "ab" * 32, no_phi=True)
    assert len(outcome.written) == 2, outcome.note
    source = pydicom.dcmread(src)
    for path in outcome.written:
        ds = pydicom.dcmread(path)
        found = [(k, v) for k, v in _values(ds) if _leaks(v)]
        assert found == [], found
        assert ds.StudyInstanceUID == source.StudyInstanceUID  # still filed into the study
        for keyword in ("PatientName", "PatientID", "PatientBirthDate", "StudyID", "AccessionNumber"):
            assert str(ds.get(keyword, "")) == ""
        assert not {"PatientWeight", "PatientSize", "PatientBirthTime"} & {e.keyword for e in ds.iterall()}


@pytest.mark.parametrize("tags", [{"PatientAge": "094Y"}, {"BodyPartExamined": "KNEE DOE JOHN 1234"}])
def test_refusal_reasons_leak_nothing_into_sc_sr_csv_or_pdf(screener, tmp_path, tags):
    base = {k: v for k, v in SECRETS.items() if k != "PatientAge"}
    src = write_dicom(tmp_path / "film.dcm", gradient(256, 200), "explicit", tags={**base, **tags})
    result = next(iter(screener.screen([src], thumbnails=True)))
    assert result.out_of_scope
    outcome = write_dicom_results(result, tmp_path / "out", "v", "ab" * 32, no_phi=True)
    assert len(outcome.written) == 2
    texts = [v for p in outcome.written for _k, v in _values(pydicom.dcmread(p))]
    rows = list(csv.DictReader(io.StringIO(render([result], no_phi=True))))
    texts += list(rows[0].values())
    pdf = write_summary(tmp_path / "s.pdf", [result], SummaryInfo("v"), no_phi=True)
    texts += [page.extract_text() for page in PdfReader(str(pdf)).pages]
    assert [t for t in texts if _leaks(t)] == []  # (numbers such as 1234 could be a score)


@pytest.mark.parametrize(
    "charset, name", [("\\ISO 2022 IR 149", "김희중^길동"), ("\\ISO 2022 IR 87", "山田^太郎")]
)
@pytest.mark.parametrize("no_phi", [False, True])
def test_korean_and_japanese_sources_get_their_results(screener, tmp_path, charset, name, no_phi):
    src = write_dicom(
        tmp_path / "film.dcm", gradient(256, 200), "explicit", tags={"SpecificCharacterSet": charset}
    )
    ds = pydicom.dcmread(src)
    ds.PatientName = name
    ds.save_as(src)
    result = next(iter(screener.screen([src])))
    outcome = write_dicom_results(result, tmp_path / "out", "v", "ab" * 32, no_phi=no_phi)
    assert len(outcome.written) == 2 and outcome.failed == 0, outcome.note
    for path in outcome.written:
        out = pydicom.dcmread(path)
        assert str(out.PatientName) == ("" if no_phi else name)


@pytest.mark.parametrize("uid", ["1.2.3.04.5", "1." + "2" * 81, "1.2.x"])
def test_invalid_source_uids_are_never_copied(screener, tmp_path, uid):
    src = write_dicom(tmp_path / "film.dcm", gradient(256, 200), "explicit", tags={"StudyInstanceUID": uid})
    result = next(iter(screener.screen([src])))
    outcome = write_dicom_results(result, tmp_path / "out", "v", "ab" * 32)
    assert outcome.written == [] and outcome.failed == 0
    assert "not a valid DICOM UID" in outcome.note and not (tmp_path / "out").exists()


def test_a_full_disk_is_a_failure_and_a_non_zero_exit(tiny_manifest, tmp_path, monkeypatch, capsys):
    import pneumoscan.outputs.dicom as dr
    from pneumoscan import cli

    (tmp_path / "in").mkdir()
    write_dicom(tmp_path / "in" / "film.dcm", gradient(256, 200), "explicit")

    def full(_ds):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(dr, "_encode", full)
    args = [
        "screen",
        str(tmp_path / "in"),
        "-o",
        str(tmp_path / "r.csv"),
        "--dicom-out",
        str(tmp_path / "dcm"),
    ]
    assert cli.main([*args, "--model", str(tiny_manifest)]) == 1
    assert "NOT written" in capsys.readouterr().err
