"""Agreement statistics against published values and scikit-learn."""

from __future__ import annotations

import json
import math
import random

import pytest
from sklearn.metrics import cohen_kappa_score

from coding.agreement import code_agreement, cohen_kappa, krippendorff_alpha
from coding.errors import NotEnoughData
from coding.schema import AgreementReport

N = None
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": 4 coders, 12 units,
# missing values; the published alphas are .743 nominal, .815 ordinal, .849 interval,
# .797 ratio.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]
# The example of the Wikipedia article on Krippendorff's alpha: 3 coders, 15 units;
# nominal .691, interval .811.
WIKIPEDIA = [
    [N, N, N, N, N, 3, 4, 1, 2, 1, 1, 3, 3, N, 3],
    [1, N, 2, 1, 3, 3, 4, 3, N, N, N, N, N, N, N],
    [N, N, 2, 1, 3, 4, 4, N, 2, 1, 1, 3, 3, N, 4],
]


@pytest.mark.parametrize(
    ("level", "expected"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_worked_example(level: str, expected: float) -> None:
    assert krippendorff_alpha(KRIPPENDORFF_2011, level) == pytest.approx(expected, abs=5e-4)


def test_wikipedia_example_and_nan_as_missing() -> None:
    assert krippendorff_alpha(WIKIPEDIA) == pytest.approx(0.691, abs=5e-4)
    assert krippendorff_alpha(WIKIPEDIA, "interval") == pytest.approx(0.811, abs=5e-4)
    with_nan = [[float("nan") if v is None else float(v) for v in row] for row in WIKIPEDIA]
    assert krippendorff_alpha(with_nan) == pytest.approx(0.691, abs=5e-4)


def test_alpha_edge_cases() -> None:
    assert krippendorff_alpha([["a", "b", "c"], ["a", "b", "c"]]) == pytest.approx(1.0)
    assert math.isnan(krippendorff_alpha([["a", "a"], ["a", "a"]]))  # no variation
    assert krippendorff_alpha([["a", "b"], ["b", "a"]]) < 0  # systematic disagreement
    with pytest.raises(NotEnoughData):
        krippendorff_alpha([["a", N], [N, "b"]])
    with pytest.raises(ValueError, match="one value per unit"):
        krippendorff_alpha([["a", "b"], ["a"]])
    with pytest.raises(ValueError, match="numbers"):
        krippendorff_alpha([["a", "b"], ["a", "c"]], "interval")
    with pytest.raises(ValueError, match="nominal, ordinal"):
        krippendorff_alpha(KRIPPENDORFF_2011, "binary")


@pytest.mark.parametrize("seed", range(5))
def test_kappa_matches_scikit_learn(seed: int) -> None:
    rng = random.Random(seed)
    labels = ["delivery", "price", "support", "quality"]
    a = [rng.choice(labels) for _ in range(60)]
    b = [x if rng.random() < 0.6 else rng.choice(labels) for x in a]
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))


def test_kappa_edge_cases() -> None:
    assert cohen_kappa(["x", "y", N], ["x", "y", "y"]) == pytest.approx(1.0)  # None dropped
    assert math.isnan(cohen_kappa(["x", "x"], ["x", "x"]))
    with pytest.raises(ValueError, match="label per item"):
        cohen_kappa(["x"], ["x", "y"])
    with pytest.raises(NotEnoughData):
        cohen_kappa([N], ["x"])


def coders() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    a = {
        "u1": {"delivery/late", "price"},
        "u2": {"delivery/late"},
        "u3": {"support/slow"},
        "u4": set(),
        "u5": {"price"},
        "u6": {"delivery/damaged"},
        "only-a": {"price"},
    }
    b = {
        "u1": {"delivery/late"},
        "u2": {"delivery/late"},
        "u3": {"support/slow"},
        "u4": set(),
        "u5": {"price", "support/slow"},
        "u6": {"delivery/late"},
        "only-b": set(),
    }
    return a, b


def test_code_agreement_per_code_and_overall() -> None:
    a, b = coders()
    report = code_agreement(a, b)
    assert (report.n_units, report.only_in_a, report.only_in_b) == (6, 1, 1)
    by_code = {c.code: c for c in report.codes}
    assert list(by_code) == ["delivery/damaged", "delivery/late", "price", "support/slow"]
    late = by_code["delivery/late"]
    assert (late.both, late.only_a, late.only_b, late.neither) == (2, 0, 1, 3)
    assert late.percent_agreement == pytest.approx(5 / 6)
    assert late.kappa == pytest.approx(cohen_kappa_score([1, 1, 0, 0, 0, 0], [1, 1, 0, 0, 0, 1]))
    assert late.alpha == pytest.approx(krippendorff_alpha([[1, 1, 0, 0, 0, 0], [1, 1, 0, 0, 0, 1]]))
    assert by_code["price"].verdict in {"unreliable", "tentative", "reliable"}
    assert report.mean_kappa == pytest.approx(
        sum(c.kappa for c in report.codes if c.kappa is not None)
        / sum(c.kappa is not None for c in report.codes)
    )
    assert report.percent_agreement == pytest.approx(3 / 6)  # u2, u3, u4 identical
    assert report.pooled_alpha is not None and report.pooled_kappa is not None


def test_code_agreement_depth_and_code_list() -> None:
    a, b = coders()
    top = code_agreement(a, b, depth=1)
    delivery = next(c for c in top.codes if c.code == "delivery")
    assert (delivery.both, delivery.only_a, delivery.only_b) == (3, 0, 0)
    assert delivery.kappa == pytest.approx(1.0) and delivery.verdict == "reliable"
    only = code_agreement(a, b, codes=["price", "missing/code"])
    assert [c.code for c in only.codes] == ["price", "missing/code"]
    missing = only.codes[1]
    assert missing.kappa is None and missing.alpha is None and missing.verdict is None
    assert missing.percent_agreement == 1.0


def test_code_agreement_errors_and_json() -> None:
    with pytest.raises(NotEnoughData, match="no unit in common"):
        code_agreement({"u1": {"a"}}, {"u2": {"a"}})
    a, b = coders()
    report = code_agreement(a, b)
    assert AgreementReport.from_dict(json.loads(json.dumps(report.to_dict()))) == report
