"""The report as data: pure functions on small hand-made corpora, empty states included."""

from __future__ import annotations

import datetime as dt

import pytest
from storytelling_corpora import unit

from storytelling import build_report, build_stories
from storytelling.errors import InvalidCorpus, InvalidFilter
from storytelling.render import render_report_html
from storytelling.schema import CodedCorpus, InterviewData, StudyInfo


def test_summary_nps_and_distribution(en_corpus: CodedCorpus) -> None:
    report = build_report(en_corpus, generated_on=dt.date(2025, 4, 1))
    summary = report.summary
    assert summary.interviews == 6 and summary.accounts == 6
    rating = summary.rating
    # ratings 3, 5, 9, 10, 8, 6: two promoters, one passive, three detractors
    assert rating.score == pytest.approx(100 * (2 - 3) / 6, abs=0.1)
    assert [(g.group, g.count) for g in rating.groups] == [
        ("promoter", 2), ("passive", 1), ("detractor", 3)]
    bins = {b.value: b for b in rating.distribution}
    assert len(bins) == 11 and bins[3].interview_ids == ["e1"] and bins[0].count == 0
    assert bins[9].group == "promoter" and bins[6].group == "detractor"


def test_top_pains_and_delights_carry_reason_quote_and_units(en_corpus: CodedCorpus) -> None:
    summary = build_report(en_corpus).summary
    pain = summary.top_pains[0]
    assert pain.path == "delivery/late-shipments" and pain.interviews == 3
    assert pain.share == pytest.approx(0.5)
    assert pain.reason is not None and pain.reason.count == 3
    assert pain.reason.text == "the trucks are always booked at the last minute"
    assert pain.quote is not None and pain.quote.unit_id in pain.unit_ids
    assert sorted(pain.unit_ids) == ["e1-u1", "e2-u1", "e6-u1"]
    assert [d.path for d in summary.top_delights] == ["product/quality",
                                                      "support/responsiveness"]


def test_rating_groups_name_their_themes_and_reasons(en_corpus: CodedCorpus) -> None:
    groups = {g.group: g for g in build_report(en_corpus).rating_groups}
    detractors = groups["detractor"]
    assert detractors.interview_ids == ["e1", "e2", "e6"]
    assert detractors.themes[0].path == "delivery/late-shipments"
    assert detractors.themes[0].sentiment == "negative"
    assert detractors.reasons[0].text.startswith("the trucks")
    assert groups["promoter"].reasons[0].text == "we talk to the same two people every time"


def test_theme_stats(en_corpus: CodedCorpus) -> None:
    themes = {t.path: t for t in build_report(en_corpus).themes}
    late = themes["delivery/late-shipments"]
    assert late.interviews == 3 and late.mentions == 3 and late.count("negative") == 3
    assert late.net == -1.0 and late.unit_ids["negative"] == ["e1-u1", "e2-u1", "e6-u1"]
    assert themes["product/quality"].share == 1.0


def test_driver_matrix(en_corpus: CodedCorpus) -> None:
    matrix = build_report(en_corpus).drivers
    drivers = {d.path: d for d in matrix.drivers}
    # quality is in every interview: nothing to compare it with
    assert "product/quality" in matrix.excluded and "product/quality" not in drivers
    late = drivers["delivery/late-shipments"]
    assert late.mean_with == pytest.approx(14 / 3, abs=0.01)
    assert late.mean_without == pytest.approx(9.0)
    assert late.impact == pytest.approx(14 / 3 - 9, abs=0.01)
    assert late.quadrant == "fix_first" and late.clear
    assert (late.interviews, late.interviews_without) == (3, 3)
    # its interval includes 0: an uncertain effect gets no action quadrant
    support = drivers["support/responsiveness"]
    assert not support.clear and support.quadrant == ""
    assert matrix.frequency_threshold == pytest.approx(0.5)


def test_segments_and_trend(en_corpus: CodedCorpus) -> None:
    report = build_report(en_corpus)
    segments = report.segments
    assert [c.value for c in segments.segments] == ["Enterprise", "Mid-market"]
    cell = segments.cell("Enterprise", "delivery/late-shipments")
    assert cell is not None and cell.share == 1.0 and cell.net == -1.0
    assert segments.cell("Mid-market", "delivery/late-shipments").interviews == 0
    assert [p.month for p in report.trend] == ["2025-01", "2025-02", "2025-03"]
    assert report.trend[1].score == 100.0


def test_close_the_loop(en_corpus: CodedCorpus) -> None:
    report = build_report(en_corpus, loop_status={"e2": "contacted"})
    items = {i.interview_id: i for i in report.close_the_loop}
    assert list(items) == ["e1", "e2", "e6"]  # by rating, lowest first
    first = items["e1"]
    assert first.trigger == "low_rating" and first.owner == "Logistics"
    assert first.reason == "the trucks are always booked at the last minute"
    assert first.unit_id == "e1-u1" and first.status == "open"
    assert items["e2"].status == "contacted"
    with pytest.raises(InvalidCorpus, match="open, contacted, resolved"):
        build_report(en_corpus, loop_status={"e1": "done"})


