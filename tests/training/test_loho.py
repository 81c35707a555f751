"""training.loho: one recipe, each hospital with both classes held out once, one summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from training.loho import HELD_OUT, commands


@pytest.mark.parametrize("hannover", [True, False])
def test_each_run_holds_one_hospital_out_and_trains_on_the_others(hannover):
    cmds = commands(["--epochs", "3", "--adversarial", "0.15"], Path("out"), hannover)
    assert len(cmds) == len(HELD_OUT)
    for cmd, held in zip(cmds, HELD_OUT):
        trained = cmd[cmd.index("--hospitals") + 1].split(",")
        assert cmd[cmd.index("--hold-out-hospital") + 1] == held and held not in trained
        assert ("hannover" in trained) == hannover
        assert cmd[cmd.index("--adversarial") + 1] == "0.15"  # the recipe's options pass through


@pytest.mark.slow
def test_a_tiny_recipe_runs_end_to_end(tmp_path):
    pytest.importorskip("tensorflow")
    from tests.shared import data_dir
    from training.loho import main

    data = data_dir()
    main(
        [
            "--out",
            str(tmp_path),
            "--data",
            str(data / "chest_xray" / "train"),
            "--epochs",
            "1",
            "--steps",
            "1",
            "--limit",
            "16",
        ]
    )
    summary = next(tmp_path.glob("loho-*/summary.md")).read_text()
    assert "montgomery (held out)" in summary and "shenzhen (held out)" in summary
    assert summary.count("| sensitivity 0.98 (screening) |") == len(HELD_OUT)
