"""``python -m convert.second_gate [CONVERTED_ASSETS] [--rule SHARE] [--assets assets]``: the second gate.

The multi-hospital gate (``train_scope --hospitals``) refuses other hospitals' adults that the
shipped gate lets through, but a gate of its own with a threshold low enough for validation lets
through images the shipped gate refuses (docs/hospitals.md). Shipped *beside* the first, a film is
refused when either refuses. ``CONVERTED_ASSETS`` is a copy of ``assets/`` that
``convert.scope_gate --gate-reject ...`` converted the new run into; its gate (ONNX, INT8) and
threshold are copied in as ``classifier_hospitals`` and the model is pinned again.

``--rule SHARE`` sets the shipped second gate's threshold again by the convert rule at another
share of validation (the lower of the SHARE quantiles of its in-scope probability on clean and on
shifted validation films, as ``convert.scope_gate`` does with 0.5%), computed on the shipped INT8
gate itself, and pins again. Why a share can be worth raising, and what it costs, is measured by
``python -m training.second_gate_rule`` (docs/hospitals.md).
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


def rethreshold(assets: Path, share: float) -> dict:
    from convert.pin import pin
    from training.scope_batch import rule_text, rule_threshold
    from training.second_gate_rule import shipped_second_scores

    gate_path = assets / "scope_gate.json"
    gate = json.loads(gate_path.read_text())
    if "classifier_hospitals" not in gate:
        raise SystemExit(f"{gate_path} has no second gate to set a threshold for")
    p_val, p_shift = shipped_second_scores(assets)
    threshold = rule_threshold(p_val, p_shift, (share, share))
    gate["classifier_hospitals"].update(
        threshold=threshold,
        threshold_rule=rule_text((share, share)),
        validation_refused={
            "films": len(p_val),
            "clean": int((p_val < threshold).sum()),
            "shifted": int((p_shift < threshold).sum()),
        },
    )
    gate_path.write_text(json.dumps(gate, indent=2) + "\n")
    pin(assets)
    return gate["classifier_hospitals"]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Ship a converted multi-hospital gate beside the first one.")
    ap.add_argument("converted", type=Path, nargs="?", default=None)
    ap.add_argument("--assets", type=Path, default=Path("assets"))
    ap.add_argument("--note", default="")
    ap.add_argument(
        "--rule", type=float, default=None, help="set the threshold again at this share of validation"
    )
    args = ap.parse_args(argv)
    if args.converted is None and args.rule is None:
        ap.error("give a converted assets folder, --rule, or both")
    if args.rule is not None and not 0 < args.rule < 0.5:
        ap.error("--rule is a share of validation films, between 0 and 0.5 (0.01 is 1%)")
    if args.converted is not None:
        print(json.dumps(add_second_gate(args.converted, args.assets, args.note), indent=2))
    if args.rule is not None:
        print(json.dumps(rethreshold(args.assets, args.rule), indent=2))


if __name__ == "__main__":
    main()
