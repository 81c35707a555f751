"""``python -m convert.pin [assets]``: write the decision-field digest into the shipped ONNX file.

The manifest's SHA-256 covers the model file; the digest inside the model
file covers the manifest's thresholds, calibration, input/output contract and
the scope gate's thresholds, so neither can change without the other.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pneumoscan.model.manifest import sha256_file
from pneumoscan.model.schema import DIGEST_KEY, decision_digest


def pin(assets: Path) -> str:
    import onnx

    manifest_path = assets / "model.json"
    manifest = json.loads(manifest_path.read_text())
    gate_path = assets / manifest["scope_gate"] if manifest.get("scope_gate") else None
    gate = json.loads(gate_path.read_text()) if gate_path else None
    digest = decision_digest(manifest, gate)
    model_path = assets / manifest["model_file"]
    model = onnx.load(str(model_path))
    kept = [p for p in model.metadata_props if p.key != DIGEST_KEY]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    model.metadata_props.add(key=DIGEST_KEY, value=digest)
    onnx.save(model, str(model_path))
    manifest["sha256"] = sha256_file(model_path)
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    if gate_path and gate:
        gate["distance"]["main_model_sha256"] = manifest["sha256"]
        gate_path.write_text(json.dumps(gate, indent=2) + "\n")
    reference = assets / "batch_reference.json"  # measured with this model: it names the new file
    if reference.is_file():
        data = json.loads(reference.read_text())
        if "model_sha256" in data:
            data["model_sha256"] = manifest["sha256"]
            reference.write_text(json.dumps(data, indent=1) + "\n")
    return digest


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Pin the manifest's decision fields inside the shipped model.")
    ap.add_argument("assets", type=Path, nargs="?", default=Path("assets"))
    args = ap.parse_args(argv)
    print(f"{DIGEST_KEY} = {pin(args.assets)}")


if __name__ == "__main__":
    main()
