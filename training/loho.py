"""``python -m training.loho [TRAIN OPTIONS]``: one recipe, leave one hospital out, in one command.

Trains the recipe once per held-out hospital (Montgomery, then Shenzhen: the two other hospitals
with both classes), each run beside the others as its own process, then writes the by-hospital
table and the operating-point table for all of them (``training.hospital_eval``,
``training.operating_point``) to ``runs/loho-<time>/summary.md``. Every option after the
command's own goes to ``training.train`` unchanged, e.g.::

    python -m training.loho --epochs 30 --patience 8 --adversarial 0.15

Each run trains on Guangzhou plus every other hospital except the one it holds out, and chooses
its checkpoint on that hospital; Hannover (pneumonia only) is trained on unless ``--no-hannover``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HELD_OUT = ("montgomery", "shenzhen")


def commands(train_args: list[str], out: Path, hannover: bool = True) -> list[list[str]]:
    """One ``training.train`` command per held-out hospital."""
    cmds = []
    for held in HELD_OUT:
        others = [h for h in HELD_OUT if h != held] + (["hannover"] if hannover else [])
        cmds.append(
            [
                sys.executable,
                "-m",
                "training.train",
                *train_args,
                "--hospitals",
                ",".join(others),
                "--hold-out-hospital",
                held,
                "--out",
                str(out / held),
                "--no-eval",
            ]
        )
    return cmds


def run_all(cmds: list[list[str]], out: Path, parallel: bool = True) -> list[Path]:
    """Run the trainings (side by side unless ``parallel`` is False); return their run folders."""
    out.mkdir(parents=True, exist_ok=True)
    procs = []
    for cmd, held in zip(cmds, HELD_OUT):
        log = open(out / f"{held}.log", "w")
        procs.append((subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT), log, held))
        if not parallel:
            procs[-1][0].wait()
    runs = []
    for proc, log, held in procs:
        code = proc.wait()
        log.close()
        if code != 0:
            raise SystemExit(f"training with {held} held out failed (exit {code}); see {out / f'{held}.log'}")
        runs.append(sorted((out / held).iterdir())[-1])
    return runs


def summary(runs: list[Path]) -> str:
    from training.hospital_eval import run_rows, table
    from training.operating_point import rules_table

    parts = []
    for run in runs:
        rows, t = run_rows(run)
        parts += [table(rows, t, f"run {run}"), rules_table(rows, f"run {run}: threshold rules")]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    from pneumoscan.offline import ensure_offline

    ensure_offline()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("runs"))
    ap.add_argument("--no-hannover", action="store_true", help="leave the pneumonia-only hospital out")
    ap.add_argument("--one-at-a-time", action="store_true", help="run the trainings one after the other")
    args, train_args = ap.parse_known_args(argv)
    out = args.out / time.strftime("loho-%Y%m%d-%H%M%S")
    runs = run_all(commands(train_args, out, not args.no_hannover), out, not args.one_at_a_time)
    text = summary(runs)
    (out / "summary.md").write_text(text)
    print(text)
    print(f"written to {out / 'summary.md'}")


if __name__ == "__main__":
    main()
