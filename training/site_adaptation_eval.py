"""``python -m training.site_adaptation_eval``: the site loop on real films, half labelled, half not.

The patient-wise Guangzhou validation split is cut by patient into halves A and B. Reader verdicts
are recorded for A; ``validate A --from-verdicts --adapt --adopt site`` runs; then B is screened
with ``--profile site`` and with the shipped default, and sensitivity and specificity on B are
printed. In-distribution (one hospital): a check of the mechanism on real features, not of
transfer to another hospital. Works in ``--work`` (its own data and configuration folders).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data/chest_xray/train"))
    ap.add_argument("--work", type=Path, default=Path("/tmp/pneumoscan-site-loop"))
    args = ap.parse_args(argv)
    work = args.work.resolve()
    shutil.rmtree(work, ignore_errors=True)
    env = {
        **os.environ,
        "PNEUMOSCAN_DATA_DIR": str(work / "data"),
        "PNEUMOSCAN_CONFIG_DIR": str(work / "config"),
    }
    os.environ.update(env)

    from pneumoscan.verdicts import Verdict, VerdictStore, key_of
    from training import split

    _, val = split.split_items(split.list_images(args.data), split.load_split())
    patients = sorted({split.patient_id(p.name) for p, _ in val})
    random.Random(0).shuffle(patients)
    half = set(patients[: len(patients) // 2])
    parts = {
        "A": [(p, y) for p, y in val if split.patient_id(p.name) in half],
        "B": [(p, y) for p, y in val if split.patient_id(p.name) not in half],
    }
    for name, items in parts.items():
        (work / name).mkdir(parents=True)
        for p, _ in items:
            os.symlink(p.resolve(), work / name / p.name)
    VerdictStore().record(
        [Verdict(key_of(work / "A" / p.name), "pneumonia" if y else "normal") for p, y in parts["A"]]
    )
    cmd = [sys.executable, "-m", "pneumoscan"]
    out = subprocess.run(
        [
            *cmd,
            "validate",
            str(work / "A"),
            "--from-verdicts",
            "--adapt",
            "--adopt",
            "site",
            "-o",
            str(work / "v.html"),
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    print(out.stdout)
    truth = {p.name: y for p, y in parts["B"]}
    for label, extra in (("site profile", ["--profile", "site"]), ("shipped default", [])):
        subprocess.run(
            [*cmd, "screen", str(work / "B"), "-o", str(work / "r.csv"), *extra], capture_output=True, env=env
        )
        with open(work / "r.csv", encoding="utf-8-sig", newline="") as fh:
            rows = [r for r in csv.DictReader(fh) if r["status"] == "ok"]
        flagged = {r["path"].rsplit("/", 1)[-1]: r["result"] == "PNEUMONIA" for r in rows}
        pos = [flagged[n] for n, y in truth.items() if y and n in flagged]
        neg = [not flagged[n] for n, y in truth.items() if not y and n in flagged]
        print(
            f"half B with the {label}: {len(rows)} films, sensitivity {sum(pos) / len(pos):.3f}, "
            f"specificity {sum(neg) / len(neg):.3f}"
        )


if __name__ == "__main__":
    main()
