"""Without Ray, ``--engine ray`` is a usage error that says how to install it; nothing is screened."""

from __future__ import annotations

import sys

import pytest

from pneumoscan.cli import EXIT_USAGE, main


@pytest.mark.parametrize("command", ["screen", "validate"])
def test_engine_ray_without_ray_says_how_to_install(monkeypatch, tmp_path, capsys, tiny_manifest, command):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    films = tmp_path / "films"
    films.mkdir()
    out = tmp_path / ("r.csv" if command == "screen" else "v.html")
    code = main([command, str(films), "-o", str(out), "--engine", "ray", "--model", str(tiny_manifest)])
    assert code == EXIT_USAGE
    err = capsys.readouterr().err
    assert "pip install 'pneumoscan[cluster]'" in err
    assert not out.exists()
