"""The synthetic corpus: deterministic, realistic, ratings that follow the themes."""

from __future__ import annotations

import statistics

from storytelling import synthetic_corpus


def test_same_seed_same_corpus() -> None:
    assert synthetic_corpus(30, seed=5) == synthetic_corpus(30, seed=5)
    assert synthetic_corpus(30, seed=5) != synthetic_corpus(30, seed=6)


def test_shape_and_metadata() -> None:
    corpus = synthetic_corpus(200)
    assert len(corpus.interviews) == 200
    assert len({i.account for i in corpus.interviews}) < 200  # some accounts twice
    months = {i.date.strftime("%Y-%m") for i in corpus.interviews if i.date}
    assert len(months) >= 5
    keys = {"segment", "region", "product_line", "journey_stage", "interviewer"}
    assert all(keys <= set(i.metadata) for i in corpus.interviews)
    assert all(c.path in corpus.code_names for i in corpus.interviews for u in i.units
               for c in u.codes)


def test_ratings_follow_the_themes() -> None:
    corpus = synthetic_corpus(200)

    def mean_rating(path: str, present: bool) -> float:
        return statistics.fmean(
            i.rating for i in corpus.interviews if i.rating is not None
            and any(c.path == path for u in i.units for c in u.codes) == present)

    late = "delivery/late-shipments"
    assert mean_rating(late, True) < mean_rating(late, False) - 1


def test_italian_corpus_speaks_italian() -> None:
    corpus = synthetic_corpus(40, language="it")
    text = " ".join(u.text for i in corpus.interviews for u in i.units)
    assert "perché" in text and "qualità" in text
    assert corpus.study.language == "it"
    assert corpus.code_names["delivery/late-shipments"] == "Ritardi nelle consegne"
