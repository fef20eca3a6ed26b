"""Agreement between coders: Cohen's kappa, Krippendorff's alpha, and a per-code report.

- ``cohen_kappa(a, b) -> float``: Cohen's kappa of two coders over nominal labels.
  Pairs where either label is None are left out. NaN when undefined (both coders used
  one and the same label throughout: chance agreement is 1).
- ``krippendorff_alpha(reliability_data, level="nominal") -> float``: Krippendorff's
  alpha for any number of coders with missing values. `reliability_data` has one row
  per coder and one column per unit; None (or NaN) marks a value the coder did not
  give. `level` is "nominal", "ordinal", "interval" or "ratio" (the last three need
  numbers). Units with fewer than two values cannot be paired and are ignored. NaN
  when undefined (all pairable values are equal: no variation to disagree on).
  Computed from the coincidence matrix as in Krippendorff (2011), "Computing
  Krippendorff's Alpha-Reliability": alpha = 1 - (n - 1) * sum(o_ck * d_ck) /
  sum(n_c * n_k * d_ck).
- ``code_agreement(units_a, units_b, codes=None, *, depth=None) -> AgreementReport``:
  two coders' codes per unit (unit id -> set of code paths). Only units both coded are
  compared (the report counts the others). Each code is read as binary presence per
  unit, giving its kappa, alpha, and the counts both/only A/only B/neither. `depth`
  compares code paths cut to their first `depth` levels ("delivery/late-shipments" at
  depth 1 is "delivery"). Overall the report gives `mean_kappa` (unweighted mean of
  the per-code kappas that are defined), `pooled_kappa` and `pooled_alpha` (every
  unit x code presence decision as one item, so frequent codes weigh more), and
  `percent_agreement` (share of units whose two code sets are identical).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

from .errors import NotEnoughData
from .schema import AgreementReport, CodeAgreement

LEVELS = ("nominal", "ordinal", "interval", "ratio")
RELIABLE = 0.800
TENTATIVE = 0.667


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def cohen_kappa(a: Sequence[Hashable | None], b: Sequence[Hashable | None]) -> float:
    """Cohen's kappa of two coders' nominal labels; see the module docstring."""
    if len(a) != len(b):
        raise ValueError(f"Both coders need a label per item: got {len(a)} and {len(b)} labels.")
    pairs = [(x, y) for x, y in zip(a, b, strict=True) if not _missing(x) and not _missing(y)]
    if not pairs:
        raise NotEnoughData("Cohen's kappa needs at least one item labelled by both coders.")
    n = len(pairs)
    observed = sum(x == y for x, y in pairs) / n
    count_a = Counter(x for x, _ in pairs)
    count_b = Counter(y for _, y in pairs)
    expected = sum(count_a[label] * count_b[label] for label in count_a) / (n * n)
    if expected >= 1.0:
        return float("nan")
    return (observed - expected) / (1.0 - expected)


def _delta(level: str, values: list[Any], totals: dict[Any, float]) -> dict[tuple[Any, Any], float]:
    """Squared difference function of Krippendorff's alpha for every pair of values."""
    deltas: dict[tuple[Any, Any], float] = {}
    ranked = sorted(values) if level == "ordinal" else values
    rank = {v: i for i, v in enumerate(ranked)}
    cumulative = [0.0]
    for v in ranked:
        cumulative.append(cumulative[-1] + totals[v])
    for c in values:
        for k in values:
            if c == k:
                deltas[c, k] = 0.0
            elif level == "nominal":
                deltas[c, k] = 1.0
            elif level == "ordinal":
                lo, hi = sorted((rank[c], rank[k]))
                between = cumulative[hi + 1] - cumulative[lo]
                deltas[c, k] = (between - (totals[c] + totals[k]) / 2.0) ** 2
            elif level == "interval":
                deltas[c, k] = float(c - k) ** 2
            else:  # ratio
                deltas[c, k] = (float(c - k) / float(c + k)) ** 2 if c + k else 0.0
    return deltas


