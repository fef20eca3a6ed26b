"""The B2B theme set (tests/coding/data/b2b_themes.csv) and how benchmarks._b2b_themes scores it."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from benchmarks._b2b_themes import Gold, load_gold, score
from coding.codebook import starter_codebook

DATA = Path(__file__).parent / "data"
POLARITIES = {"positive", "negative", "neutral", "mixed"}


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_answer_has_theme_labels_from_the_starter_codebook() -> None:
    answers = {r["id"]: r for r in _rows("b2b_sentiment.csv")}
    gold = load_gold()
    assert set(gold) == set(answers)
    themes = {code.path for code in starter_codebook().codes if "/" not in code.path}
    for answer_id, labels in gold.items():
        for alternatives, polarity in labels.slots:
            assert alternatives <= themes, answer_id
            assert polarity in POLARITIES, answer_id
        assert labels.optional <= themes, answer_id
    # the Italian answers translate the English ones: id i and i + 60 carry the same labels
    for i in range(1, 61):
        assert gold[str(i)] == gold[str(i + 60)], i
    assert sum(1 for g in gold.values() if not g.slots) >= 20  # answers that must stay uncoded


def test_scoring_counts_alternatives_optional_themes_and_polarity() -> None:
    gold = {
        "1": Gold([(frozenset({"support", "account-management"}), "positive")], frozenset()),
        "2": Gold([(frozenset({"delivery"}), "positive"), (frozenset({"invoicing"}), "negative")],
                  frozenset()),
        "3": Gold([], frozenset({"account-management"})),
        "4": Gold([], frozenset()),
    }
    rows = [{"id": key} for key in gold]
    predicted = {"1": {"account-management": "positive"},       # an accepted alternative
                 "2": {"delivery": "negative", "pricing": "negative"},  # wrong polarity, extra theme
                 "3": {"account-management": "neutral"},          # optional: no error
                 "4": {"support": "neutral"}}                     # should have stayed uncoded
    result = score(rows, predicted, gold)
    assert result["found"] == 2 and result["slots"] == 3
    assert result["precision"] == pytest.approx(2 / 4)
    assert result["recall"] == pytest.approx(2 / 3)
    assert result["polarity"] == pytest.approx(1 / 2)
    assert result["uncoded"] == pytest.approx(1 / 2)
