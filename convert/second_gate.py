"""``python -m convert.second_gate CONVERTED_ASSETS [--assets assets]``: ship a second learned gate.

The multi-hospital gate (``train_scope --hospitals``) refuses other hospitals' adults that the
shipped gate lets through, but a gate of its own with a threshold low enough for validation lets
through images the shipped gate refuses (docs/hospitals.md). Shipped *beside* the first, a film is
refused when either refuses. ``CONVERTED_ASSETS`` is a copy of ``assets/`` that
``convert.scope_gate --gate-reject ...`` converted the new run into; its gate (ONNX, INT8) and
threshold are copied in as ``classifier_hospitals`` and the model is pinned again.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from pneumoscan.model.manifest import sha256_file

FILE = "scope_gate_hospitals.onnx"


def add_second_gate(converted: Path, assets: Path, note: str = "") -> dict:
    from convert.pin import pin

    source = json.loads((converted / "scope_gate.json").read_text())["classifier"]
    shutil.copyfile(converted / source["model_file"], assets / FILE)
    gate_path = assets / "scope_gate.json"
    gate = json.loads(gate_path.read_text())
    gate["classifier_hospitals"] = {
        **{k: v for k, v in source.items() if k != "model_file"},
        "model_file": FILE,
        "sha256": sha256_file(assets / FILE),
        "trained_on": note
        or "the first gate's data plus Shenzhen's children and adults (train_scope --hospitals)",
        "rule": "a film is refused when this gate or the first refuses",
    }
    gate_path.write_text(json.dumps(gate, indent=2) + "\n")
    pin(assets)
    return gate["classifier_hospitals"]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Ship a converted multi-hospital gate beside the first one.")
    ap.add_argument("converted", type=Path)
    ap.add_argument("--assets", type=Path, default=Path("assets"))
    ap.add_argument("--note", default="")
    args = ap.parse_args(argv)
    print(json.dumps(add_second_gate(args.converted, args.assets, args.note), indent=2))


if __name__ == "__main__":
    main()
