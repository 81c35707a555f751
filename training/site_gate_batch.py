"""``python -m training.site_gate_batch FIRST SECOND``: a site gate on a batch the gates never saw.

``pneumoscan validate`` proposes a site's own learned-gate thresholds (``pneumoscan.scope.site_gate``:
both gates moved down by one shift on the log-odds scale, within a shipped limit). The shipped gates
were trained on all of Guangzhou's films, so what that would do at a site is measured here with a
pair of gates trained with Guangzhou's second batch held out (``train_scope --hold-out-batch``; the
first gate's recipe and the second's with ``--hospitals``), each at the shipped rule: of the batch's
744 normal films, how many the pair refuses at each shift, the shift the 1% rule would propose,
and how many of the scope set's adult frontal films no gate was trained on the pair still refuses
there. The learned gates alone: tag, pixel and distance checks are not in these counts.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

from pneumoscan.scope.site_gate import logit, shifted
from pneumoscan.validation.stats import clopper_pearson
from training import scope_age_eval, scope_batch

SHIFTS = (0.0, 0.1, 0.2, 0.35, 0.5, 1.0, 1.25, 2.0, 3.0)


def needed_shift(p_first: np.ndarray, p_second: np.ndarray, t1: float, t2: float) -> np.ndarray:
    """Each film's smallest shift that passes both gates (0 for a film neither refuses), as
    ``site_gate.shift_needed`` gives it for one film."""
    need1 = np.maximum(logit(t1) - logit(p_first), 0.0)
    need2 = np.maximum(logit(t2) - logit(p_second), 0.0)
    return np.maximum(need1, need2)


def proposed(need: np.ndarray, share: float = 0.01) -> float:
    """The 1% rule's shift on these films (``validation.gate_proposal``, with no limit)."""
    budget = math.floor(share * len(need))
    refused = np.sort(need[need > 0])
    want = len(refused) - budget
    return 0.0 if want <= 0 else float(refused[want - 1])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("first", type=Path, help="the first gate's run, trained with --hold-out-batch")
    ap.add_argument("second", type=Path, help="the second gate's run (--hospitals), same batch held out")
    ap.add_argument("--second-share", type=float, default=0.01, help="the second gate's rule (shipped: 1%%)")
    args = ap.parse_args(argv)
    first, second = scope_age_eval.load(args.first), scope_age_eval.load(args.second)
    if first["scores"]["held_out_batch"]["paths"] != second["scores"]["held_out_batch"]["paths"]:
        raise SystemExit("the two runs held out different films")
    t = []
    for run in (first, second):
        s = run["scores"]
        p_val, p_shift = np.asarray(s["val"])[:, 0], np.asarray(s["val_shifted"])[:, 0]
        t.append(scope_batch.rule_threshold(p_val, p_shift, scope_age_eval.rule_of(run, args.second_share)))
    batch = [np.asarray(r["scores"]["held_out_batch"]["probs"])[:, 0] for r in (first, second)]
    adults = [scope_age_eval.never_trained_adults(r["scores"]) for r in (first, second)]
    need_batch = needed_shift(*batch, *t)
    need_adults = needed_shift(*adults, *t)
    n, m = len(need_batch), len(need_adults)
    print(f"thresholds at the shipped rules: first {t[0]:.4f}, second {t[1]:.4f}")
    print(f"| shift | thresholds | unseen batch refused (of {n}) | adult frontal films refused (of {m}) |")
    print("| --- | --- | --- | --- |")
    rule = proposed(need_batch)
    for s in sorted({*SHIFTS, rule + 1e-9 if rule else 0.0}):  # a hair past the need, as validate does
        k, a = int((need_batch > s).sum()), int((need_adults > s).sum())
        lo, hi = clopper_pearson(k, n)
        print(
            f"| {s:.2f} | {shifted(t[0], s):.3f} / {shifted(t[1], s):.3f} | {k} ({k / n:.2%}; "
            f"{lo:.1%}-{hi:.1%}) | {a} ({a / m:.1%}) |"
        )
    print(f"the 1% rule on the batch proposes shift {rule:.2f} (before any limit)")


if __name__ == "__main__":
    main()
