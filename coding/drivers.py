"""Driver analysis: which codes go with a higher or a lower rating, and what to act on.

- ``driver_analysis(docs, *, segment=None, scale="nps", codes=None, depth=None,
  frequency_threshold=None, min_impact=None, ridge_alpha=1.0, n_boot=1000, seed=0)
  -> DriverReport``.
- ``drivers_by_segment(docs, **options) -> dict[str, DriverReport]``: the same for each
  segment with at least MIN_DOCS rated interviews.

`docs` are ``RatedDoc``s (doc_id, rating, codes, segment, account), mappings with those
keys, or tuples in that order. Interviews without a rating are left out (and counted
in `n_unrated`); `segment` keeps only the interviews of that segment. `depth` cuts code
paths to their first levels ("delivery/late-shipments" -> "delivery" at depth 1).
At least MIN_DOCS (3) rated interviews are needed; fewer raise NotEnoughData.

For every code mentioned in at least one rated interview:

* `n_docs` interviews mention it, a `share` of all rated interviews;
* `mean_with`/`mean_without`: the mean rating of the interviews that mention it and
  of those that do not; `difference` = with - without, in rating points (None when
  every interview mentions the code);
* `coefficient`: a standardised ridge-regression coefficient. The rating is
  regressed on the presence of all codes at once (scikit-learn ``Ridge`` with
  `ridge_alpha`, on z-scored presence columns and a z-scored rating), so a code that
  only travels with another driver gets less of the credit. It reads as "standard
  deviations of rating per standard deviation of mentioning the code". A linear
  model of the rating was chosen over a logistic model of "detractor or not" because
  it uses the whole scale and stays stable on the few dozen interviews of a study;
* `p_value`: Welch's t-test of the two groups' ratings (None when either group has
  fewer than two interviews or neither varies);
* `ci_low`/`ci_high`: a 95 % bootstrap interval of `difference` (percentiles of
  `n_boot` resamples of the interviews, drawn with numpy's generator seeded by `seed`;
  None when under half of the resamples hold both groups);
* `confidence`: "low" when either group has fewer than 5 interviews, or p >= 0.1, or
  the interval includes 0; "high" when p < 0.01 and both groups have at least 10
  interviews; "medium" otherwise;
* `quadrant`, from impact (the sign of `difference`) and frequency (`share` against
  `frequency_threshold`, by default the median share of the analysed codes; a share
  at the threshold counts as frequent): "fix first" (frequent, lowers the rating),
  "maintain" (frequent, raises it), "monitor" (rare, lowers it), "leverage" (rare,
  raises it); None when `difference` is None or smaller in size than `min_impact`
  (by default 5 % of the scale's range: 0.5 points of NPS, 0.2 of CSAT, 0.3 of CES),
  so a code that makes no difference is not sent to "fix first". The quadrant uses the plain
  difference, which a manager can check by hand; when the coefficient has the other
  sign, the code's effect is probably borrowed from a code it co-occurs with.

Drivers are listed fix first, monitor, maintain, leverage, then the rest, the largest
absolute difference first within each. Everything is deterministic and independent
of the order of `docs` (they are sorted by doc_id first).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import InvalidRating, NotEnoughData
from .ratings import nps
from .schema import RATING_SCALES, Driver, DriverReport, RatedDoc

MIN_DOCS = 3
LOW_N = 5
QUADRANTS = ("fix first", "monitor", "maintain", "leverage")


def _doc(doc: RatedDoc | Mapping[str, Any] | tuple[Any, ...]) -> RatedDoc:
    if isinstance(doc, RatedDoc):
        return doc
    if isinstance(doc, Mapping):
        return RatedDoc.from_dict(dict(doc))
    fields = list(doc) + [None] * 3
    return RatedDoc(
        doc_id=str(fields[0]),
        rating=None if fields[1] is None else float(fields[1]),
        codes=set(fields[2] or ()),
        segment=fields[3],
        account=fields[4],
    )


def _cut(code: str, depth: int | None) -> str:
    parts = [p for p in code.strip("/").split("/") if p]
    return "/".join(parts[:depth] if depth else parts)


def _confidence(
    n_with: int, n_without: int, p: float | None, ci: tuple[float, float] | None
) -> str:
    if n_with < LOW_N or n_without < LOW_N or p is None or p >= 0.1:
        return "low"
    if ci is not None and ci[0] <= 0.0 <= ci[1]:
        return "low"
    if p < 0.01 and n_with >= 10 and n_without >= 10:
        return "high"
    return "medium"


def _quadrant(
    difference: float | None, share: float, threshold: float, min_impact: float
) -> str | None:
    if difference is None or abs(difference) < min_impact or difference == 0:
        return None
    frequent = share >= threshold
    if difference < 0:
        return "fix first" if frequent else "monitor"
    return "maintain" if frequent else "leverage"


def driver_analysis(
    docs: Iterable[RatedDoc | Mapping[str, Any] | tuple[Any, ...]],
    *,
    segment: str | None = None,
    scale: str = "nps",
    codes: Iterable[str] | None = None,
    depth: int | None = None,
    frequency_threshold: float | None = None,
    min_impact: float | None = None,
    ridge_alpha: float = 1.0,
    n_boot: int = 1000,
    seed: int = 0,
) -> DriverReport:
    """Which codes move the rating; see the module docstring for every definition."""
    import numpy as np
    from scipy import stats
    from sklearn.linear_model import Ridge

    if scale not in RATING_SCALES:
        raise InvalidRating(
            f"Unknown rating scale {scale!r}; use one of {', '.join(RATING_SCALES)}."
        )
    low, high = RATING_SCALES[scale]
    parsed = [_doc(d) for d in docs]
    if segment is not None:
        parsed = [d for d in parsed if d.segment == segment]
    # sorted, so the bootstrap (and every float sum) does not depend on input order
    rated = sorted((d for d in parsed if d.rating is not None), key=lambda d: d.doc_id)
    for d in rated:
        if not low <= float(d.rating) <= high:  # type: ignore[arg-type]
            raise InvalidRating(
                f"Interview {d.doc_id} has rating {d.rating}, outside the {scale.upper()} "
                f"scale {low:g}-{high:g}; correct it or pick the right scale."
            )
    where = f" in segment {segment!r}" if segment is not None else ""
    if len(rated) < MIN_DOCS:
        raise NotEnoughData(
            f"Driver analysis needs at least {MIN_DOCS} rated interviews{where}; found "
            f"{len(rated)}. Add ratings (or widen the segment) and run it again."
        )
    doc_codes = [{_cut(c, depth) for c in d.codes if c and c.strip("/")} for d in rated]
    wanted = None if codes is None else {_cut(c, depth) for c in codes}
    names = sorted({c for cs in doc_codes for c in cs if wanted is None or c in wanted})
    y = np.array([float(d.rating) for d in rated])  # type: ignore[arg-type]
    n = len(rated)
    X = np.array([[c in cs for c in names] for cs in doc_codes], dtype=float).reshape(n, len(names))

    # standardised ridge coefficients, all codes at once
    coefficients = np.zeros(len(names))
    x_std = X.std(axis=0)
    if names and y.std() > 0 and (x_std > 0).any():
        keep = x_std > 0
        Z = (X[:, keep] - X[:, keep].mean(axis=0)) / x_std[keep]
        model = Ridge(alpha=ridge_alpha).fit(Z, (y - y.mean()) / y.std())
        coefficients[keep] = model.coef_

    # bootstrap resamples shared by every code, so the result does not depend on order
    rng = np.random.default_rng(seed)
    resamples = rng.integers(0, n, size=(n_boot, n)) if n_boot > 0 else None

    shares = X.mean(axis=0) if names else np.zeros(0)
    threshold = (
        float(frequency_threshold)
        if frequency_threshold is not None
        else (float(np.median(shares)) if names else 0.0)
    )
    impact_floor = 0.05 * (high - low) if min_impact is None else float(min_impact)
    drivers: list[Driver] = []
    for j, code in enumerate(names):
        present = X[:, j] > 0
        n_with = int(present.sum())
        n_without = n - n_with
        with_ratings, without_ratings = y[present], y[~present]
        mean_with = float(with_ratings.mean())
        mean_without = float(without_ratings.mean()) if n_without else None
        difference = None if mean_without is None else mean_with - mean_without
        p_value = None
        if n_with >= 2 and n_without >= 2 and (with_ratings.std() > 0 or without_ratings.std() > 0):
            p = float(stats.ttest_ind(with_ratings, without_ratings, equal_var=False).pvalue)
            p_value = None if math.isnan(p) else p
        ci = None
        if resamples is not None and difference is not None:
            pres = X[resamples, j] > 0
            ys = y[resamples]
            count_with = pres.sum(axis=1)
            count_without = n - count_with
            ok = (count_with > 0) & (count_without > 0)
            if ok.sum() >= n_boot / 2:
                sum_with = (ys * pres).sum(axis=1)
                sum_without = ys.sum(axis=1) - sum_with
                diffs = sum_with[ok] / count_with[ok] - sum_without[ok] / count_without[ok]
                ci = (float(np.percentile(diffs, 2.5)), float(np.percentile(diffs, 97.5)))
        share = n_with / n
        drivers.append(
            Driver(
                code=code,
                n_docs=n_with,
                share=share,
                mean_with=mean_with,
                mean_without=mean_without,
                difference=difference,
                coefficient=float(coefficients[j]),
                p_value=p_value,
                ci_low=ci[0] if ci else None,
                ci_high=ci[1] if ci else None,
                confidence=_confidence(n_with, n_without, p_value, ci),
                quadrant=_quadrant(difference, share, threshold, impact_floor),
            )
        )
    order = {q: i for i, q in enumerate(QUADRANTS)}
    drivers.sort(
        key=lambda d: (order.get(d.quadrant or "", len(order)), -abs(d.difference or 0.0), d.code)
    )
    return DriverReport(
        n_docs=n,
        n_unrated=len(parsed) - n,
        segment=segment,
        scale=scale,
        mean_rating=float(y.mean()),
        nps=nps(y.tolist()) if scale == "nps" else None,
        frequency_threshold=threshold,
        drivers=drivers,
    )


def drivers_by_segment(
    docs: Iterable[RatedDoc | Mapping[str, Any] | tuple[Any, ...]],
    **options: Any,  # noqa: ANN401 - driver_analysis's keyword options, passed on
) -> dict[str, DriverReport]:
    """driver_analysis for each segment with at least MIN_DOCS rated interviews."""
    parsed = [_doc(d) for d in docs]
    counts: dict[str, int] = {}
    for d in parsed:
        if d.segment is not None and d.rating is not None:
            counts[d.segment] = counts.get(d.segment, 0) + 1
    return {
        segment: driver_analysis(parsed, segment=segment, **options)
        for segment in sorted(counts)
        if counts[segment] >= MIN_DOCS
    }
