"""What a reviewer of the Italian demo report found misleading, on a small mixed-language study
of 8 rated interviews: uncertain drivers under action labels, means without their n, pain and
delight shares that do not say what they count, English words unlabelled in an Italian
report, a main reason without its count."""

from __future__ import annotations

import datetime as dt
import re
import shutil

import pytest
from pdf_text import pdf_pages, squash
from storytelling_corpora import unit

from storytelling import build_report
from storytelling.charts import driver_matrix_svg
from storytelling.i18n import language_label
from storytelling.language import guess_language, unit_language
from storytelling.render import render_report_html, render_report_pdf
from storytelling.schema import CodedCorpus, CodedUnit, InterviewData, StudyInfo

LATE, COURTESY, TRACKING = "delivery/late", "staff/courtesy", "delivery/tracking"
REASON = "late deliveries hurt us with hospitals"
QUADRANT_LABELS = ("Da correggere subito", "Da mantenere", "Da monitorare", "Da valorizzare")


def _interview(n: int, rating: float, *units: CodedUnit, language: str | None = None) -> InterviewData:
    return InterviewData(id=f"m{n}", account=f"Cliente {n}", respondent=f"Persona {n}",
                         date=dt.date(2025, 3, n), rating=rating, units=list(units),
                         language=language)


def mixed_corpus() -> CodedCorpus:
    """8 rated interviews (4 Italian, 4 English) of an Italian study; no driver is clear."""
    study = StudyInfo(id="mix", title="Studio misto", language="it", rating_scale="nps")
    names = {LATE: "Ritardi nelle consegne", COURTESY: "Cortesia e atteggiamento",
             TRACKING: "Tracciamento delle spedizioni"}
    nice = "Il personale è sempre gentile e disponibile con noi"
    return CodedCorpus(study=study, code_names=names, interviews=[
        _interview(1, 9, unit("m1-u1", nice, (COURTESY, "positive"), sentiment="positive",
                              reason="sempre gentile e disponibile"), language="it"),
        _interview(2, 3, unit("m2-u1", f"Honestly, {REASON}, and we had to apologise twice.",
                              (LATE, "negative"), sentiment="negative", reason=REASON, score=-0.9),
                   unit("m2-u2", "The staff are always kind to us and very helpful.",
                        (COURTESY, "positive"), sentiment="positive")),
        # no language on the unit nor the interview: guessed from the words
        _interview(3, 8, unit("m3-u1", f"{REASON.capitalize()}: the trucks were not there.",
                              (LATE, "negative"), sentiment="negative", reason=REASON)),
        _interview(4, 6, unit("m4-u1", "Il tracciamento non funziona e non sappiamo mai dove sono i pacchi",
                              (TRACKING, "negative"), sentiment="negative",
                              reason="non sappiamo mai dove sono i pacchi"),
                   unit("m4-u2", nice, (COURTESY, "positive"), sentiment="positive"), language="it"),
        _interview(5, 10, unit("m5-u1", "Le consegne arrivano in ritardo e perdiamo tempo con il cliente",
                               (LATE, "negative"), sentiment="negative"), language="it"),
        _interview(6, 5, unit("m6-u1", "Tracking is useless, we never know where the parcels are.",
                              (TRACKING, "negative"), sentiment="negative"), language="en"),
        _interview(7, 7, unit("m7-u1", "The staff are kind and we like working with them.",
                              (COURTESY, "positive"), sentiment="positive"),
                   unit("m7-u2", "Deliveries are what they are, it is the same with the others.",
                        (LATE, "neutral"), sentiment="neutral"), language="en"),
        _interview(8, 9, unit("m8-u1", "Il tracciamento delle spedizioni non è mai aggiornato",
                              (TRACKING, "negative"), sentiment="negative"), language="it"),
    ])


@pytest.fixture(scope="module")
def report():
    return build_report(mixed_corpus(), generated_on=dt.date(2025, 5, 8))


@pytest.fixture(scope="module")
def html(report) -> str:
    return render_report_html(report)


def _section(html: str, key: str) -> str:
    start = html.index(f'id="sec-{key}"')
    end = html.find('<section', start)
    return html[start:end if end > 0 else None]


