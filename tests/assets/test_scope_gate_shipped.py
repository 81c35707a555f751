"""The shipped scope gate: pinned, and refusing what the model cannot judge while assessing real films."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pydicom.data
import pytest
from PIL import Image, ImageDraw

from pneumoscan.model.manifest import default_assets_dir, sha256_file
from pneumoscan.model.schema import DIGEST_KEY
from pneumoscan.screener import Screener
from tests.dicom_factory import SYNTAXES, make_dataset, save
from tests.shared import data_dir
from training import split

ASSETS = default_assets_dir()


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener(ASSETS / "model.json")


def screen(screener: Screener, paths) -> dict:
    return {r.path.name: r for r in screener.screen(list(paths))}


def test_gate_files_are_pinned_and_loaded(screener):
    config = json.loads((ASSETS / "scope_gate.json").read_text())
    assert config["classifier"]["sha256"] == sha256_file(ASSETS / "scope_gate.onnx")
    assert config["distance"]["sha256"] == sha256_file(ASSETS / "scope_stats.npz")
    assert config["distance"]["main_model_sha256"] == screener.manifest.data["sha256"]
    assert screener.gate.classifier is not None and screener.gate.distance is not None
    assert DIGEST_KEY in screener.model.session.get_modelmeta().custom_metadata_map
    second = config["classifier_hospitals"]  # the multi-hospital gate: refuses beside the first
    assert second["sha256"] == sha256_file(ASSETS / second["model_file"])
    assert screener.gate.second is not None and screener.gate.second.threshold == second["threshold"]


def test_the_card_states_the_shipped_distance_threshold():
    """``convert.distance_check`` refits the threshold for each model; the card must say the new one."""
    config = json.loads((ASSETS / "scope_gate.json").read_text())
    card = (ASSETS / "MODEL_CARD.md").read_text()
    assert f"refuses above {config['distance']['threshold']:.1f} (" in card


@pytest.mark.parametrize(
    ("part", "key", "value"),
    [
        ("classifier_hospitals", "threshold", 0.0),  # the multi-hospital gate, lowered to let adults through
        ("site_limit", "max_shift", 10.0),  # how far a site may loosen both gates (scope.site_gate)
    ],
)
def test_the_gates_loosening_fields_are_pinned(tmp_path, part, key, value):
    """A hand edit that would let more through breaks the digest pinned inside the model."""
    import shutil

    from pneumoscan.errors import ModelError

    copy = tmp_path / "assets"
    shutil.copytree(ASSETS, copy)
    gate = json.loads((copy / "scope_gate.json").read_text())
    gate[part][key] = value
    (copy / "scope_gate.json").write_text(json.dumps(gate))
    with pytest.raises(ModelError, match="differ from those this model was shipped with"):
        Screener(copy / "model.json")


def pictures(folder: Path) -> list[Path]:
    """Things a wrong folder holds, made here: noise, a colour photo stand-in, text, a checkerboard."""
    rng = np.random.default_rng(3)
    made = {
        "noise.png": (rng.random((300, 300)) * 255).astype(np.uint8),
        "colour.png": rng.integers(0, 256, (300, 300, 3), dtype=np.uint8),
        "checker.png": ((np.indices((320, 320)).sum(axis=0) // 40) % 2 * 255).astype(np.uint8),
    }
    for name, px in made.items():
        Image.fromarray(px).save(folder / name)
    page = Image.new("L", (400, 500), 255)
    draw = ImageDraw.Draw(page)
    for y in range(20, 480, 24):
        draw.text((20, y), "Patient report: findings normal, no acute disease. Signed.", fill=0)
    page.save(folder / "document.png")
    return sorted(folder.iterdir())


def test_pictures_are_out_of_scope(screener, tmp_path):
    results = screen(screener, pictures(tmp_path))
    assert {n: r.status for n, r in results.items()} == dict.fromkeys(results, "out_of_scope")
    assert all(r.probability is None and r.reason.startswith("Not assessed: ") for r in results.values())


def test_no_pydicom_test_file_is_assessed(screener):
    """None of them is a chest radiograph: each is skipped, refused or unreadable."""
    folder = Path(pydicom.data.get_testdata_file("CT_small.dcm")).parent
    results = screen(screener, sorted(p for p in folder.iterdir() if p.is_file()))
    assert len(results) > 60
    assert [n for n, r in results.items() if r.ok] == []


@pytest.fixture(scope="module")
def validation_films() -> list[Path]:
    data = data_dir()
    _, val = split.split_items(split.list_images(data / "chest_xray" / "train"), split.load_split())
    return [p for p, _ in val]


def test_validation_films_are_assessed(screener, validation_films):
    """At most 1% of in-scope films refused: the bar issue 18 sets for the official test.

    The distance check's threshold is refitted for each shipped model at the 99.8% quantile of
    these films' distances (or higher), so about 0.2% of them are refused by construction; the
    learned gates, unchanged, refuse their own few (stop 48: 8 of 1,054 in all).
    """
    results = list(screener.screen(validation_films))
    refused = [r for r in results if r.out_of_scope]
    assert len(refused) / len(results) <= 0.01, [f"{r.path.name}: {r.reason}" for r in refused]


def test_inverted_and_rotated_films_are_refused(screener, validation_films, tmp_path):
    for i, path in enumerate(validation_films[:40:4]):
        px = np.asarray(Image.open(path).convert("L"))
        Image.fromarray(255 - px).save(tmp_path / f"inv_{i}.png")
        Image.fromarray(np.rot90(px)).save(tmp_path / f"rot_{i}.png")
    results = screen(screener, sorted(tmp_path.iterdir()))
    refused = sum(r.out_of_scope for r in results.values())
    assert refused / len(results) >= 0.9, {n: r.status for n, r in results.items()}


def test_chest_films_as_dicom_are_assessed(screener, tmp_path):
    """Full-size paediatric films (training studies) wrapped as DICOM in several syntaxes with chest tags."""
    films = sorted((data_dir() / "fullres").glob("*/*.jpeg"))[::8]
    paths = []
    for i, film in enumerate(films):
        px = np.asarray(Image.open(film).convert("L"))
        syntax = list(SYNTAXES)[i % len(SYNTAXES)]
        tags = {"PatientAge": "003Y", "ViewPosition": "AP", "BodyPartExamined": "CHEST"}
        paths.append(save(make_dataset(px, tags=tags), tmp_path / f"{film.stem}.dcm", SYNTAXES[syntax]))
    results = screen(screener, paths)
    assessed = [r for r in results.values() if r.ok]
    assert len(assessed) / len(results) >= 0.9, {n: r.reason for n, r in results.items() if not r.ok}


def eval_only_scope_images() -> dict[str, list[Path]]:
    """Scope-set images whose licence kept them out of training: sources the gate never saw."""
    scope = data_dir() / "scope"
    out: dict[str, list[Path]] = {}
    with open(scope / "manifest.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["train_ok"] == "no":
                out.setdefault(row["class"], []).append(scope / row["path"])
    return out


@pytest.mark.parametrize("cls", ["other_radiograph", "other_medical", "adult_cxr", "adult_cxr_lateral"])
def test_unseen_sources_are_mostly_refused(screener, cls):
    """Floors well below the figures in the README: this guards against a broken gate, not a tuned one."""
    paths = eval_only_scope_images()[cls]
    results = list(screener.screen(paths))
    share = sum(r.out_of_scope for r in results) / len(results)
    floor = {"other_radiograph": 0.9, "other_medical": 0.9, "adult_cxr": 0.5, "adult_cxr_lateral": 0.5}[cls]
    assert share >= floor


@pytest.mark.parametrize("view, tags_decide", [("PA", True), ("", False)])
def test_a_childs_tags_outweigh_the_gates_guess_but_not_orientation(
    screener, validation_films, tmp_path, view, tags_decide
):
    """Shenzhen's children as CR DICOMs with their ages: with all four tags none is refused on the
    gates' guess (a few are without ViewPosition); turned films stay refused either way."""
    from training import scope_hospitals
    from training.tags_affirm_eval import child_chest, pixels_of, write_dicom

    kids = [f for f in scope_hospitals.hospital_films(data_dir()) if f["child"]]
    films = [(Path(f["path"]), f["age"], False) for f in kids] + [
        (p, 3, True) for p in validation_films[:60:6]
    ]
    paths = [
        write_dicom(
            pixels_of(path, turned), tmp_path / f"{i}.dcm", {**child_chest(age), "ViewPosition": view}
        )
        for i, (path, age, turned) in enumerate(films)
    ]
    by_name = screen(screener, paths)
    results = [by_name[p.name] for p in paths]
    children, turned = results[: len(kids)], results[len(kids) :]
    assert all(r.out_of_scope for r in turned), [r.reason for r in turned if not r.out_of_scope]
    on_word = [r for r in children if any("DICOM tags say a child's" in n for n in r.notes)]
    if tags_decide:
        assert all(r.ok for r in children) and on_word, [r.reason for r in children if not r.ok]
    else:
        assert not on_word and any(r.out_of_scope for r in children)


