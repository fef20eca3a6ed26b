"""Agreement figures from cell counts, their bootstrap intervals, and the verdict read on an interval."""

from __future__ import annotations

import random

import pytest

from coding.agreement import (
    cohen_kappa,
    interval_verdict,
    krippendorff_alpha,
    pooled_interval,
    presence_figures,
    presence_interval,
)


def coders(n: int, agree: float, seed: int = 0) -> tuple[list[bool], list[bool]]:
    rng = random.Random(seed)
    a = [rng.random() < 0.3 for _ in range(n)]
    b = [x if rng.random() < agree else not x for x in a]
    return a, b


def cells(a, b) -> tuple[int, int, int, int]:
    both = sum(x and y for x, y in zip(a, b, strict=True))
    only_a = sum(x and not y for x, y in zip(a, b, strict=True))
    only_b = sum(y and not x for x, y in zip(a, b, strict=True))
    return both, only_a, only_b, len(a) - both - only_a - only_b


@pytest.mark.parametrize("seed", range(5))
def test_figures_from_cells_equal_the_general_formulas(seed):
    a, b = coders(120, 0.8 + seed / 50, seed=seed)
    kappa, alpha = presence_figures(*cells(a, b))
    assert kappa == pytest.approx(cohen_kappa(a, b))
    assert alpha == pytest.approx(krippendorff_alpha([a, b]))


def test_undefined_figures_are_none_not_perfect():
    assert presence_figures(0, 0, 0, 40) == (None, None)  # nobody ever gave the code
    kappa, alpha = presence_figures(10, 0, 0, 0)  # both always gave it: no variation
    assert kappa is None and alpha is None


def test_intervals_hold_the_point_and_narrow_with_more_units():
    small, large = coders(40, 0.85, seed=1), coders(800, 0.85, seed=1)
    widths = []
    for a, b in (small, large):
        kappa, _ = presence_figures(*cells(a, b))
        low, high = presence_interval(*cells(a, b))["kappa"]
        assert low <= kappa <= high
        widths.append(high - low)
    assert widths[1] < widths[0] / 2


def test_pooled_interval_resamples_units():
    a, b = coders(200, 0.9, seed=3)
    per_unit = [[int(x and y), int(x and not y), int(y and not x), int(not x and not y)]
                for x, y in zip(a, b, strict=True)]
    pooled = pooled_interval(per_unit)
    kappa, alpha = presence_figures(*cells(a, b))
    assert pooled["kappa"][0] <= kappa <= pooled["kappa"][1]
    assert pooled["alpha"][0] <= alpha <= pooled["alpha"][1]
    assert pooled_interval([[1, 0, 0, 0]]) == {"kappa": None, "alpha": None}


@pytest.mark.parametrize(("interval", "verdict"), [
    ((0.82, 0.95), "reliable"), ((0.70, 0.95), "tentative"), ((0.40, 0.90), "uncertain"),
    ((0.20, 0.60), "unreliable"), (None, None)])
def test_verdict_reads_the_interval(interval, verdict):
    assert interval_verdict(interval) == verdict