def krippendorff_alpha(reliability_data: Sequence[Sequence[Any]], level: str = "nominal") -> float:
    """Krippendorff's alpha of coders (rows) over units (columns); see the module docstring."""
    if level not in LEVELS:
        raise ValueError(f"Unknown level of measurement {level!r}; use one of {', '.join(LEVELS)}.")
    rows = [list(row) for row in reliability_data]
    if not rows:
        raise NotEnoughData("Krippendorff's alpha needs the values of at least two coders.")
    n_units = len(rows[0])
    if any(len(row) != n_units for row in rows):
        raise ValueError("Every coder's row needs one value per unit (None where missing).")
    coincidence: dict[tuple[Any, Any], float] = defaultdict(float)
    for u in range(n_units):
        values = [row[u] for row in rows if not _missing(row[u])]
        m = len(values)
        if m < 2:
            continue
        counts = Counter(values)
        for c, n_c in counts.items():
            for k, n_k in counts.items():
                pairs = n_c * (n_c - 1) if c == k else n_c * n_k
                if pairs:
                    coincidence[c, k] += pairs / (m - 1)
    if not coincidence:
        raise NotEnoughData(
            "Krippendorff's alpha needs at least one unit with values from two coders."
        )
    totals: dict[Any, float] = defaultdict(float)
    for (c, _), o in coincidence.items():
        totals[c] += o
    values = list(totals)
    if level != "nominal" and not all(isinstance(v, int | float) for v in values):
        raise ValueError(f"The {level} level needs numbers; use level='nominal' for labels.")
    n = sum(totals.values())
    delta = _delta(level, values, totals)
    observed = sum(o * delta[c, k] for (c, k), o in coincidence.items())
    expected = sum(totals[c] * totals[k] * delta[c, k] for c in values for k in values)
    if expected == 0:
        return float("nan")
    return 1.0 - (n - 1) * observed / expected


def _defined(value: float) -> float | None:
    return None if math.isnan(value) else value


def _verdict(alpha: float | None) -> str | None:
    if alpha is None:
        return None
    if alpha >= RELIABLE:
        return "reliable"
    return "tentative" if alpha >= TENTATIVE else "unreliable"


def _cut(code: str, depth: int | None) -> str:
    parts = [p for p in code.strip("/").split("/") if p]
    return "/".join(parts[:depth] if depth else parts)


def code_agreement(
    units_a: Mapping[str, Iterable[str]],
    units_b: Mapping[str, Iterable[str]],
    codes: Iterable[str] | None = None,
    *,
    depth: int | None = None,
) -> AgreementReport:
    """Agreement of coders A and B per code and overall; see the module docstring."""
    if depth is not None and depth < 1:
        raise ValueError(f"depth must be 1 or more (or None for full paths), not {depth}.")
    shared = sorted(set(units_a) & set(units_b), key=str)
    if not shared:
        raise NotEnoughData(
            "The two coders have no unit in common; agreement needs units both have coded."
        )
    sets_a = {u: {_cut(c, depth) for c in units_a[u]} for u in shared}
    sets_b = {u: {_cut(c, depth) for c in units_b[u]} for u in shared}
    if codes is None:
        code_list = sorted(set().union(*sets_a.values(), *sets_b.values()))
    else:
        code_list = list(dict.fromkeys(_cut(c, depth) for c in codes))

    per_code: list[CodeAgreement] = []
    pooled_a: list[bool] = []
    pooled_b: list[bool] = []
    for code in code_list:
        a = [code in sets_a[u] for u in shared]
        b = [code in sets_b[u] for u in shared]
        pooled_a += a
        pooled_b += b
        both = sum(x and y for x, y in zip(a, b, strict=True))
        only_a = sum(x and not y for x, y in zip(a, b, strict=True))
        only_b = sum(y and not x for x, y in zip(a, b, strict=True))
        neither = len(shared) - both - only_a - only_b
        alpha = _defined(krippendorff_alpha([a, b]))
        per_code.append(
            CodeAgreement(
                code=code,
                n_units=len(shared),
                both=both,
                only_a=only_a,
                only_b=only_b,
                neither=neither,
                percent_agreement=(both + neither) / len(shared),
                kappa=_defined(cohen_kappa(a, b)),
                alpha=alpha,
                verdict=_verdict(alpha),
            )
        )
    kappas = [c.kappa for c in per_code if c.kappa is not None]
    return AgreementReport(
        n_units=len(shared),
        only_in_a=len(set(units_a) - set(units_b)),
        only_in_b=len(set(units_b) - set(units_a)),
        codes=per_code,
        mean_kappa=sum(kappas) / len(kappas) if kappas else None,
        pooled_kappa=_defined(cohen_kappa(pooled_a, pooled_b)) if pooled_a else None,
        pooled_alpha=_defined(krippendorff_alpha([pooled_a, pooled_b])) if pooled_a else None,
        percent_agreement=sum(sets_a[u] == sets_b[u] for u in shared) / len(shared),
    )


# -- uncertainty --------------------------------------------------------------------------------
# Two coders' presence decisions on one code fall in four cells per unit: both, only A, only B,
# neither. Kappa and alpha of binary presence are functions of the cell counts, so a bootstrap
# over units only needs to resample counts.


