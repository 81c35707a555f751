"""The site-gate limit's rule: the largest shift that keeps 85% of unseen adults and every other
unseen image refused (the curve itself is measured on the shipped model in tests/assets)."""

from __future__ import annotations

import pytest

from convert.site_gate_limit import MONTGOMERY, curve, limit, main

CLASSES = ["adult_cxr"] * 10 + ["other_medical"] * 2 + ["non_medical"]


def _refused(adults: int, medical: int, pictures: int = 1) -> list[bool]:
    return [i < adults for i in range(10)] + [i < medical for i in range(2)] + [pictures > 0]


@pytest.mark.parametrize(
    ("by_shift", "expected"),
    [
        ({0.0: _refused(10, 2), 0.5: _refused(9, 2), 1.0: _refused(8, 2)}, 0.5),  # 8 of 10 < 85%
        ({0.0: _refused(10, 2), 0.5: _refused(10, 1), 1.0: _refused(10, 2)}, 0.0),  # a CT slice passes
        ({0.0: _refused(10, 1), 0.5: _refused(9, 1)}, 0.5),  # one the shipped gate already passed
        ({0.0: _refused(8, 2), 0.5: _refused(8, 2)}, 0.0),  # the shipped gate misses the bar itself
        ({0.0: _refused(10, 2), 0.5: _refused(10, 2, pictures=0)}, 0.0),
    ],
)
def test_the_limit_rule(by_shift, expected):
    assert limit(CLASSES, by_shift) == expected


def test_the_curve_counts_each_class_at_each_shift():
    rows = curve(CLASSES, {0.0: _refused(10, 2), 0.5: _refused(9, 1)})
    assert rows == [
        {"shift": 0.0, "adult_cxr": 10, "non_medical": 1, "other_medical": 2},
        {"shift": 0.5, "adult_cxr": 9, "non_medical": 1, "other_medical": 1},
    ]


def test_montgomery_is_reported_beside_the_rule_never_part_of_it():
    classes = [*CLASSES, MONTGOMERY, MONTGOMERY]
    # two Montgomery films refused by the shipped gate pass at 0.5: the limit does not stop there
    by_shift = {0.0: [*_refused(10, 2), True, True], 0.5: [*_refused(9, 2), False, True]}
    assert limit(classes, by_shift) == 0.5
    assert curve(classes, by_shift)[1][MONTGOMERY] == 1


def test_montgomery_is_never_written_into_the_shipped_limit(tmp_path):
    with pytest.raises(SystemExit):
        main(["--write", "--montgomery", "--assets", str(tmp_path)])
