"""Reports and stories that never overstate: n and uncertainty beside figures, only confident
or accepted codes, quotes on theme and polarity, readable reasons, one language."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from storytelling import build_report, build_story
from storytelling.i18n import STRINGS
from storytelling.render import render_report_html, render_story_html
from storytelling.report import nps_interval
from storytelling.schema import (
    CodedCorpus,
    CodedUnit,
    InterviewData,
    RatingValue,
    StudyInfo,
    UnitCode,
)
from storytelling.trust import readable_reason


def coded(uid: str, text: str, path: str, sentiment: str, *, code_sentiment: str | None = None,
          confidence: float = 0.9, accepted: bool = False, reason: str | None = None) -> CodedUnit:
    return CodedUnit(id=uid, text=text, speaker="respondent", sentiment=sentiment, reason=reason,
                     confidence=confidence, sentiment_score=-0.8 if sentiment == "negative" else 0.8,
                     codes=[UnitCode(path=path, sentiment=code_sentiment or sentiment,
                                     confidence=confidence, confirmed=accepted)])


def corpus_of(units_per_interview: list[list[CodedUnit]], ratings: list[float | None] | None = None,
              language: str = "en") -> CodedCorpus:
    ratings = ratings or [None] * len(units_per_interview)
    return CodedCorpus(
        study=StudyInfo(id="s", title="Trust", language=language),
        interviews=[InterviewData(id=f"i{n}", account=f"Account {n}", respondent=f"Person {n}",
                                  date=dt.date(2025, 1, 1 + n), rating=rating, units=units)
                    for n, (units, rating) in enumerate(zip(units_per_interview, ratings, strict=True))],
        code_names={"communication/proactive": "Proactive updates", "invoicing/errors": "Invoice errors",
                    "delivery/late": "Late deliveries", "pricing/increases": "Price increases"})


LATE = "The pallets arrived two days late again, because the trucks are booked at the last minute."
INVOICE = "Every invoice has the wrong price on it, because the discounts are not loaded in the system."


def test_low_confidence_codes_count_nowhere_unless_accepted() -> None:
    # every interview carries a doubtful "proactive updates" code on an answer about invoices
    interviews = [[coded(f"u{n}", INVOICE, "communication/proactive", "negative", confidence=0.3,
                         reason="the discounts are not loaded in the system")] for n in range(4)]
    report = build_report(corpus_of(interviews))
    assert report.themes == [] and report.summary.top_pains == []
    assert report.methodology.codes == 0 and report.methodology.uncounted_codes == 4
    # an analyst accepting two of them makes them count, whatever the model's confidence
    for n in (0, 1):
        interviews[n][0].codes[0].confirmed = True
    report = build_report(corpus_of(interviews))
    assert [(t.path, t.interviews) for t in report.themes] == [("communication/proactive", 2)]
    assert report.summary.top_pains[0].interviews == 2
    assert report.summary.top_pains[0].quote.unit_id in ("u0", "u1")


def test_top_pain_needs_negative_codes_on_two_interviews() -> None:
    one = [[coded("a", LATE, "delivery/late", "negative")], [], []]
    assert build_report(corpus_of(one)).summary.top_pains == []
    two = [[coded("a", LATE, "delivery/late", "negative")],
           [coded("b", LATE, "delivery/late", "negative")], []]
    summary = build_report(corpus_of(two)).summary
    assert [(p.path, p.interviews) for p in summary.top_pains] == [("delivery/late", 2)]
    # no readable reason behind the pain: no action
    assert summary.actions == []
    with_reason = [[coded("a", LATE, "delivery/late", "negative", reason="the trucks are booked at the last minute")],
                   [coded("b", LATE, "delivery/late", "negative", reason="the trucks are booked at the last minute")],
                   []]
    (action,) = build_report(corpus_of(with_reason)).summary.actions
    assert action.text == "Address: “the trucks are booked at the last minute” (2 accounts)"
    assert action.owner == "Logistics" and action.unit_ids == ["a", "b"]
    # a mixed mention is not a complaint
    mixed = [[coded("a", LATE, "delivery/late", "negative")],
             [coded("b", LATE, "delivery/late", "mixed")], []]
    assert build_report(corpus_of(mixed)).summary.top_pains == []


def test_quote_of_a_theme_is_coded_with_that_theme_and_polarity() -> None:
    praise = "Honestly the deliveries are always on time and the drivers are very kind with us."
    interviews = [
        [coded("neg1", LATE, "delivery/late", "negative", confidence=0.6),
         coded("inv1", INVOICE, "invoicing/errors", "negative", reason=None)],
        [coded("neg2", LATE, "delivery/late", "negative", confidence=0.7),
         # stronger, on the same theme but praised: never the quote of a pain
         coded("pos", praise, "delivery/late", "positive", confidence=0.99)],
        [coded("inv2", INVOICE, "invoicing/errors", "negative")],
    ]
    report = build_report(corpus_of(interviews, [3, 6, 5]))
    for pain in report.summary.top_pains:
        assert pain.quote is not None
        quoted = next(u for i in interviews for u in i if u.id == pain.quote.unit_id)
        assert any(c.path == pain.path and (c.sentiment or quoted.sentiment) == "negative"
                   for c in quoted.codes)
        if pain.reason is not None:
            source = next(u for i in interviews for u in i if u.id == pain.reason.unit_id)
            assert any(c.path == pain.path for c in source.codes)
    # a code whose sentiment contradicts its unit's supports nothing
    contradicting = [[coded("x", LATE, "delivery/late", "negative", code_sentiment="positive")],
                     [coded("y", LATE, "delivery/late", "negative", code_sentiment="positive")]]
    assert build_report(corpus_of(contradicting)).summary.top_delights == []
    for group in build_report(corpus_of(interviews, [3, 6, 5])).rating_groups:
        if group.quote is not None:
            quoted = next(u for i in interviews for u in i if u.id == group.quote.unit_id)
            assert any(c.path == group.quote.path for c in quoted.codes)


def test_nps_interval_uses_the_usual_variance() -> None:
    ratings = [10, 10, 9, 8, 0, 3]
    p_pro, p_det = 3 / 6, 2 / 6
    half = 1.6449 * ((p_pro + p_det - (p_pro - p_det) ** 2) / 6) ** 0.5
    low, high = nps_interval(ratings)
    assert low == pytest.approx(round((p_pro - p_det - half) * 100, 1))
    assert high == pytest.approx(round((p_pro - p_det + half) * 100, 1))
    assert nps_interval([10] * 3) == [100.0, 100.0] and nps_interval([]) is None
    report = build_report(corpus_of([[] for _ in ratings], ratings))
    assert report.summary.rating.interval == [low, high] and report.summary.rating.rated == 6


def test_every_share_shows_its_n_and_small_bases_are_indicative(en_corpus: CodedCorpus) -> None:
    page = render_report_html(build_report(en_corpus))
    figures = re.findall(r'<span class="figure[^"]*">(.*?)</span>', page, flags=re.DOTALL)
    shares = [f for f in figures if "%" in f]
    assert shares, "the report shows shares"
    for figure in shares:
        assert re.search(r"\(\d+ of \d+\)", figure), figure
    assert "n = 6" in page and "90% interval" in page
    assert "indicative," not in _visible(page)  # 6 interviews: no share is indicative
    small = CodedCorpus(study=en_corpus.study, interviews=en_corpus.interviews[:4],
                        code_names=en_corpus.code_names)
    page = _visible(render_report_html(build_report(small)))
    assert "indicative, n < 5" in page
    assert "Fewer than 5 interviews: the percentage is only indicative." in page


def test_secondary_scales_sit_beside_the_headline_with_their_own_n() -> None:
    interviews = [[] for _ in range(3)]
    corpus = corpus_of(interviews, [9, 7, None])
    corpus.interviews[0].other_ratings = [RatingValue(scale="csat", value=5, question="Satisfied?")]
    corpus.interviews[2].other_ratings = [RatingValue(scale="csat", value=3)]
    report = build_report(corpus)
    assert report.summary.rating.rated == 2
    (csat,) = report.other_ratings
    assert (csat.scale, csat.rated, csat.mean, csat.question) == ("csat", 2, 4.0, "Satisfied?")
    assert csat.indicative
    page = render_report_html(report)
    assert "Customer satisfaction (CSAT, 1–5)" in page and "mean 4 · n = 2" in page


def test_unreadable_or_foreign_reasons_are_never_quoted() -> None:
    garbled = coded("g", "Sì, i ammemerci arrivano tardi.", "delivery/late", "negative", reason="i ammemerci")
    assert readable_reason(garbled) is None
    elsewhere = coded("e", LATE, "delivery/late", "negative", reason="the invoices are always wrong")
    assert readable_reason(elsewhere) is None  # not a span of the unit
    nonsense = coded("n", "Blorf snerk wib the vantol crumpy.", "delivery/late", "negative",
                     reason="blorf snerk wib the vantol crumpy")
    assert readable_reason(nonsense) is None
    good = coded("ok", LATE, "delivery/late", "negative", reason="the trucks are booked at the last minute")
    assert readable_reason(good) == "the trucks are booked at the last minute"
    italian = coded("it", "Le consegne arrivano tardi perché i camion partono sempre in ritardo.",
                    "delivery/late", "negative", reason="i camion partono sempre in ritardo")
    assert readable_reason(italian) == "i camion partono sempre in ritardo"


def test_story_never_pairs_a_theme_with_the_opposite_sentiment() -> None:
    units = [
        # the model said "positive" about price increases on a negative answer
        coded("p", "You raised the prices twice this year and nobody explained why to us.",
              "pricing/increases", "negative", code_sentiment="positive"),
        coded("l1", LATE, "delivery/late", "negative", reason="the trucks are booked at the last minute"),
        coded("l2", "When the truck is on time the unloading is fast and the drivers are kind.",
              "delivery/late", "positive"),
        coded("l3", "Another week the pallets came late and we had to stop the line for hours.",
              "delivery/late", "negative"),
        coded("low", "The invoices are fine I suppose, nothing special to say about them.",
              "invoicing/errors", "positive", confidence=0.2),
    ]
    for language in ("en", "it"):
        corpus = corpus_of([units], [4], language=language)
        story = build_story(corpus.interviews[0], corpus.study, corpus.code_names)
        assert [p.path for p in story.pains] == ["delivery/late"]
        assert story.delights == []  # late deliveries are told on one side; price increases nowhere
        assert "Price increases" not in story.text and "Invoice errors" not in story.text
        assert "low" not in [q.unit_id for q in story.quotes]
        assert all(q.sentiment == "negative" for q in story.quotes if q.path == "delivery/late")
        # the one action comes from the negative reason the customer gave
        assert [a.path for a in story.actions] == ["delivery/late"]
        assert "the trucks are booked at the last minute" in story.actions[0].text
        assert ("(1 account)" if language == "en" else "(1 cliente)") in story.actions[0].text


def test_no_action_without_a_negative_reason() -> None:
    units = [coded("l1", LATE.split(",")[0] + ".", "delivery/late", "negative"),
             coded("l2", "Another week the pallets came late and we had to stop the line.",
                   "delivery/late", "negative")]
    corpus = corpus_of([units], [3])
    story = build_story(corpus.interviews[0], corpus.study, corpus.code_names)
    assert [p.path for p in story.pains] == ["delivery/late"] and story.actions == []


def _literals(text: str) -> list[str]:
    """The fixed parts of a template string, long enough to be telling."""
    return [part.strip() for part in re.split(r"\{[^}]*\}", text) if len(part.strip()) >= 12]


def _visible(page: str) -> str:
    page = re.sub(r"<style.*?</style>", " ", page, flags=re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.mark.parametrize("language,other", [("en", "it"), ("it", "en")])
def test_report_in_one_language_has_no_strings_of_the_other(en_corpus: CodedCorpus, it_corpus: CodedCorpus,
                                                             language: str, other: str) -> None:
    from storytelling.stories import build_stories

    corpus = en_corpus if language == "en" else it_corpus
    stories = build_stories(corpus)
    for story in stories:
        story.status = "approved"
    report = build_report(corpus, stories=stories, language=language)
    for for_pdf in (False, True):
        text = _visible(render_report_html(report, for_pdf=for_pdf, link_base="/q"))
        leaked = [fragment for key, values in STRINGS.items() if values[other] != values[language]
                  for fragment in _literals(values[other]) if fragment not in _literals(values[language])
                  and fragment in text]
        assert leaked == []
    # a story in the other language is labelled with its language
    foreign = build_story(corpus.interviews[0], corpus.study, corpus.code_names, language=other)
    foreign.status = "approved"
    mixed = build_report(corpus, stories=[foreign], language=language)
    label = STRINGS[f"story_in_{other}"][language]
    assert f"({label})" in _visible(render_report_html(mixed))
    assert f"({label})" not in _visible(render_story_html(stories[0]))


def test_driver_impact_carries_an_interval_and_doubtful_ones_are_marked() -> None:
    import statistics

    late = [[coded(f"l{n}", LATE, "delivery/late", "negative")] for n in range(3)]
    steady = [[coded(f"p{n}", "The product is solid and we rarely see a defect in what you ship.",
                     "invoicing/errors", "positive")] for n in range(2)]
    ratings = [2, 3, 2, 9, 1, 9, 10, 8]
    report = build_report(corpus_of([*late, *steady, [], [], []], ratings))
    drivers = {d.path: d for d in report.drivers.drivers}
    late_driver = drivers["delivery/late"]
    with_, without = [2, 3, 2], [9, 1, 9, 10, 8]
    se = (statistics.variance(with_) / 3 + statistics.variance(without) / 5) ** 0.5
    gap = statistics.fmean(with_) - statistics.fmean(without)
    assert late_driver.interval == [round(gap - 1.6449 * se, 2), round(gap + 1.6449 * se, 2)]
    assert late_driver.clear  # clearly pulls the rating down
    doubtful = drivers["invoicing/errors"]  # rated 9 and 1: no clear direction
    assert doubtful.interval[0] < 0 < doubtful.interval[1] and not doubtful.clear
    page = _visible(render_report_html(report))
    assert "uncertain: the interval includes 0" in page


def test_quotes_carry_only_a_readable_reason() -> None:
    """A quote's reason (in the report's and the story's data, e.g. the report API) is never garbled."""
    garbled = "Sì, i ammemerci arrivano sempre tardi e dobbiamo fermare la linea per ore."
    interviews = [[coded(f"g{n}", garbled, "delivery/late", "negative", reason="i ammemerci")] for n in range(2)]
    report = build_report(corpus_of(interviews, language="it"))
    (pain,) = report.summary.top_pains
    assert pain.quote is not None and pain.quote.reason is None
    story = build_story(corpus_of(interviews, language="it").interviews[0], report.study, {})
    assert story.quotes and all(q.reason is None for q in story.quotes)
    good = [[coded(f"l{n}", LATE, "delivery/late", "negative", reason="the trucks are booked at the last minute")]
            for n in range(2)]
    assert build_report(corpus_of(good)).summary.top_pains[0].quote.reason == \
        "the trucks are booked at the last minute"


