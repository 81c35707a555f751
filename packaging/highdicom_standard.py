"""The slice of highdicom's tables of the standard that PneumoScan's DICOM results need.

highdicom ships the whole standard's module-attribute table (22 MB of JSON);
building a Secondary Capture and a Comprehensive SR from an X-ray reads the
modules of a handful of IODs. The frozen bundle gets those, minified; the
bundle's smoke test builds both from DX and CR sources to prove it is enough.
"""

from __future__ import annotations

import json
from pathlib import Path

#: IODs whose modules are kept: our outputs and the X-ray inputs they copy from.
IODS = (
    "secondary-capture-image",
    "comprehensive-sr",
    "comprehensive-3d-sr",
    "enhanced-sr",
    "computed-radiography-image",
    "digital-x-ray-image",
    "digital-mammography-x-ray-image",
    "digital-intra-oral-x-ray-image",
    "x-ray-angiographic-image",
    "x-ray-radiofluoroscopic-image",
)


def write_trimmed(out_root: str | Path) -> Path:
    """Write ``highdicom/_standard`` under ``out_root``; returns that folder."""
    import highdicom

    src = Path(highdicom.__file__).parent / "_standard"
    dst = Path(out_root) / "highdicom" / "_standard"
    dst.mkdir(parents=True, exist_ok=True)
    iods = json.loads((src / "iod_module_map.json").read_text())
    modules = json.loads((src / "module_attribute_map.json").read_text())
    keep = {m["key"] for iod in IODS for m in iods[iod]}
    trimmed = {k: v for k, v in modules.items() if k in keep}
    (dst / "module_attribute_map.json").write_text(json.dumps(trimmed, separators=(",", ":")))
    for name in ("iod_module_map.json", "sop_class_iod_map.json", "anatomic_regions.json"):
        data = json.loads((src / name).read_text())
        (dst / name).write_text(json.dumps(data, separators=(",", ":")))
    return dst
