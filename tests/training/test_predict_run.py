"""A folder that is not a training run gets a clear message, before TensorFlow loads."""

from __future__ import annotations

import pytest

from training.predict_run import main


@pytest.mark.parametrize("present", [[], ["config.json"], ["best.keras"]])
def test_a_folder_without_a_run_is_refused_with_its_name(tmp_path, present):
    for name in present:
        (tmp_path / name).write_text("{}")
    with pytest.raises(SystemExit) as err:
        main([str(tmp_path)])
    missing = "best.keras" if "best.keras" not in present else "config.json"
    assert str(tmp_path) in str(err.value) and f"no {missing}" in str(err.value)
