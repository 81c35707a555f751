"""``python -m training.texture_probe RUN...``: does a model read a film's framing or sharpness as its class?

Another hospital's films differ from Guangzhou's in how tightly the chest is framed and in how
sharp the detector and its processing leave them. If a model had learned either as a class cue,
changing it on a film would move the film's score in one direction whatever the film shows, as
narrowing a film does (``training.aspect_probe``). This probe changes the run's own Guangzhou
validation films and, for a leave-one-hospital-out run, the held-out hospital's films (adults and
children apart) in five ways, each a plain image operation on the squashed film before the core's
equalisation, and prints the median logit of each group as it is and the median change per way.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

SIDE = 224


def _zoom(film: np.ndarray, factor: float) -> np.ndarray:
    """In (> 1): the centre cropped and enlarged; out (< 1): shrunk, the border's pixels repeated."""
    img = Image.fromarray(film)
    n = film.shape[0]
    if factor > 1:
        c = round(n / factor)
        o = (n - c) // 2
        return np.asarray(img.crop((o, o, o + c, o + c)).resize((n, n), Image.Resampling.BILINEAR))
    c = round(n * factor)
    o = (n - c) // 2
    small = np.asarray(img.resize((c, c), Image.Resampling.BILINEAR))
    return np.pad(small, ((o, n - c - o), (o, n - c - o)), mode="edge")


def _filtered(flt: ImageFilter.Filter) -> Callable[[np.ndarray], np.ndarray]:
    return lambda film: np.asarray(Image.fromarray(film).filter(flt))


def _half_resolution(film: np.ndarray) -> np.ndarray:
    n = film.shape[0]
    small = Image.fromarray(film).resize((n // 2, n // 2), Image.Resampling.BILINEAR)
    return np.asarray(small.resize((n, n), Image.Resampling.BILINEAR))


#: name -> uint8 film -> uint8 film of the same size
CHANGES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "zoom in 1.25": lambda f: _zoom(f, 1.25),
    "zoom out 0.8": lambda f: _zoom(f, 0.8),
    "blur (sigma 1)": _filtered(ImageFilter.GaussianBlur(1)),
    "sharpen (unsharp mask)": _filtered(ImageFilter.UnsharpMask(2, 100, 0)),
    "half resolution": _half_resolution,
}


def changed(films: np.ndarray, change: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """(N, H, W, 1) uint8 -> the same with ``change`` applied to each film."""
    return np.stack([change(f[..., 0])[..., None] for f in films])


def groups(run: Path) -> dict[str, np.ndarray]:
    """Each probed group's squashed films (uint8): Guangzhou validation by class, the held-out hospital
    by class and age group (groups with no films left out)."""
    from pneumoscan.model.preprocess import InputSpec
    from training import dataset
    from training.train import hospital_films, load_config, split_for

    cfg = load_config(run)
    _, val_items, _ = split_for(cfg)
    x, y = dataset.load_arrays(val_items, InputSpec())
    out = {"guangzhou normal": x[y == 0], "guangzhou pneumonia": x[y == 1]}
    held = hospital_films(cfg)["held"]
    if held:
        xh, yh = dataset.load_arrays([(f.path, f.label) for f in held], InputSpec())
        child = np.array([bool(f.child) for f in held])
        for age, mask in (("adults", ~child), ("children", child)):
            for label, name in ((0, "normal"), (1, "abnormal")):
                sel = mask & (yh == label)
                if sel.any():
                    out[f"{cfg.hold_out_hospital} {name} {age}"] = xh[sel]
    return out


def probe(run: Path) -> dict[str, dict[str, float]]:
    """``{change: {group: median logit change}}``, with ``"as it is"`` holding the median logits."""
    import keras

    from training.dataset import model_tensors
    from training.model import head_logits  # also registers the custom layers for loading

    films = groups(run)
    model = keras.models.load_model(run / "best.keras")

    def logits(x: np.ndarray) -> np.ndarray:
        return head_logits(model, model_tensors(x))

    base = {g: logits(x) for g, x in films.items()}
    table = {"as it is": {g: float(np.median(z)) for g, z in base.items()}}
    for name, change in CHANGES.items():
        table[name] = {g: float(np.median(logits(changed(x, change)) - base[g])) for g, x in films.items()}
    return table


def render(run: Path, table: dict[str, dict[str, float]]) -> str:
    cols = list(table["as it is"])
    lines = [f"**{run}**: median logit as it is, then its median change", ""]
    lines += ["| | " + " | ".join(cols) + " |", "| --- " * (len(cols) + 1) + "|"]
    for name, row in table.items():
        sign = "" if name == "as it is" else "+"
        lines.append(f"| {name} | " + " | ".join(f"{row[c]:{sign}.2f}" for c in cols) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.offline import ensure_offline

    ensure_offline()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "run", type=Path, nargs="+", help="training run folders (with best.keras and config.json)"
    )
    args = ap.parse_args(argv)
    for run in args.run:
        print(render(run, probe(run)) + "\n", flush=True)


if __name__ == "__main__":
    main()
