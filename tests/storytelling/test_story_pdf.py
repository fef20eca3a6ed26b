"""The PDF of one English customer story (one WeasyPrint render for the module)."""

from __future__ import annotations

import pytest
from pdf_text import pdf_pages, squash
from storytelling_corpora import english_corpus

from storytelling import build_story
from storytelling.render import render_story_pdf
from storytelling.schema import Story


@pytest.fixture(scope="module")
def story_and_pages(tmp_path_factory: pytest.TempPathFactory) -> tuple[Story, list[str]]:
    corpus = english_corpus()
    story = build_story(corpus.interviews[0], corpus.study, corpus.code_names)
    story.status = "approved"
    out = render_story_pdf(story, tmp_path_factory.mktemp("pdf") / "story.pdf")
    return story, pdf_pages(out)


def test_story_pdf_tells_the_story(story_and_pages: tuple[Story, list[str]]) -> None:
    story, pages = story_and_pages
    text = squash(" ".join(pages))
    assert len(pages) == 1
    assert squash(story.title) in text
    assert "CUSTOMER STORY" in text and "DRAFT" not in text.upper()
    assert "3/10 · detractor" in text
    assert "Three times last month the pallets arrived two days late" in text
    assert "Maria Lopez · 1:01" in text
    assert "Logistics — Address: “the trucks are always booked at the last minute” (1 account)" in text
    assert "Page 1 of 1" in text


def test_story_pdf_refuses_a_missing_folder(tmp_path) -> None:
    from storytelling.errors import RenderError

    corpus = english_corpus()
    story = build_story(corpus.interviews[0], corpus.study)
    with pytest.raises(RenderError, match="does not exist"):
        render_story_pdf(story, tmp_path / "missing" / "story.pdf")
