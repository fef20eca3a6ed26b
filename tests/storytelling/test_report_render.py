"""HTML output: the fragment the workbench embeds, and the standalone document."""

from __future__ import annotations

import datetime as dt

from storytelling import build_report, build_stories
from storytelling.render import (
    render_report_document,
    render_report_html,
    render_story_document,
    render_story_html,
)
from storytelling.schema import CodedCorpus


def test_fragment_has_every_section_and_no_html_wrapper(en_corpus: CodedCorpus) -> None:
    html = render_report_html(build_report(en_corpus))
    assert "<html" not in html and "<body" not in html and "@page" not in html
    assert html.lstrip().startswith('<div class="perche-report"')
    for section in ("summary", "ratings", "themes", "drivers", "segments", "trend", "stories",
                    "loop", "methodology"):
        assert f'id="sec-{section}"' in html
    assert "Three times last month the pallets arrived two days late" in html
    assert "−17" in html  # NPS with a real minus sign
    assert 'class="cover"' not in html


def test_fragment_links_to_quotes_when_given_a_link_base(en_corpus: CodedCorpus) -> None:
    html = render_report_html(build_report(en_corpus), link_base="/studies/3/quotes")
    assert 'href="/studies/3/quotes?unit=e1-u1"' in html
    assert 'href="/studies/3/quotes?theme=delivery%2Flate-shipments"' in html
    assert 'data-units="e1-u1 e2-u1 e6-u1"' in html
    plain = render_report_html(build_report(en_corpus), include_css=False)
    assert "<style>" not in plain and "/quotes?" not in plain


def test_document_for_print(en_corpus: CodedCorpus) -> None:
    html = render_report_document(build_report(en_corpus, generated_on=dt.date(2025, 5, 2)))
    assert html.startswith("<!doctype html>") and '<html lang="en">' in html
    assert "size: A4" in html and "target-counter(attr(href), page)" in html
    assert "DejaVuSans.ttf" in html and 'class="cover"' in html
    assert "Generated on 2 May 2025" in html
    assert "All interviews (no filters)" in html


def test_italian_labels_and_quotes(it_corpus: CodedCorpus) -> None:
    html = render_report_document(build_report(it_corpus, filters={"segment": "Grandi aziende"},
                                               generated_on=dt.date(2025, 5, 8)))
    for words in ("Sintesi", "Indice", "Nota metodologica", "Filtri applicati",
                  "Segmento: <strong>Grandi aziende</strong>", "Generato l&#39;8 maggio 2025",
                  "«Quando chiamo l&#39;assistenza", "Pagina"):
        assert words in html, words


def test_story_fragment_and_document(it_corpus: CodedCorpus) -> None:
    story = build_stories(it_corpus)[0]
    fragment = render_story_html(story, link_base="/q")
    assert "<html" not in fragment and story.title.split(":")[0] in fragment
    assert 'href="/q?unit=it1-u1"' in fragment and "1:05" in fragment
    assert "Bozza" in fragment  # drafts say so
    document = render_story_document(story)
    assert "<html lang=\"it\">" in document and "/q?" not in document