def _binary_figures(cells: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """(kappa, alpha) of binary presence for arrays of cell counts (..., 4); NaN where undefined."""
    import numpy as np

    cells = np.asarray(cells, dtype=np.float64)
    both, only_a, only_b, neither = (cells[..., i] for i in range(4))
    n = cells.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_a, p_b = (both + only_a) / n, (both + only_b) / n
        expected = p_a * p_b + (1 - p_a) * (1 - p_b)
        kappa = np.where(expected < 1.0, ((both + neither) / n - expected) / (1.0 - expected), np.nan)
        # Krippendorff's alpha for two coders and two values from the coincidence matrix:
        # 1 - (2n - 1) * disagreements / (n_present * n_absent), n_* counting values over both coders.
        present, absent = 2 * both + only_a + only_b, 2 * neither + only_a + only_b
        alpha = np.where(present * absent > 0, 1.0 - (2 * n - 1) * (only_a + only_b) / (present * absent), np.nan)
    return kappa, alpha


def _percentiles(samples: npt.ArrayLike, level: float) -> tuple[float, float] | None:
    import numpy as np

    values = np.asarray(samples, dtype=np.float64)
    values = values[~np.isnan(values)]
    if values.size < 10:
        return None
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(values, [tail, 100.0 - tail])
    return float(low), float(high)


def presence_interval(both: int, only_a: int, only_b: int, neither: int, *, level: float = 0.95,
                      resamples: int = 2000, seed: int = 0) -> dict[str, tuple[float, float] | None]:
    """Bootstrap intervals of one code's kappa and alpha ({"kappa": (low, high), "alpha": ...}).

    Resampling the units with replacement is resampling the four cell counts from a multinomial;
    None for a figure that is undefined in too many resamples (a code almost never used).
    """
    import numpy as np

    n = both + only_a + only_b + neither
    if n < 2:
        return {"kappa": None, "alpha": None}
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n, np.array([both, only_a, only_b, neither], dtype=np.float64) / n, size=resamples)
    kappa, alpha = _binary_figures(draws)
    return {"kappa": _percentiles(kappa, level), "alpha": _percentiles(alpha, level)}


def pooled_interval(unit_cells: Sequence[Sequence[int]], *, level: float = 0.95, resamples: int = 1000,
                    seed: int = 0) -> dict[str, tuple[float, float] | None]:
    """Bootstrap intervals of the pooled kappa and alpha, resampling whole units.

    `unit_cells` gives each unit's counts over the codes (both, only A, only B, neither): the codes of
    one unit are not independent, so units, not (unit, code) items, are what is resampled (Poisson
    bootstrap, in chunks to bound memory).
    """
    import numpy as np

    cells = np.asarray(unit_cells, dtype=np.float64).reshape(-1, 4)
    if cells.shape[0] < 2:
        return {"kappa": None, "alpha": None}
    rng = np.random.default_rng(seed)
    kappas, alphas = [], []
    chunk = max(1, min(resamples, 2_000_000 // cells.shape[0]))
    done = 0
    while done < resamples:
        size = min(chunk, resamples - done)
        weights = rng.poisson(1.0, size=(size, cells.shape[0])).astype(np.float64)
        kappa, alpha = _binary_figures(weights @ cells)
        kappas.append(kappa)
        alphas.append(alpha)
        done += size
    return {"kappa": _percentiles(np.concatenate(kappas), level),
            "alpha": _percentiles(np.concatenate(alphas), level)}


def presence_figures(both: int, only_a: int, only_b: int, neither: int) -> tuple[float | None, float | None]:
    """(kappa, alpha) of binary presence from the four cell counts; None where undefined.

    The same values as cohen_kappa and krippendorff_alpha on the two coders' presence lists.
    """
    kappa, alpha = _binary_figures([both, only_a, only_b, neither])
    return _defined(float(kappa)), _defined(float(alpha))


def interval_verdict(interval: tuple[float, float] | None) -> str | None:
    """Krippendorff's thresholds read on an alpha's interval, not its point value.

    "reliable" when even the low end is >= 0.800, "tentative" when it is >= 0.667, "unreliable" when
    the high end is below 0.667, "uncertain" when the interval straddles 0.667.
    """
    if interval is None:
        return None
    low, high = interval
    if low >= RELIABLE:
        return "reliable"
    if low >= TENTATIVE:
        return "tentative"
    return "unreliable" if high < TENTATIVE else "uncertain"