def _plain(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


# --- 1. uncertain drivers are not findings -----------------------------------------------------


def test_uncertain_drivers_get_no_quadrant(report) -> None:
    drivers = report.drivers.drivers
    assert report.drivers.rated == 8 and {d.path for d in drivers} == {LATE, COURTESY, TRACKING}
    assert all(not d.clear and d.quadrant == "" for d in drivers)


def test_no_clear_driver_replaces_the_chart_with_a_sentence(report, html) -> None:
    section = _section(html, "drivers")
    text = _plain(section)
    assert "Con 8 interviste con valutazione non si può ancora dire" in text
    assert "<svg" not in section
    for label in QUADRANT_LABELS:
        assert label not in text
    assert "nessuno (incerto)" in text
    svg = driver_matrix_svg(report.drivers, "nps", "it")
    assert "Con 8 interviste con valutazione" in svg and "<circle" not in svg


def test_uncertain_drivers_are_listed_under_the_chart_not_plotted(en_corpus: CodedCorpus) -> None:
    english = build_report(en_corpus)
    svg = driver_matrix_svg(english.drivers, "nps", "en")
    assert 'data-theme="delivery/late-shipments"' in svg  # clear: placed in its quadrant
    assert 'data-theme="support/responsiveness"' not in svg  # uncertain: left off
    text = _plain(_section(render_report_html(english), "drivers"))
    assert "Support responsiveness: uncertain effect, n = 3 with the theme, 3 without" in text
    assert "Fix first" in text


# --- 2. each mean with its n ----------------------------------------------------------------------


def test_driver_means_show_their_n(report, html, en_corpus: CodedCorpus) -> None:
    courtesy = next(d for d in report.drivers.drivers if d.path == COURTESY)
    assert (courtesy.interviews, courtesy.interviews_without) == (4, 4)
    text = _plain(_section(html, "drivers"))
    assert "6,2 (n = 4) 8 (n = 4)" in text  # with 9, 3, 6, 7; without 8, 10, 5, 9
    assert "6,7 (n = 3) 7,4 (n = 5)" in text  # tracking: with 6, 5, 9; without the other five
    english = _plain(_section(render_report_html(build_report(en_corpus)), "drivers"))
    assert "4.7 (n = 3)" in english and "9 (n = 3)" in english


# --- 3. pains and delights say what they count -------------------------------------------------


def test_pain_and_delight_shares_say_what_they_count(report, html) -> None:
    late = next(p for p in report.summary.top_pains if p.path == LATE)
    assert late.interviews == 3  # a neutral mention in m7 is not a complaint
    assert next(t for t in report.themes if t.path == LATE).interviews == 4
    summary = _plain(_section(html, "summary"))
    assert "Ritardi nelle consegne 38% (3 su 8) con giudizio negativo" in summary
    assert "Cortesia e atteggiamento 50% (4 su 8) con giudizio positivo" in summary
    english = _plain(_section(render_report_html(build_report(mixed_corpus(), language="en")), "summary"))
    assert "38% (3 of 8) with a negative mention" in english
    assert "50% (4 of 8) with a positive mention" in english


# --- 4. words in another language are labelled, not translated ---------------------------------


def test_languages_of_units() -> None:
    assert guess_language(REASON) == "en"
    assert guess_language("Le consegne arrivano in ritardo e perdiamo tempo con il cliente") == "it"
    assert guess_language("OK") == ""  # too little to tell: no label rather than a wrong one
    english = unit("x", "Il personale è gentile con noi")  # the text is Italian...
    english.language = "en"  # ...but the transcriber said English: the unit's own language wins
    assert unit_language(english) == "en"
    assert unit_language(unit("y", "OK"), _interview(9, 5, language="it")) == "it"
    assert language_label("en", "it") == "in inglese" and language_label("it", "en") == "in Italian"
    assert language_label("it", "it") == "" and language_label("", "it") == ""


def test_english_words_are_labelled_in_the_italian_report(report, html) -> None:
    late = next(p for p in report.summary.top_pains if p.path == LATE)
    assert late.reason is not None and late.reason.language == "en"
    assert late.quote is not None and late.quote.language == "en"
    summary = _plain(_section(html, "summary"))
    assert f"Motivo principale: «{REASON}» (in inglese)" in summary
    assert f"Intervenire su: «{REASON}» (in inglese)" in summary
    assert re.search(r"«Honestly, [^»]+» \(in inglese\)", summary)
    # Italian words in the Italian report carry no label
    assert "«non sappiamo mai dove sono i pacchi» (in" not in summary
    loop = _plain(_section(html, "loop"))
    assert f"«{REASON}» (in inglese)" in loop
    ratings = _plain(_section(html, "ratings"))
    assert f"«{REASON}» (in inglese)" in ratings


def test_italian_words_are_labelled_in_the_english_report() -> None:
    english = render_report_html(build_report(mixed_corpus(), language="en"))
    summary = _plain(_section(english, "summary"))
    assert "“non sappiamo mai dove sono i pacchi” (in Italian)" in summary
    assert f"“{REASON}” (in" not in summary


# --- 5. the main reason with its count ----------------------------------------------------------


def test_main_reason_shows_how_many_gave_it(report, html) -> None:
    late = next(p for p in report.summary.top_pains if p.path == LATE)
    assert late.reason is not None and late.reason.count == 2
    summary = _plain(_section(html, "summary"))
    assert f"«{REASON}» (in inglese) (n = 2 su 3)" in summary
    assert "«non sappiamo mai dove sono i pacchi» (n = 1 su 3)" in summary


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler's pdftotext is not installed")
def test_pdf_carries_the_same_labels(report, tmp_path) -> None:
    text = squash(" ".join(pdf_pages(render_report_pdf(report, tmp_path / "r.pdf"))))
    assert "(in inglese)" in text and "con giudizio negativo" in text
    assert "Con 8 interviste con valutazione non si può ancora dire" in text
    assert "n = 2 su 3" in text
    start = text.rindex("Cosa determina la valutazione")  # the section, not the contents
    drivers = text[start:text.index("Confronto tra segmenti", start)]
    assert "6,2 (n = 4)" in drivers
    for label in QUADRANT_LABELS:
        assert label not in drivers


def test_a_quote_cut_mid_sentence_opens_with_an_ellipsis() -> None:
    from storytelling.language import verbatim

    assert verbatim("but billing questions always go to someone else.") == \
        "… billing questions always go to someone else."
    assert verbatim("Però le fatture arrivano tardi.") == "… le fatture arrivano tardi."
    assert verbatim("Perché i ritardi ci creano problemi.") == "Perché i ritardi ci creano problemi."
    assert verbatim("Ecco, tutto qui.") == "Ecco, tutto qui."  # "e" only as a whole word
    assert verbatim("  and  ") == "and"
