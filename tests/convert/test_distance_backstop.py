"""The distance check alone on the scope set, per assets folder (``convert.distance_backstop``)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from convert.distance_backstop import main
from tests.shared import data_dir

ASSETS = Path(__file__).resolve().parents[2] / "assets"


def test_each_assets_folder_is_read_at_its_own_threshold(tmp_path, capsys):
    data = data_dir()
    if not (data / "scope").is_dir() or not (data / "chest_xray" / "train").is_dir():
        pytest.skip("the scope set or the chest_xray data set is not beside the repo")
    strict = tmp_path / "strict"
    shutil.copytree(ASSETS, strict)
    gate = json.loads((strict / "scope_gate.json").read_text())
    gate["distance"]["threshold"] = 0.0  # every film is farther than 0: all refused
    (strict / "scope_gate.json").write_text(json.dumps(gate))
    main([str(ASSETS), str(strict), "--data", str(data), "--limit", "40"])
    rows = [
        r.split(" | ") for r in capsys.readouterr().out.splitlines() if r.startswith("| ") and "---" not in r
    ]
    body = {r[0].lstrip("| "): r for r in rows[1:]}
    assert "Guangzhou validation" in body and any(k.startswith("non_medical") for k in body)
    for cells in body.values():
        n = int(cells[1])
        assert cells[3].strip(" |").startswith(f"{n} (100.0%)")  # the strict copy refuses all
        assert int(cells[2].split(" ")[0]) <= n


def test_an_assets_folder_without_a_distance_check_is_a_clear_message(tmp_path):
    from convert.distance_backstop import distances

    with pytest.raises(SystemExit, match="no readable distance check"):
        distances(tmp_path, np.zeros((1, 224, 224, 1), np.float32))
