"""SVG charts: well-formed, linkable to their units, readable labels, empty states."""

from __future__ import annotations

import defusedxml.ElementTree as ET
import pytest

from storytelling import build_report, synthetic_corpus
from storytelling.charts import (
    driver_matrix_svg,
    fit_text,
    rating_distribution_svg,
    segment_heatmap_svg,
    text_width,
    theme_sentiment_svg,
    trend_svg,
)
from storytelling.schema import CodedCorpus, Report

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def report() -> Report:
    return build_report(synthetic_corpus(80, seed=1))


def charts(report: Report, link_base: str | None = None) -> dict[str, str]:
    scale = report.summary.rating.scale
    return {
        "distribution": rating_distribution_svg(report.summary.rating, "en", link_base),
        "themes": theme_sentiment_svg(report.themes, "en", link_base),
        "drivers": driver_matrix_svg(report.drivers, scale, "en", link_base),
        "segments": segment_heatmap_svg(report.segments, scale, "en", link_base),
        "trend": trend_svg(report.trend, scale, "en", link_base),
    }


def test_charts_are_well_formed_and_carry_their_units(report: Report) -> None:
    for name, svg in charts(report).items():
        root = ET.fromstring(svg)
        assert root.tag == f"{SVG}svg" and root.get("viewBox"), name
        assert root.find(f"{SVG}title") is not None
        marked = [e for e in root.iter() if e.get("data-units") or e.get("data-interviews")]
        assert marked, name
        assert "<a " not in svg  # no links without a link base (WeasyPrint draws <a> as text)


def test_links_when_a_link_base_is_given(report: Report) -> None:
    svgs = charts(report, link_base="/studies/7/quotes")
    assert 'href="/studies/7/quotes?theme=delivery%2Flate-shipments&amp;sentiment=negative"' \
        in svgs["themes"]
    assert 'href="/studies/7/quotes?rating=10"' in svgs["distribution"]
    assert "?month=2025-0" in svgs["trend"]
    assert "segment=" in svgs["segments"]
    for svg in svgs.values():
        ET.fromstring(svg)


def test_theme_bar_units_match_the_data(report: Report) -> None:
    root = ET.fromstring(theme_sentiment_svg(report.themes, "en"))
    late = next(t for t in report.themes if t.path == "delivery/late-shipments")
    segment = next(g for g in root.iter(f"{SVG}g") if g.get("data-theme") == late.path
                   and g.get("data-sentiment") == "negative")
    assert segment.get("data-units", "").split() == late.unit_ids["negative"]


def test_driver_labels_do_not_overlap_much(report: Report) -> None:
    root = ET.fromstring(driver_matrix_svg(report.drivers, "nps", "en"))
    placed = [d for d in report.drivers.drivers if d.quadrant]  # uncertain ones stay off the chart
    names = {d.name[:10] for d in placed}
    boxes = []
    for text in root.iter(f"{SVG}text"):
        content = text.text or ""
        if content[:10] not in names:
            continue
        x, y = float(text.get("x")), float(text.get("y"))
        w = text_width(content, float(text.get("font-size")))
        anchor = text.get("text-anchor")
        x0 = x if anchor == "start" else x - w if anchor == "end" else x - w / 2
        boxes.append((x0, y - 9, x0 + w, y + 2))
    assert len(boxes) == len(placed) >= 2
    overlaps = sum(1 for i, a in enumerate(boxes) for b in boxes[i + 1:]
                   if min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1]))
    assert overlaps <= 1


def test_empty_charts_say_why(en_corpus: CodedCorpus) -> None:
    empty = build_report(en_corpus, filters={"region": "Atlantis"})
    svgs = charts(empty)
    assert "No ratings were given" in svgs["distribution"]
    assert "No themes were coded" in svgs["themes"]
    assert "The trend appears" in svgs["trend"]
    for svg in svgs.values():
        ET.fromstring(svg)


def test_long_labels_are_shortened() -> None:
    label = fit_text("An extraordinarily long theme name that never ends", 11, 120)
    assert label.endswith("…") and text_width(label, 11) <= 120
    assert fit_text("Short", 11, 120) == "Short"