def test_strongly_negative_comment_puts_a_promoter_on_the_list() -> None:
    study = StudyInfo(id="s", title="t")
    angry = unit("u1", "The last invoice was wrong again and nobody answers our emails.",
                 ("invoicing/errors", "negative"), sentiment="negative", score=-0.9)
    corpus = CodedCorpus(study=study, interviews=[
        InterviewData(id="i1", account="Happy Co", rating=9, units=[angry])],
        code_owners={"invoicing": "Billing desk"})
    (item,) = build_report(corpus).close_the_loop
    assert item.trigger == "strong_negative" and item.owner == "Billing desk"
    assert item.reason.startswith("The last invoice")  # no reason-why: the words themselves


def test_methodology(en_corpus: CodedCorpus) -> None:
    method = build_report(en_corpus, agreement={"Cohen's kappa": 0.74}).methodology
    assert method.interviews == 6 and method.rated == 6 and method.codes == 12
    assert method.confirmed_codes == 3 and method.confirmed_share == pytest.approx(3 / 12)
    assert method.date_from == dt.date(2025, 1, 10) and method.date_to == dt.date(2025, 3, 18)
    assert method.agreement == {"Cohen's kappa": 0.74}


def test_filters(en_corpus: CodedCorpus) -> None:
    report = build_report(en_corpus, filters={"segment": "enterprise", "region": ""})
    assert report.summary.interview_ids == ["e1", "e2", "e6"]
    assert report.filters == {"segment": "enterprise"}
    dated = build_report(en_corpus, filters={"date_from": "2025-02-01", "date_to": "2025-02-28"})
    assert dated.summary.interview_ids == ["e3", "e4"]
    with pytest.raises(InvalidFilter, match="filter by one of"):
        build_report(en_corpus, filters={"colour": "red"})
    with pytest.raises(InvalidFilter, match="YYYY-MM-DD"):
        build_report(en_corpus, filters={"date_from": "1st of May"})
    with pytest.raises(InvalidFilter, match="swap"):
        build_report(en_corpus, filters={"date_from": "2025-03-01", "date_to": "2025-01-01"})


def test_nothing_after_filtering(en_corpus: CodedCorpus) -> None:
    report = build_report(en_corpus, filters={"region": "Atlantis"})
    assert report.empty and report.summary.rating.score is None
    assert report.themes == [] and report.drivers.drivers == [] and report.trend == []
    assert report.close_the_loop == [] and report.rating_groups == []
    html = render_report_html(report)
    assert "No interviews match the filters" in html
    italian = render_report_html(build_report(en_corpus, filters={"region": "Atlantis"},
                                              language="it"))
    assert "Nessuna intervista corrisponde ai filtri" in italian


def test_one_interview(en_corpus: CodedCorpus) -> None:
    report = build_report(en_corpus, filters={"account": "Acme Foods"})
    assert report.summary.interviews == 1
    assert report.drivers.drivers == [] and report.trend == []
    assert len(report.segments.segments) == 1
    html = render_report_html(report)
    assert "Driver analysis needs at least 4 rated interviews" in html
    assert "All interviews share one segment" in html
    assert "The trend appears when" in html


def test_no_ratings(en_corpus: CodedCorpus) -> None:
    for interview in en_corpus.interviews:
        interview.rating = None
    report = build_report(en_corpus)
    assert report.summary.rating.rated == 0 and report.summary.rating.score is None
    assert report.rating_groups == [] and report.drivers.drivers == []
    # low ratings cannot trigger, strongly negative comments still do
    assert {i.trigger for i in report.close_the_loop} == {"strong_negative"}
    html = render_report_html(report)
    assert "No ratings were given in these interviews." in html


def test_no_negative_themes(en_corpus: CodedCorpus) -> None:
    for interview in en_corpus.interviews:
        interview.units = [u for u in interview.units if u.sentiment != "negative"]
    report = build_report(en_corpus)
    assert report.summary.top_pains == []
    assert "No pain points" in render_report_html(report)


def test_only_approved_stories_of_kept_interviews(en_corpus: CodedCorpus) -> None:
    stories = build_stories(en_corpus)
    stories[0].status = "approved"
    stories[2].status = "approved"
    report = build_report(en_corpus, stories=stories, filters={"segment": "Enterprise"})
    assert [s.account for s in report.stories] == ["Acme Foods"]


def test_italian_report_uses_italian_owners(it_corpus: CodedCorpus) -> None:
    report = build_report(it_corpus)
    assert report.language == "it"
    assert report.close_the_loop[0].owner == "Logistica"
    assert report.themes[0].name in ("Ritardi nelle consegne", "Qualità del prodotto")
    # late deliveries are negative in one interview only (mixed in the other): not a top pain
    assert [h.path for h in report.summary.top_pains] == []


def test_csat_scale() -> None:
    study = StudyInfo(id="s", title="t", rating_scale="csat")
    corpus = CodedCorpus(study=study, interviews=[
        InterviewData(id=f"i{n}", account=f"A{n}", rating=r) for n, r in enumerate([5, 4, 3, 1])])
    rating = build_report(corpus).summary.rating
    assert rating.score == pytest.approx(3.25) and [b.value for b in rating.distribution] == [
        1, 2, 3, 4, 5]
    assert [(g.group, g.count) for g in rating.groups] == [
        ("satisfied", 2), ("neutral", 1), ("dissatisfied", 1)]