@pytest.mark.parametrize("syntax", ["jpeg2000", "rle", "explicit"])
def test_a_six_year_olds_cr_film_as_a_pacs_sends_it_is_read_as_the_film_itself(
    screener, validation_films, tmp_path, syntax
):
    """Issue 18's 6-year-old: a CR chest film of a child of 6 with pneumonia, 12 bits, MONOCHROME1
    (white is 0), windowed, compressed. The pipeline must judge it as it judges the same film as a
    JPEG: assessed with the same probability and the same verdict, whatever the encoding."""
    films = [p for p in validation_films if "PNEUMONIA" in p.parts][::97][:6]
    tags = {
        "Modality": "CR",
        "PatientAge": "006Y",
        "ViewPosition": "PA",
        "BodyPartExamined": "CHEST",
    }
    paths = []
    for i, film in enumerate(films):
        px = np.asarray(Image.open(film).convert("L")).astype(np.uint16) * 16  # 12 bits, 0-4080
        ds = make_dataset(
            4095 - px, photometric="MONOCHROME1", bits_stored=12, window=(2048, 4096), tags=tags
        )
        paths.append(save(ds, tmp_path / f"child6_{i}.dcm", SYNTAXES[syntax]))
    as_jpeg = [screen(screener, [f])[f.name] for f in films]
    as_dicom = [screen(screener, [p])[p.name] for p in paths]
    assert all(r.ok for r in as_dicom), [r.reason for r in as_dicom if not r.ok]
    for jpeg, dicom in zip(as_jpeg, as_dicom):
        assert dicom.probability == pytest.approx(jpeg.probability, abs=0.02)
        assert dicom.flagged == jpeg.flagged
    assert sum(r.flagged for r in as_dicom) >= 5  # validation pneumonia: 98% flagged at the default
