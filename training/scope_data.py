"""Examples for the learned scope gate: in-scope films, out-of-scope images, synthetic negatives.

Every example goes through the serving path (``load_image`` then ``preprocess``)
and is pooled to the gate's working size exactly as the exported gate pools it,
so training sees what the shipped gate sees. Only rows of the scope set with
``train_ok = yes`` may be trained on (licences); the others are kept for
evaluation, which is also what makes them honest "unseen source" figures.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from pneumoscan.scope.classes import GATE_CLASSES

#: The gate reads the main model's 224x224 input averaged over POOL x POOL cells (112x112): enough
#: to tell a child's chest film from other images, cheap beside the main model. The shipped gates
#: were trained so (``train_scope --pool``); the exported ONNX pools inside itself.
POOL = 2

SCOPE_CLASS = {  # scope manifest class -> gate class
    "adult_cxr": "adult_chest",
    "adult_cxr_lateral": "adult_chest",
    "other_radiograph": "other_radiograph",
    "other_medical": "not_radiograph",
    "non_medical": "not_radiograph",
}


@dataclass(frozen=True)
class ScopeItem:
    path: Path
    scope_class: str  # the scope manifest's class
    source: str  # short source name (file-name prefix); sa* consoles are one source
    train_ok: bool

    @property
    def label(self) -> int:
        return GATE_CLASSES.index(SCOPE_CLASS[self.scope_class])


def source_of(path: Path) -> str:
    short = path.name.split("_", 1)[0]
    return "sa-console" if short.startswith("sa") and short != "sa" else short


def scope_items(scope_dir: Path) -> list[ScopeItem]:
    with open(scope_dir / "manifest.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [
        ScopeItem(scope_dir / r["path"], r["class"], source_of(Path(r["path"])), r["train_ok"] == "yes")
        for r in rows
    ]


def pool(tensor: np.ndarray, factor: int = POOL) -> np.ndarray:
    """(224, 224, 1) model input -> (224/f, 224/f, 1), the same average the exported gate applies."""
    h, w = tensor.shape[0] // factor, tensor.shape[1] // factor
    return tensor[: h * factor, : w * factor, 0].reshape(h, factor, w, factor).mean(axis=(1, 3))[..., None]


def squash(pixels: np.ndarray) -> np.ndarray:
    """Display pixels -> the 224x224 uint8 film the model input is equalised from (augmentation works on it)."""
    from pneumoscan.model.preprocess import InputSpec, resize_to_input

    unit = resize_to_input(pixels, InputSpec())
    return np.clip(np.floor(unit * 255.0 + 0.5), 0, 255).astype(np.uint8)


def squash_file(path: Path) -> np.ndarray:
    from pneumoscan.reading.loader import load_image

    return squash(load_image(path).pixels)


def to_input(u8: np.ndarray, factor: int = POOL) -> np.ndarray:
    """Squashed uint8 films (N, 224, 224) -> pooled gate inputs (N, 224/f, 224/f, 1)."""
    from pneumoscan.model.preprocess import equalize

    return np.stack([pool(equalize(img / 255.0)[..., None], factor) for img in u8]).astype(np.float32)


# --- synthetic negatives: things a wrong folder holds, made here so nothing is copied ---


def _noise(rng: np.random.Generator, size: int) -> np.ndarray:
    img = rng.normal(0.5, rng.uniform(0.05, 0.3), (size, size))
    sigma = float(rng.choice([0, 1, 3, 8, 20]))
    pil = Image.fromarray(np.clip(img * 255, 0, 255).astype(np.uint8))
    return np.asarray(pil.filter(ImageFilter.GaussianBlur(sigma)) if sigma else pil)


def _gradient(rng: np.random.Generator, size: int) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size] / size
    if rng.random() < 0.5:
        a = rng.uniform(0, 2 * np.pi)
        g = x * np.cos(a) + y * np.sin(a)
    else:
        cx, cy = rng.uniform(0.2, 0.8, 2)
        g = np.hypot(x - cx, y - cy)
    g = (g - g.min()) / max(np.ptp(g), 1e-6)
    return (g ** rng.uniform(0.5, 2.0) * 255).astype(np.uint8)


def _pattern(rng: np.random.Generator, size: int) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    f1, f2 = rng.uniform(0.02, 0.4, 2)
    a = rng.uniform(0, np.pi)
    g = np.sin((x * np.cos(a) + y * np.sin(a)) * f1)
    if rng.random() < 0.5:
        g = g * np.sin((x * np.sin(a) - y * np.cos(a)) * f2)
    if rng.random() < 0.5:
        g = np.sign(g)
    return ((g + 1) * 127.5).astype(np.uint8)


def _text(rng: np.random.Generator, size: int) -> np.ndarray:
    words = (
        "patient report scan normal image file page total date name value the of and to 0123456789".split()
    )
    bg = int(rng.choice([255, 240, 20, 0]))
    img = Image.new("L", (size, size), bg)
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=int(rng.integers(10, 28)))
    y = int(rng.integers(0, 20))
    while y < size:
        line = " ".join(rng.choice(words, int(rng.integers(2, 9))))
        draw.text((int(rng.integers(0, 30)), y), line, fill=255 - bg, font=font)
        y += int(rng.integers(14, 40))
    return np.asarray(img)


def _shapes(rng: np.random.Generator, size: int) -> np.ndarray:
    img = Image.new("L", (size, size), int(rng.integers(0, 256)))
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(2, 12))):
        box = sorted(rng.integers(0, size, 2)), sorted(rng.integers(0, size, 2))
        xy = [box[0][0], box[1][0], box[0][1] + 1, box[1][1] + 1]
        fill = int(rng.integers(0, 256))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(xy, fill=fill)
    return np.asarray(img)


SYNTHETIC: dict[str, Callable[[np.random.Generator, int], np.ndarray]] = {
    "noise": _noise,
    "gradient": _gradient,
    "pattern": _pattern,
    "text": _text,
    "shapes": _shapes,
}


def synthetic_textures(n_each: int, seed: int) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    xs, kinds = [], []
    for kind, make in SYNTHETIC.items():
        for _ in range(n_each):
            xs.append(squash(make(rng, int(rng.integers(160, 400)))))
            kinds.append(kind)
    return np.stack(xs), kinds


def altered_films(films: list[Path], n: int, seed: int) -> tuple[np.ndarray, list[str]]:
    """Inverted and rotated (90, 180, 270 degrees) paediatric films: wrong way round for the model."""
    from pneumoscan.reading.loader import load_image

    rng = random.Random(seed)
    xs, kinds = [], []
    for i, path in enumerate(rng.sample(films, n)):
        px = load_image(path).pixels
        kind = ("inverted", "rot90", "rot180", "rot270")[i % 4]
        if kind == "inverted":
            top = 255 if px.dtype == np.uint8 else 65535
            px = (top - px).astype(px.dtype)
        else:
            px = np.ascontiguousarray(np.rot90(px, {"rot90": 1, "rot180": 2, "rot270": 3}[kind]))
        xs.append(squash(px))
        kinds.append(kind)
    return np.stack(xs), kinds
