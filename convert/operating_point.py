"""``python -m convert.operating_point [ASSETS]``: the screening point, and its check at an unseen hospital.

The default operating point is ``screening``: sensitivity at least 0.98 on validation, chosen as
``convert`` chooses every threshold (bootstrap median over patient-level resamples). Why that
rule and not 0.99: ``python -m training.operating_point`` carries each rule's threshold to
hospitals the model never trained on (docs/hospitals.md). A pneumonia film the scope gate refuses
is never flagged, so once the gate is in the assets folder the rule counts such films as missed:
the 0.98 is then what the product keeps, not what the model alone keeps. This module

- records the check in the manifest (``operating_point_check``): the sensitivity each shipped
  threshold keeps on pneumonia films of a hospital the model did not train on (Hannover's
  licensed adult films, unless the model trained on them), with exact 95% intervals; ``convert``
  calls it for every new model;
- as a command, sets the screening point on converted assets (the last step of shipping a model,
  after its gate and distance check), scored on the shipped INT8 model's own probability with the
  gate's refusals counted as missed, makes it the default, rewrites the model card and pins the
  manifest again.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

UNSEEN = "hannover"
WHAT = {
    "hannover": "adult frontal films with COVID-19 pneumonia (scope/adult_cxr), never trained on; scope gate skipped",
    "collection": "adult frontal films with infectious pneumonia from many hospitals (the public COVID-19 "
    "collection in scope/adult_cxr), never trained on; scope gate skipped",
}


def _screener(assets: Path):
    from pneumoscan.screener import Screener

    return Screener(assets / "model.json")


def _probabilities(screener, items: list[tuple[Path, int]], shifted_seed: int | None = None) -> np.ndarray:
    from pneumoscan.model.preprocess import InputSpec
    from training import dataset

    out = []
    for i in range(0, len(items), 64):
        x, _ = dataset.load_arrays(items[i : i + 64], InputSpec())
        if shifted_seed is not None:
            x = dataset.shifted_copy(x, shifted_seed)
        out.append(screener.model.predict(dataset.model_tensors(x)).probability)
    return np.concatenate(out) if out else np.empty(0)


def unseen_check(assets: Path, data: Path) -> dict | None:
    """Sensitivity of each shipped threshold on pneumonia films of hospitals the model did not
    train on: Hannover's, or, for a model trained on them, the public collection's (None: no such films)."""
    from training import sources
    from training.hospital_eval import rate

    manifest = json.loads((assets / "model.json").read_text())
    trained = sources.trained_on(manifest.get("training", {}).get("config", {}))
    unseen = "collection" if UNSEEN in trained else UNSEEN
    try:
        films = sources.hannover(data) if unseen == UNSEEN else sources.collection(data)
    except OSError:
        return None
    if not films:
        return None
    p = _probabilities(_screener(assets), [(f.path, f.label) for f in films])
    return {
        "hospital": unseen,
        "films": len(films),
        "what": WHAT[unseen],
        "sensitivity": {
            name: rate(int((p >= t).sum()), len(p)) for name, t in manifest["thresholds"].items()
        },
    }


def refused_by_gate(screener, paths: list[str]) -> np.ndarray:
    """Which films the product's scope gate refuses, screened as the product screens them
    (all False when the assets carry no gate)."""
    if not screener.gate.enabled or not screener.gate.config:
        return np.zeros(len(paths), dtype=bool)
    return np.array([bool(r.out_of_scope) for r in screener.screen(paths)])


def add_screening(assets: Path, data: Path) -> dict:
    """Set (or re-measure) the screening point on converted assets, make it the default, re-pin."""
    from convert.card import write_card
    from convert.manifest_writer import SCREENING_RULE, SCREENING_RULE_WITH_GATE
    from convert.pin import pin
    from training import metrics as M
    from training import split
    from training.evaluate import SCREENING_TARGET, sensitivity_spread, spread_at

    path = assets / "model.json"
    m = json.loads(path.read_text())
    screener = _screener(assets)
    _, val = split.split_items(split.list_images(data / "chest_xray" / "train"), split.load_split())
    paths = [str(p) for p, _ in val]
    y = np.array([int(v) for _, v in val])
    seed = int(m.get("training", {}).get("config", {}).get("seed", 42))
    p, ps = _probabilities(screener, val), _probabilities(screener, val, shifted_seed=seed)
    refused = refused_by_gate(screener, paths)
    counted = np.where(refused, -np.inf, p)  # a refused film is never flagged
    spread = sensitivity_spread(y, p, paths, SCREENING_TARGET, refused)
    if not np.isfinite([spread["median"], *spread["ci95"]]).all():
        raise ValueError(
            f"The scope gate refuses {int(refused[y == 1].sum())} of {int((y == 1).sum())} validation "
            f"pneumonia films: too many for sensitivity {SCREENING_TARGET} counting them as missed"
        )
    t = spread["median"]
    m["thresholds"] = {"screening": t, **{k: v for k, v in m["thresholds"].items() if k != "screening"}}
    m["default_operating_point"] = "screening"
    m["operating_points"] = {
        "screening": SCREENING_RULE_WITH_GATE if refused.any() else SCREENING_RULE,
        **{k: v for k, v in m["operating_points"].items() if k != "screening"},
    }
    unc = m["threshold_uncertainty"]
    unc["bootstrap"]["screening"] = spread
    unc["point_estimate"]["screening"] = M.threshold_for_sensitivity(y, counted, SCREENING_TARGET)
    shipped = m["metrics"]["shipped"]
    shipped["validation"]["operating_points"]["screening"] = M.at_threshold(y, p, t)
    shipped["validation_shifted"]["operating_points"]["screening"] = M.at_threshold(y, ps, t)
    shipped["bootstrap_at_threshold"]["screening"] = spread_at(y, p, paths, t)
    pos = y == 1
    m["screening_added"] = (
        "set after conversion by convert.operating_point on the shipped model's own probability, "
        "the scope gate's refusals counted as missed (the other points were chosen on FP32 at "
        "conversion, without the gate)"
    )
    m["screening_gate"] = {
        "refused": {"pneumonia": int(refused[pos].sum()), "normal": int(refused[~pos].sum())},
        "films": {"pneumonia": int(pos.sum()), "normal": int((~pos).sum())},
        "flagged_with_gate": int((counted[pos] >= t).sum()),
    }
    path.write_text(json.dumps(m, indent=2) + "\n")
    pin(assets)
    m = json.loads(path.read_text())
    check = unseen_check(assets, data)  # reads the thresholds just written
    if check:  # not a decision field: the pin stays valid
        m["operating_point_check"] = check
        path.write_text(json.dumps(m, indent=2) + "\n")
    write_card(assets / "MODEL_CARD.md", m)
    return m


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.offline import ensure_offline

    ensure_offline()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("assets", type=Path, nargs="?", default=Path("assets"))
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = ap.parse_args(argv)
    m = add_screening(args.assets, args.data)
    op = m["metrics"]["shipped"]["validation"]["operating_points"]["screening"]
    print(
        f"screening threshold {m['thresholds']['screening']:.4f} "
        f"(95% CI {m['threshold_uncertainty']['bootstrap']['screening']['ci95'][0]:.4f}-"
        f"{m['threshold_uncertainty']['bootstrap']['screening']['ci95'][1]:.4f}): validation sensitivity "
        f"{op['sensitivity']:.3f}, specificity {op['specificity']:.3f}; default = screening"
    )
    g = m["screening_gate"]
    print(
        f"with the scope gate: {g['flagged_with_gate']} of {g['films']['pneumonia']} validation pneumonia "
        f"films flagged ({g['refused']['pneumonia']} refused, counted as missed)"
    )
    if "operating_point_check" in m:
        print(json.dumps(m["operating_point_check"], indent=2))


if __name__ == "__main__":
    main()
