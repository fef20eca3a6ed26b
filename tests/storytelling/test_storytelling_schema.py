"""Storytelling values: JSON round trips and validation messages that say what to do."""

from __future__ import annotations

import json

import pytest
from storytelling_corpora import english_corpus, italian_corpus

from storytelling import build_report, build_stories, synthetic_corpus
from storytelling.errors import InvalidCorpus
from storytelling.schema import (
    CodedCorpus,
    InterviewData,
    Quote,
    Report,
    Story,
    StudyInfo,
    UnitCode,
)


@pytest.mark.parametrize("make", [english_corpus, italian_corpus,
                                  lambda: synthetic_corpus(12, seed=3)])
def test_corpus_story_and_report_survive_json(make) -> None:
    corpus = make()
    assert CodedCorpus.from_dict(json.loads(json.dumps(corpus.to_dict()))) == corpus
    story = build_stories(corpus)[0]
    assert Story.from_dict(json.loads(json.dumps(story.to_dict()))) == story
    report = build_report(corpus, stories=[story])
    assert Report.from_dict(json.loads(json.dumps(report.to_dict()))) == report


def test_unknown_language_says_which_are_supported() -> None:
    with pytest.raises(InvalidCorpus, match="use one of it, en"):
        StudyInfo(id="s", title="t", language="fr")


def test_unknown_scale_and_sentiment_are_refused() -> None:
    with pytest.raises(InvalidCorpus, match="rating scale"):
        StudyInfo(id="s", title="t", rating_scale="stars")
    with pytest.raises(InvalidCorpus, match="code sentiment"):
        UnitCode(path="delivery", sentiment="angry")


def test_duplicate_interview_ids_are_refused() -> None:
    study = StudyInfo(id="s", title="t")
    with pytest.raises(InvalidCorpus, match="appears twice"):
        CodedCorpus(study=study, interviews=[InterviewData(id="a", account="x"),
                                             InterviewData(id="a", account="y")])


def test_quote_timestamp() -> None:
    assert Quote(unit_id="u", interview_id="i", text="x", start=61.9).timestamp == "1:01"
    assert Quote(unit_id="u", interview_id="i", text="x", start=3725).timestamp == "1:02:05"
    assert Quote(unit_id="u", interview_id="i", text="x").timestamp == ""


def test_analyst_codes_count_as_confirmed() -> None:
    assert UnitCode(path="a", assigned_by="analyst").is_confirmed
    assert UnitCode(path="a", confirmed=True).is_confirmed
    assert not UnitCode(path="a").is_confirmed
