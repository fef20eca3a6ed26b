"""Code one interview transcript: units, questions, themes, sentiment, reasons-why, rating.

Public API:
    TranscriptTurn(id, speaker, start, end, text, words=None)   one transcript segment
    GuideItem(id, text, kind="open", scale=None)                 a question of the guide
    CodedTranscript(language, units, question_matches, rating, rating_unit_id)
    code_transcript(turns, *, roles, guide, coder, language=None, embedder=None,
                    sentiment=None, doc_id="interview", progress=None) -> CodedTranscript

`roles` maps speaker labels to roles; the interviewer's turns are matched to the guide
and never coded; everyone else's turns are split into units. `coder` is anything with
`.predict(texts, lang) -> [[(code, confidence), ...], ...]` (ZeroShotCoder or a
trained SupervisedCoder). `sentiment` defaults to the zero-shot prototype model on the
same embedder. The rating comes from the answers to the guide's rating question (its
scale: NPS, CSAT or CES); when no question matched, from the first answer that states a
rating unambiguously (a scale or a rating verb), on the guide's first rating scale.
Progress is reported as ("coding", done, total) over the stages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .language import detect_language, normalise_language
from .ratings import extract_rating
from .reasons import extract_reason
from .schema import CodeAssignment, QuestionMatch, SpokenRating, TurnText, Unit
from .units import units_from_turns

Progress = Any  # progress(step, done, total)
STAGES = 6


@dataclass
class TranscriptTurn:
    id: str
    speaker: str | None
    start: float | None
    end: float | None
    text: str
    words: Any = None


@dataclass
class GuideItem:
    id: str
    text: str
    kind: str = "open"  # open or rating
    scale: str | None = None  # nps, csat, ces


@dataclass
class CodedTranscript:
    language: str
    units: list[Unit]
    question_matches: list[QuestionMatch] = field(default_factory=list)
    rating: SpokenRating | None = None
    rating_unit_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "units": [u.to_dict() for u in self.units],
            "question_matches": [m.to_dict() for m in self.question_matches],
            "rating": self.rating.to_dict() if self.rating else None,
            "rating_unit_id": self.rating_unit_id,
        }


def _language(turns: Sequence[TranscriptTurn], language: str | None) -> str:
    if language and language not in ("auto", ""):
        return normalise_language(language)
    return detect_language(" ".join(t.text for t in turns)[:5000])


def _match_questions(turn_texts: list[TurnText], roles: Mapping[str, str], guide: Sequence[GuideItem],
                     lang: str) -> list[QuestionMatch]:
    from .questions import match_questions

    if not guide or not any(role == "interviewer" for role in roles.values()):
        return []
    return match_questions(turn_texts, [(g.id, g.text) for g in guide], lang, roles=dict(roles))


def _rating(units: list[Unit], guide: Sequence[GuideItem], lang: str) -> tuple[SpokenRating | None, str | None]:
    rating_questions = {g.id: (g.scale or "nps") for g in guide
                        if g.kind == "rating" and (g.scale or "nps") in ("nps", "csat", "ces")}
    # The headline rating: NPS when the guide asks for it, then CSAT, then CES.
    for scale in sorted(set(rating_questions.values()), key=("nps", "csat", "ces").index):
        for unit in units:
            if rating_questions.get(unit.question_id or "") != scale:
                continue
            spoken = extract_rating(unit.text, lang, scale, rating_question=True, question_id=unit.question_id)
            if spoken is not None:
                return spoken, unit.id
    scale = next(iter(rating_questions.values()), "nps")
    for unit in units:
        spoken = extract_rating(unit.text, lang, scale, rating_question=False)
        if spoken is not None:
            return spoken, unit.id
    return None, None


MIN_CONTENT_WORDS = 2


def is_codable(text: str, lang: str) -> bool:
    """Whether a unit says enough to carry a theme: small talk ("Morning.", "Yes, go ahead.") does not.

    At least three words, two of them content words. Such units stay in the transcript and
    can still hold the rating ("Un otto."), but get no code and a neutral sentiment.
    """
    from .language import fold, stop_words

    words = [w for w in re.findall(r"\w+", fold(text)) if not w.isdigit()]
    content = [w for w in words if w not in stop_words(lang) and len(w) > 2]
    return len(words) >= 3 and len(content) >= MIN_CONTENT_WORDS


def code_transcript(turns: Sequence[TranscriptTurn], *, roles: Mapping[str, str], guide: Sequence[GuideItem],
                    coder: Any, language: str | None = None, embedder: Any = None, sentiment: Any = None,
                    doc_id: str = "interview", progress: Progress | None = None) -> CodedTranscript:
    report = progress or (lambda step, done, total: None)
    lang = _language(turns, language)
    turn_texts = [TurnText(doc_id, t.id, t.speaker, t.start, t.end, t.text, t.words) for t in turns]
    report("coding", 0, STAGES)
    units = units_from_turns(turn_texts, lang, roles=dict(roles))
    report("coding", 1, STAGES)
    matches = _match_questions(turn_texts, roles, guide, lang)
    from .questions import assign_questions

    assign_questions(units, matches)
    report("coding", 2, STAGES)
    if not units:
        return CodedTranscript(language=lang, units=[], question_matches=matches)
    codable = [index for index, unit in enumerate(units) if is_codable(unit.text, lang)]
    texts = [u.text for u in units]
    predictions: list[list[tuple[str, float]]] = [[] for _ in units]
    if codable:
        for index, found in zip(codable, coder.predict([texts[i] for i in codable], lang)):
            predictions[index] = found
    report("coding", 3, STAGES)
    from .sentiment import PrototypeSentiment, aspect_sentiment

    model = sentiment or PrototypeSentiment(embedder=embedder)
    overall = [("neutral", 0.0)] * len(units)
    if codable:
        for index, found in zip(codable, model.predict([texts[i] for i in codable])):
            overall[index] = found
    per_code = aspect_sentiment(texts, [[code for code, _ in p] for p in predictions], model=model, lang=lang,
                                embedder=embedder)
    report("coding", 4, STAGES)
    for index, unit in enumerate(units):
        unit.sentiment, score = overall[index]
        unit.sentiment_score = round(float(score), 4)
        polarities = per_code[index]
        unit.codes = [CodeAssignment(code=code, confidence=round(float(min(max(conf, 0.0), 1.0)), 4),
                                     sentiment=polarities.get(code, (unit.sentiment, 0.0))[0], source="model")
                      for code, conf in predictions[index]]
        following = units[index + 1].text if index + 1 < len(units) and \
            units[index + 1].turn_index == unit.turn_index else None
        unit.reason = extract_reason(unit.text, lang, next_text=following)
    report("coding", 5, STAGES)
    rating, rating_unit = _rating(units, guide, lang)
    for unit in units:
        if unit.id == rating_unit:
            unit.rating = rating
    report("coding", STAGES, STAGES)
    return CodedTranscript(language=lang, units=units, question_matches=matches, rating=rating,
                           rating_unit_id=rating_unit)
