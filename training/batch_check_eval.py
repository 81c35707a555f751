"""``python -m training.batch_check_eval``: what the batch check says on batches of known origin.

Validation films (a random sample, normals only, pneumonias only), full-size films of the training
hospital, and films of two other hospitals (Shenzhen children and adults, Montgomery).
"""

from pathlib import Path

from pneumoscan.model.manifest import default_assets_dir
from pneumoscan.scope.batch import check_results, load_reference
from pneumoscan.screener import Screener
from training import sources, split

ref = load_reference(default_assets_dir() / "batch_reference.json")
s = Screener()
_, val = split.split_items(split.list_images(Path("../shared/data/chest_xray/train")), split.load_split())
data = Path("../shared/data")
nlm = sources.nlm(data)
sets = {
    "guangzhou val (first 150)": [p for p, _ in val[:150]],
    "guangzhou val (100 from the end)": [p for p, _ in val[-100:]],
    "shenzhen children": [f.path for f in nlm if f.hospital == "shenzhen" and f.child],
    "shenzhen normal adults (100)": [
        f.path for f in nlm if f.hospital == "shenzhen" and f.child is False and f.label == 0
    ][:100],
    "montgomery": [f.path for f in nlm if f.hospital == "montgomery"],
    "fullres (same hospital, full-size)": sorted(Path("../shared/data/fullres").rglob("*.jpeg")),
    "val random": __import__("random").Random(1).sample([p for p, _ in val], 150),
}
for name, files in sets.items():
    rs = list(s.screen(files))
    print(name, "|", check_results(rs, ref).line)
