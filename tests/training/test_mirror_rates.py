"""training.mirror_rates: how often the lost rule mirrors, on hand-drawn masks and segmenter maps."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from training import mirror_rates


def _lungs(right_rows: int) -> np.ndarray:
    """Two lungs side by side; the right one ``right_rows`` tall of the left's 90."""
    m = np.zeros((128, 128), np.float32)
    m[20:110, 15:55] = 1.0
    m[20 : 20 + right_rows, 73:113] = 1.0
    return m


@pytest.mark.parametrize(
    ("maps", "share"),
    [
        ([_lungs(90), _lungs(80)], 0.0),  # both whole (80 of 90 rows: above 0.6)
        ([_lungs(90), _lungs(40)], 0.5),  # one lung more than half lost
        ([_lungs(0), np.zeros((128, 128), np.float32)], 0.5),  # one lung found; no lungs: kept whole
    ],
)
def test_lost_share_counts_the_maps_the_rule_would_mirror(maps, share):
    assert mirror_rates.lost_share(maps) == pytest.approx(share)


def test_hand_drawn_masks_are_read_by_label(tmp_path):
    folder = tmp_path / "other_hospitals"
    (folder / "masks").mkdir(parents=True)
    rows = [("a", "normal", 90), ("b", "normal", 85), ("c", "tuberculosis", 30), ("d", "tuberculosis", 90)]
    for name, _, right in rows:
        Image.fromarray((_lungs(right) * 255).astype(np.uint8)).save(folder / "masks" / f"{name}.png")
    lines = ["path,mask,label"] + [f"images/{n}.jpg,masks/{n}.png,{lab}" for n, lab, _ in rows]
    lines.append("images/e.jpg,,normal")  # a film without a mask is left out
    (folder / "manifest.csv").write_text("\n".join(lines) + "\n")
    assert mirror_rates.hand_drawn(tmp_path) == {"normal": 0.0, "tuberculosis": 0.5}


def test_main_prints_a_row_per_group(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr("pneumoscan.offline.ensure_offline", lambda: None)
    monkeypatch.setattr(mirror_rates, "hand_drawn", lambda data: {"normal": 0.011})
    mirror_rates.main(["--data", str(tmp_path)])
    assert "| NLM hand-drawn, normal | 1.1% |" in capsys.readouterr().out


def test_missing_masks_say_so_instead_of_a_traceback(tmp_path):
    with pytest.raises(SystemExit, match="no manifest.csv"):
        mirror_rates.hand_drawn(tmp_path)
