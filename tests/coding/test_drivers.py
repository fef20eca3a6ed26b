"""Driver analysis on synthetic studies whose drivers are known."""

from __future__ import annotations

import json

import numpy as np
import pytest

from coding.drivers import driver_analysis, drivers_by_segment
from coding.errors import InvalidRating, NotEnoughData
from coding.schema import DriverReport, RatedDoc


def study(seed: int = 7, n: int = 60) -> list[RatedDoc]:
    """Known effects: late deliveries -3 (40 %), good support +2 (50 %), invoice errors
    -2 (8 %), a dedicated account manager +2 (8 %), and the word "product" (30 %) no
    effect at all."""
    rng = np.random.default_rng(seed)
    docs = []
    for i in range(n):
        codes = set()
        rating = 6.5
        if rng.random() < 0.4:
            codes.add("delivery/late")
            rating -= 3
        if rng.random() < 0.5:
            codes.add("support/good")
            rating += 2
        if i % 12 == 0:
            codes.add("billing/errors")
            rating -= 2
        if i % 12 == 6:
            codes.add("account/manager")
            rating += 2
        if rng.random() < 0.3:
            codes.add("product")
        rating = float(np.clip(round(rating + rng.normal(0, 0.8)), 0, 10))
        docs.append(RatedDoc(f"d{i}", rating, codes, segment="north" if i % 2 else "south"))
    return docs


def test_known_drivers_land_in_their_quadrants() -> None:
    report = driver_analysis(study())
    by_code = {d.code: d for d in report.drivers}
    late, support = by_code["delivery/late"], by_code["support/good"]
    assert late.quadrant == "fix first" and late.difference < -2
    assert late.coefficient < 0 and late.confidence == "high" and late.p_value < 0.001
    assert late.ci_low < late.difference < late.ci_high < 0
    assert support.quadrant == "maintain" and support.difference > 1 and support.coefficient > 0
    assert by_code["billing/errors"].quadrant == "monitor"
    assert by_code["account/manager"].quadrant == "leverage"
    assert by_code["billing/errors"].confidence == "low"  # 5 interviews, 55 without
    assert abs(by_code["product"].coefficient) < 0.15
    assert [d.quadrant for d in report.drivers][:2] == ["fix first", "monitor"]
    assert report.n_docs == 60 and report.n_unrated == 0 and report.scale == "nps"
    ratings = [d.rating for d in study()]
    assert report.mean_rating == pytest.approx(np.mean(ratings))
    assert -100 <= report.nps <= 100


def test_definitions_by_hand() -> None:
    docs = [
        RatedDoc("a", 2, {"late"}),
        RatedDoc("b", 4, {"late", "price"}),
        RatedDoc("c", 9, {"price"}),
        RatedDoc("d", 10, set()),
        RatedDoc("e", None, {"late"}),
    ]
    report = driver_analysis(docs, n_boot=200)
    late = next(d for d in report.drivers if d.code == "late")
    assert (late.n_docs, late.share) == (2, 0.5)
    assert (late.mean_with, late.mean_without, late.difference) == (3.0, 9.5, -6.5)
    assert late.confidence == "low"  # under 5 interviews a side
    assert report.n_docs == 4 and report.n_unrated == 1
    assert report.frequency_threshold == pytest.approx(0.5)  # median share
    assert report.nps == pytest.approx(100 * (2 - 2) / 4)


def test_deterministic_and_order_free() -> None:
    docs = study()
    first = driver_analysis(docs).to_dict()
    assert driver_analysis(docs).to_dict() == first
    assert driver_analysis(list(reversed(docs))).to_dict() == first
    assert driver_analysis(docs, seed=1).to_dict() != first  # the seed drives the bootstrap


def test_segments() -> None:
    docs = study()
    north = driver_analysis(docs, segment="north")
    assert north.segment == "north" and north.n_docs == 30
    per_segment = drivers_by_segment(docs)
    assert list(per_segment) == ["north", "south"]
    assert per_segment["north"].to_dict() == north.to_dict()
    with pytest.raises(NotEnoughData, match="segment 'west'"):
        driver_analysis(docs, segment="west")


def test_inputs_as_mappings_tuples_and_depth() -> None:
    docs = [
        {"doc_id": "a", "rating": 3, "codes": ["delivery/late"]},
        ("b", 9, {"support/good"}),
        ("c", 5, {"delivery/damaged"}, "north"),
        RatedDoc("d", 8, set()),
    ]
    report = driver_analysis(docs, depth=1, frequency_threshold=0.4, n_boot=0)
    by_code = {d.code: d for d in report.drivers}
    assert set(by_code) == {"delivery", "support"}
    assert by_code["delivery"].n_docs == 2 and by_code["delivery"].quadrant == "fix first"
    assert by_code["support"].quadrant == "leverage"  # 25 % < 40 %
    assert by_code["delivery"].ci_low is None  # no bootstrap asked for


def test_errors_and_other_scales() -> None:
    with pytest.raises(NotEnoughData, match="at least 3"):
        driver_analysis([RatedDoc("a", 5, {"x"}), RatedDoc("b", None, {"x"})])
    with pytest.raises(InvalidRating, match="outside the NPS scale"):
        driver_analysis([RatedDoc("a", 11, {"x"}), RatedDoc("b", 5), RatedDoc("c", 6)])
    with pytest.raises(InvalidRating, match="Unknown rating scale"):
        driver_analysis([], scale="stars")
    csat = driver_analysis(
        [RatedDoc("a", 1, {"x"}), RatedDoc("b", 5, set()), RatedDoc("c", 4, set())], scale="csat"
    )
    assert csat.nps is None and csat.drivers[0].difference == pytest.approx(1 - 4.5)
    everywhere = driver_analysis([RatedDoc(str(i), i, {"all"}) for i in range(3)])
    only = everywhere.drivers[0]
    assert only.mean_without is None and only.difference is None and only.quadrant is None


def test_report_round_trips_through_json() -> None:
    report = driver_analysis(study(n=24), n_boot=100)
    assert DriverReport.from_dict(json.loads(json.dumps(report.to_dict()))) == report