def test_call_back_list_never_names_a_praised_theme_as_the_complaint() -> None:
    """A detractor's negative answer whose only code is felt positively gets no theme in the call-back list."""
    unit = coded("p", "You raised the prices twice this year and nobody explained why to us.",
                 "pricing/increases", "negative", code_sentiment="positive")
    report = build_report(corpus_of([[unit]], [2]))
    (item,) = report.close_the_loop
    assert item.unit_id == "p" and item.path == "" and item.theme == ""
    # a code felt negatively on the same answer is the complaint's theme
    unit.codes.append(UnitCode(path="communication/proactive", sentiment="negative", confidence=0.9))
    (item,) = build_report(corpus_of([[unit]], [2])).close_the_loop
    assert item.path == "communication/proactive"


def test_a_code_felt_against_its_sentence_counts_in_no_section() -> None:
    praise = "The driver was kind and careful with the pallets, I have to say."
    # a model code "positive" on a sentence that is negative overall: no section may count it
    contradicting = [[coded(f"c{n}", LATE, "delivery/late", "negative", code_sentiment="positive")]
                     for n in range(3)]
    report = build_report(corpus_of(contradicting))
    assert report.themes == [] and report.summary.top_delights == [] and report.summary.top_pains == []
    # an analyst who accepted the code (and so its sentiment) makes it count
    for interview in contradicting:
        interview[0].codes[0].confirmed = True
    assert [t.path for t in build_report(corpus_of(contradicting)).themes] == ["delivery/late"]
    # a mixed sentence carries both polarities, one clause each: a praised code on it counts
    mixed = [[coded(f"m{n}", praise + " But the invoices are wrong.", "delivery/late", "mixed",
                    code_sentiment="positive")] for n in range(3)]
    themes = build_report(corpus_of(mixed)).themes
    assert [(t.path, t.sentiments["positive"]) for t in themes] == [("delivery/late", 3)]
