"""The model card's scope-gate section, written by ``python -m training.scope_eval RUN --card CARD``.

It describes the checks as shipped (read from ``scope_gate.json``, so a threshold changed by
``convert`` is the one described) with the figures ``scope_eval`` measured. What each change of the
gate did is measured once, at the change, and kept in its own section (``scope-gate-history``),
which neither this writer nor ``convert``'s card writer touches.
"""

from __future__ import annotations

from training.card_sections import SECTION_END, SECTION_START


def card_section(report: dict, gate: dict) -> str:
    """The section from measured figures and the shipped gate's configuration only."""
    v, sh = report["validation"], report["validation"]["shifted"]
    rows = "\n".join(
        f"| {cls} | {c['n']} | {c['out'] / c['n']:.1%} |"
        for cls, c in sorted(report["scope_set"]["per_class"].items())
    )
    first, dist = gate["classifier"], gate["distance"]
    return f"""{SECTION_START}
## Scope gate ({gate["version"]})
The model was trained on frontal chest films of children aged 1-5 and says nothing meaningful about
anything else, yet answers everything with confidence. Before a score is used, every image passes
these checks, cheapest first; the first refusal makes the row `out_of_scope` with its reason, and
no probability is reported:
1. DICOM tags: BodyPartExamined / StudyDescription / SeriesDescription / ProtocolName naming another
   body part; ViewPosition lateral; PatientAge (or birth and study dates) 18 or over. Children
   outside 1-5 are assessed with a note. Each tag can refuse, none admits alone; when modality
   (CR/DX), chest, a frontal view and a child's age all agree, the learned gates' "adult" and "not
   a radiograph" and the distance check become notes (assessed, the doubt kept), while "another
   body part", "inverted or rotated" and the pixel checks still refuse
   (`python -m training.tags_affirm_eval`, `docs/hospitals.md`).
2. Pixels: image too small or not the shape of a film; blank, constant or saturated; colour (hue
   varies across the image: a tinted or photographed film is not colour); looks inverted.
3. A learned gate: a small CNN ({first["precision"].upper()}, classes {", ".join(first["classes"])})
   on the model's own input; refuses when its in-scope probability is below {first["threshold"]:.4f}
   ({first["threshold_rule"]}).{second_gate(gate)}
4. A backstop on the pneumonia model: Mahalanobis distance of its pooled features to the training
   films ({dist["fitted_on"]}); refuses above {dist["threshold"]:.1f} ({dist["threshold_rule"]}).

Figures (`python -m training.scope_eval RUN`), the whole pipeline as shipped:
- validation films marked out of scope: {v["out_of_scope"]} of {v["films"]} ({v["out_of_scope"] / v["films"]:.2%});
  on the shifted validation copy {sh["out_of_scope"]} of {sh["films"]} ({sh["out_of_scope"] / sh["films"]:.2%});
- the scope set (895 images), leave-one-source-out (the first learned gate's verdict on each image
  comes from a model that never saw its source; licence-restricted sources were never trained on):

| class | images | marked out of scope |
| --- | --- | --- |
{rows}

What it cannot catch: adult chest films without an age tag can look like children's to the learned
gates (see the adult rows above), lateral views without ViewPosition likewise; the gates were tuned
on one paediatric hospital, so films from other machines may be refused more often than validation
shows.
{SECTION_END}"""


def second_gate(gate: dict) -> str:
    second = gate.get("classifier_hospitals")
    if not second:
        return ""
    return f"""
   **A second learned gate** beside it (`{second["model_file"]}`, {second["precision"].upper()}; trained on
   {second["trained_on"]}); it refuses below {second["threshold"]:.4f} ({second["threshold_rule"]}),
   and a film is refused when either gate refuses: nothing the first refuses gets through."""
