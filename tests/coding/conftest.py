"""Fixtures shared by the coding tests."""

import pytest
from embedding_fakes import FakeEmbedder

from coding import embeddings


@pytest.fixture
def fresh_cache() -> None:
    """An empty in-process embedding cache, so one test's vectors never leak into another's."""
    embeddings.clear_cache()


@pytest.fixture
def fake() -> FakeEmbedder:
    return FakeEmbedder()
