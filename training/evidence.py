"""``python -m training.evidence MODEL.onnx --out DIR``: where does the model's evidence sit?

Measured on the patient-wise validation split, for any shipped ONNX model:

* occlusion: AUC with the central third (columns) of the input blanked, with
  either lateral third blanked, and with only the central strip kept;
  separately for viral and for bacterial films against all normal films;
* the class activation map: share of positive evidence (map minus its median,
  clipped at zero, as the viewer shows it) in the central third, and over the
  lung fields (template ellipses checked by eye on a contact sheet of
  validation films, see ``lung_mask``; no outside labels; not committed);
* a contact sheet of pneumonia films with map and mask outline.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

THIRD = slice(75, 149)
LEFT, RIGHT = slice(0, 75), slice(149, 224)


def template_lungs(h: int, w: int) -> np.ndarray:
    """Two upright ellipses where the lungs of a centred frontal film are: the fallback mask."""
    yy, xx = np.mgrid[0:h, 0:w] / np.array([h, w])[:, None, None]
    left = ((xx - 0.3) / 0.15) ** 2 + ((yy - 0.48) / 0.3) ** 2 <= 1
    right = ((xx - 0.7) / 0.15) ** 2 + ((yy - 0.48) / 0.3) ** 2 <= 1
    return left | right


def lung_mask(u8: np.ndarray) -> np.ndarray:
    """The lung fields of a centred, squashed frontal film: the template ellipses.

    An intensity heuristic (dark regions inside the thorax, not touching its
    box) was tried first and checked on a contact sheet: on these tightly
    framed films the lungs run into the air beside the body, so it fell back to
    the template on 20 of 24 films, and diseased (white) lungs are exactly the
    ones it misses. The template, checked by eye on the same sheet, sits on
    the lung fields; it misses the costophrenic angles and can touch the heart
    border.
    """
    return template_lungs(*u8.shape[:2])


def evidence_map(cam: np.ndarray, size: int = 224) -> np.ndarray:
    """Positive evidence as the viewer shows it, upsampled (nearest) to the input size."""
    pos = np.clip(cam - np.median(cam), 0, None)
    reps = size // cam.shape[0]
    up = np.kron(pos, np.ones((reps, reps), dtype=np.float32))
    pad = size - up.shape[0]
    return np.pad(up, ((0, pad), (0, pad)), mode="edge") if pad else up


def run_model(path: Path, x: np.ndarray, batch: int = 32) -> tuple[np.ndarray, np.ndarray]:
    from training.onnx_session import session

    sess = session(path, 2)
    names = [o.name for o in sess.get_outputs()]
    first = "probability" if "probability" in names else "logit"
    scores, cams = [], []
    for i in range(0, len(x), batch):
        s, c = sess.run([first, "cam"], {"image": x[i : i + batch]})
        scores.append(s[:, 0])
        cams.append(c[..., 0])
    return np.concatenate(scores), np.concatenate(cams)


def _sensitivities(model: Path, scores: np.ndarray, y: np.ndarray, sub: np.ndarray) -> dict:
    """Sensitivity for viral and bacterial films and specificity, at each shipped threshold."""
    manifest = model.with_name("model.json")
    if not manifest.exists():
        return {}
    thresholds = json.loads(manifest.read_text())["thresholds"]
    out = {}
    for name, t in thresholds.items():
        out[name] = {
            "threshold": float(t),
            "viral": float((scores[sub == 1] >= t).mean()),
            "bacterial": float((scores[sub == 0] >= t).mean()),
            "specificity": float((scores[y == 0] < t).mean()),
        }
    return out


def occluded(x: np.ndarray, *cols: slice, rows: slice = slice(None)) -> np.ndarray:
    out = x.copy()
    for c in cols:
        out[:, rows, c, :] = 0.0  # mid-grey in the equalised [-1, 1] input
    return out


def measure(model: Path, out: Path, sheet: bool = True) -> dict:
    from pneumoscan.model.preprocess import InputSpec
    from training import dataset, split

    items = split.list_images(Path("../shared/data/chest_xray/train"))
    _, val = split.split_items(items, split.load_split())
    u8, y = dataset.load_arrays(val, InputSpec())
    x = dataset.model_tensors(u8)
    sub = np.array([split.subtype_label(p.name) for p, _ in val])
    variants = {
        "full": x,
        "central_third_blanked": occluded(x, THIRD),
        "left_third_blanked": occluded(x, LEFT),
        "right_third_blanked": occluded(x, RIGHT),
        "central_strip_only": occluded(x, LEFT, RIGHT),
        # the upper half of the central third holds the hila and upper mediastinum, the lower half
        # the heart and the diaphragm: which one carries the decision?
        "central_upper_half_blanked": occluded(x, THIRD, rows=slice(0, 112)),
        "central_lower_half_blanked": occluded(x, THIRD, rows=slice(112, 224)),
    }
    normal = y == 0
    result: dict = {"model": str(model), "films": int(len(y)), "occlusion_auc": {}}
    cams = None
    for name, xs in variants.items():
        s, c = run_model(model, xs)
        if name == "full":
            cams = c
            result["sensitivity_by_subtype"] = _sensitivities(model, s, y, sub)
        entry = {"all": float(roc_auc_score(y, s))}
        for label, code in (("viral", 1.0), ("bacterial", 0.0)):
            keep = normal | (sub == code)
            entry[label] = float(roc_auc_score(y[keep], s[keep]))
        result["occlusion_auc"][name] = entry
    pos_idx = np.where(y == 1)[0]
    central, lungs, kinds = [], [], []
    mean_map = np.zeros((224, 224), np.float64)
    for i in pos_idx:
        ev = evidence_map(cams[i])
        total = ev.sum()
        if total <= 0:
            continue
        mask = lung_mask(u8[i, ..., 0])
        kinds.append(sub[i])
        central.append(ev[:, THIRD].sum() / total)
        lungs.append((ev * mask).sum() / total)
        mean_map += ev / total
    peak = np.unravel_index(np.argmax(mean_map), mean_map.shape)
    by_sub = {}
    for label, code in (("viral", 1.0), ("bacterial", 0.0)):
        chosen = [k for k, kind in enumerate(kinds) if kind == code]
        by_sub[label] = {
            "central_third_share": float(np.mean([central[k] for k in chosen])),
            "lung_field_share": float(np.mean([lungs[k] for k in chosen])),
        }
    result["cam"] = {
        "grid": list(cams.shape[1:]),
        "pneumonia_films": len(central),
        "central_third_share": float(np.mean(central)),
        "lung_field_share": float(np.mean(lungs)),
        "mean_map_peak_row_col": [int(peak[0]), int(peak[1])],
        "by_subtype": by_sub,
        "lung_mask_share_of_image": float(np.mean([lung_mask(u8[i, ..., 0]).mean() for i in pos_idx[:100]])),
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "evidence.json").write_text(json.dumps(result, indent=2))
    if sheet:
        contact_sheet(out / "contact_sheet.png", u8, cams, pos_idx[:: max(1, len(pos_idx) // 24)][:24])
        np.save(out / "mean_map.npy", mean_map)
    return result


def contact_sheet(path: Path, u8: np.ndarray, cams: np.ndarray, idx: np.ndarray) -> None:
    """Films with their map (red) and the lung mask outline (cyan): for the eye, never committed."""
    from PIL import Image
    from scipy import ndimage

    from pneumoscan.reading.display import overlay

    tiles = []
    for i in idx:
        rgb = overlay(u8[i, ..., 0], cams[i], opacity=0.55)
        mask = lung_mask(u8[i, ..., 0])
        edge = mask & ~ndimage.binary_erosion(mask)
        rgb[edge] = (0, 255, 255)
        tiles.append(rgb)
    cols = 6
    rows = int(np.ceil(len(tiles) / cols))
    sheet = np.zeros((rows * 224, cols * 224, 3), np.uint8)
    for k, t in enumerate(tiles):
        r, c = divmod(k, cols)
        sheet[r * 224 : (r + 1) * 224, c * 224 : (c + 1) * 224] = t
    Image.fromarray(sheet).save(path)


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.offline import ensure_offline

    ensure_offline()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    print(json.dumps(measure(args.model, args.out), indent=2))


if __name__ == "__main__":
    main()
