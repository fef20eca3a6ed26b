"""The PDF report of a small Italian study: sections, numbers, quotes, page numbers.

One WeasyPrint render for the whole module (it takes a couple of seconds).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from pdf_text import pdf_pages, squash
from storytelling_corpora import italian_corpus

from storytelling import build_report, build_stories
from storytelling.render import render_report_pdf


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    corpus = italian_corpus()
    stories = build_stories(corpus)
    stories[0].status = "approved"
    report = build_report(corpus, stories=stories, agreement={"Alfa di Krippendorff": 0.71},
                          loop_status={"it1": "contacted"}, generated_on=dt.date(2025, 5, 8))
    out = render_report_pdf(report, tmp_path_factory.mktemp("pdf") / "report.pdf")
    assert isinstance(out, Path) and out.stat().st_size > 10_000
    return pdf_pages(out)


def test_cover_and_contents(pages: list[str]) -> None:
    cover = squash(pages[0])
    assert "Clienti industriali: indagine di primavera" in cover
    assert "Generato l'8 maggio 2025" in cover
    assert "Tutte le interviste (nessun filtro)" in cover
    contents = squash(pages[1])
    assert "Indice" in contents
    for title in ("Sintesi", "Valutazioni e motivazioni", "Temi e sentiment",
                  "Clienti da ricontattare", "Nota metodologica"):
        assert title in contents



@pytest.mark.skipif(shutil.which("pdftotext") is None,
                    reason="needs poppler's pdftotext -layout (make system-deps)")
def test_contents_page_numbers_point_at_the_sections(pages: list[str]) -> None:
    lines = [line for line in pages[1].splitlines() if "...." in line]
    assert len(lines) == 9
    for line in lines:
        title = line.split(".", 1)[1].strip().rstrip(". 0123456789").strip()
        number = int(line.rsplit(" ", 1)[1].strip("."))
        page = squash(pages[number - 1])
        assert title in page, (title, number)


def test_page_numbers_in_the_footer(pages: list[str]) -> None:
    total = len(pages)
    assert f"Pagina 3 di {total}" in squash(pages[2])
    assert "Pagina" not in pages[0]  # the cover has no footer


def test_sections_numbers_and_quotes(pages: list[str]) -> None:
    text = squash(" ".join(pages))
    for words in ("Sintesi", "Principali criticità", "Ritardi nelle consegne",
                  "Qualità del prodotto", "Reattività dell'assistenza", "Promotori", "Detrattori",
                  "Cosa determina la valutazione", "Storie dei clienti", "Rossi Imballaggi S.r.l.",
                  "Nota metodologica", "Alfa di Krippendorff", "0,71", "Contattato", "Logistica"):
        assert words in text, words
    # NPS of ratings 4, 9, 7: one promoter, one detractor -> 0; groups 33% each
    assert "33%" in text
    assert "perché i camion vengono prenotati all'ultimo momento" in text
    assert "1:05" in text  # the quote's timestamp
    assert "Guardi" not in text


def test_empty_states_are_said_in_italian(pages: list[str]) -> None:
    text = squash(" ".join(pages))
    assert "L'analisi dei driver richiede almeno 4 interviste" in text
