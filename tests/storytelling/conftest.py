"""Fixtures for the storytelling tests: the hand-made corpora of storytelling_corpora.py."""

from __future__ import annotations

import pytest
from storytelling_corpora import english_corpus, italian_corpus

from storytelling.schema import CodedCorpus


@pytest.fixture
def it_corpus() -> CodedCorpus:
    return italian_corpus()


@pytest.fixture
def en_corpus() -> CodedCorpus:
    return english_corpus()
