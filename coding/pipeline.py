"""Code one interview transcript: units, questions, themes, sentiment, reasons-why, ratings.

Public API:
    TranscriptTurn(id, speaker, start, end, text, words=None)   one transcript segment
    GuideItem(id, text, kind="open", scale=None, scale_min=None, scale_max=None)
                                                                 a question of the guide
    CodedTranscript(language, units, question_matches, rating, rating_unit_id, ratings)
    code_transcript(turns, *, roles, guide, coder, language=None, embedder=None,
                    sentiment=None, doc_id="interview", progress=None) -> CodedTranscript
    find_spoken_ratings(turns, units, *, roles, guide, matches, lang) -> [SpokenRating]
    headline_rating(ratings, guide) -> SpokenRating | None
    is_codable(text, lang) -> bool

`roles` maps speaker labels to roles; the interviewer's turns are matched to the guide
and never coded; everyone else's turns are split into units. Units that are not
substantive (coding.units.is_substantive: greetings, backchannels, bare ratings,
questions back) get no code, no reason and a neutral sentiment. `coder` is anything with
`.predict(texts, lang) -> [[(code, confidence), ...], ...]`; when its predict takes a
`questions=` keyword it gets the guide question each unit answers (or None) as a prior.
`sentiment` defaults to the zero-shot prototype model on the same embedder; unit and
per-code sentiment (coding.sentiment.unit_sentiment, aspect_sentiment) get the rating
said in the same respondent turn, normalised to 0-10, as evidence.

Ratings: every rating said aloud is kept in `ratings` (see find_spoken_ratings), each
with its scale, question id, unit id and quote; `rating`/`rating_unit_id` is the
headline (the study's headline scale: NPS, then CSAT, then CES).
Progress is reported as ("coding", done, total) over the stages.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .language import detect_language, fold, normalise_language
from .ratings import extract_rating, is_rating_question, question_scale
from .reasons import extract_reason
from .schema import RATING_SCALES, CodeAssignment, QuestionMatch, SpokenRating, TurnText, Unit
from .units import content_words, is_substantive, units_from_turns

if TYPE_CHECKING:
    from .embeddings import Embedder
    from .sentiment import LinearSentiment, PrototypeSentiment

Progress = Callable[[str, int, int], None]  # progress(step, done, total)


class Coder(Protocol):
    """A theme coder: `.predict(texts, lang)` gives each text's [(code, confidence), ...]; SupervisedCoder's
    and ZeroShotCoder's also take `questions=` (a fake in a test may not)."""

    @property
    def predict(self) -> Callable[..., list[list[tuple[str, float]]]]: ...
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
    scale: str | None = None  # nps, csat, ces, or a custom scale with its range
    scale_min: float | None = None
    scale_max: float | None = None


@dataclass
class CodedTranscript:
    language: str
    units: list[Unit]
    question_matches: list[QuestionMatch] = field(default_factory=list)
    rating: SpokenRating | None = None
    rating_unit_id: str | None = None
    ratings: list[SpokenRating] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "units": [u.to_dict() for u in self.units],
            "question_matches": [m.to_dict() for m in self.question_matches],
            "rating": self.rating.to_dict() if self.rating else None,
            "rating_unit_id": self.rating_unit_id,
            "ratings": [r.to_dict() for r in self.ratings],
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


HEADLINE_ORDER = ("nps", "csat", "ces")


@dataclass
class _Answer:
    """The respondent's turns after one interviewer question (or from the start of the call)."""

    question_turns: list[int]
    question_text: str
    turns: list[int]


_BACKCHANNEL_WORDS = 4


def _is_backchannel(text: str) -> bool:
    """An interviewer's "Mm-hm.", "Okay.", "Right, go on.": no question, a few words at most."""
    text = text.strip()
    return not text.endswith("?") and len(re.findall(r"\w+", text)) <= _BACKCHANNEL_WORDS


def _answers(turns: Sequence[TranscriptTurn], roles: Mapping[str, str]) -> list[_Answer]:
    """The respondent's answers: consecutive interviewer turns make one question; an interviewer's
    backchannel in the middle of an answer ("Honestly, a" | "Mm-hm." | "4") does not end it."""
    answers: list[_Answer] = []
    current = _Answer([], "", [])
    for index, turn in enumerate(turns):
        text = turn.text or ""
        if roles.get(str(turn.speaker)) == "interviewer":
            if current.turns and _is_backchannel(text):
                continue
            if current.turns:
                answers.append(current)
                current = _Answer([], "", [])
            current.question_turns.append(index)
            current.question_text = f"{current.question_text} {text}".strip()
        elif text.strip():
            current.turns.append(index)
    if current.turns:
        answers.append(current)
    return answers


_WHY = re.compile(r"\b(?:perche|come mai|motivo|why|reason|what made)\b")


_SKIP = ("", None, None)  # a rating question whose scale cannot be read: no rating from its answer


def _guide_range(item: GuideItem) -> tuple[str, tuple[float, float] | None, str | None]:
    """(scale, custom range, question id) of a guide rating question; _SKIP when its range is unknown
    or not one a spoken number can give (within 0-10)."""
    scale = item.scale or "nps"
    if scale in RATING_SCALES:
        return scale, None, item.id
    low, high = item.scale_min, item.scale_max
    if low is None or high is None or not 0 <= float(low) < float(high) <= 10:
        return _SKIP
    return scale, (float(low), float(high)), item.id


def _rating_slot(answer: _Answer, asked: Mapping[int, str], guide: Mapping[str, GuideItem]
                 ) -> tuple[str, tuple[float, float] | None, str | None] | None:
    """(scale, custom range, question id) when `answer` follows a rating question, else None.

    A question matched to the guide is trusted: a rating question gives its scale, an open one
    none. An unmatched question counts when it is recognisably a rating question that names its
    scale ("Da 0 a 10...", "how satisfied..."), linked to the guide's only rating question on
    that scale if there is exactly one, or when the guide has a single rating question. A rating
    question whose scale cannot be told gives _SKIP: its answer is read for no rating at all.
    """
    if not answer.question_turns:
        return None
    question_id = next((asked[t] for t in reversed(answer.question_turns) if t in asked), None)
    if question_id is not None and question_id in guide:
        item = guide[question_id]
        if item.kind != "rating":
            return None
        return _guide_range(item)
    if not is_rating_question(answer.question_text) or _WHY.search(fold(answer.question_text)):
        return None  # "Perché questo punteggio?" asks for the reason, not the score
    rating_items = [g for g in guide.values() if g.kind == "rating"]
    scale = question_scale(answer.question_text)
    if scale is None:  # "Che voto ci darebbe?": only a one-rating guide says on which scale
        return _guide_range(rating_items[0]) if len(rating_items) == 1 else _SKIP
    same = [g for g in rating_items if (g.scale or "nps") == scale]
    return scale, None, same[0].id if len(same) == 1 else None


def _joined(answer: _Answer, turns: Sequence[TranscriptTurn]) -> tuple[str, list[tuple[int, int]]]:
    """The answer's turns joined by a space, with each turn's (turn index, offset) in the result."""
    parts, offsets, cursor = [], [], 0
    for index in answer.turns:
        text = turns[index].text or ""
        offsets.append((index, cursor))
        parts.append(text)
        cursor += len(text) + 1
    return " ".join(parts), offsets


def _place(rating: SpokenRating, joined: str, offsets: list[tuple[int, int]], units: list[Unit]
           ) -> SpokenRating | None:
    """Tie a rating found in the joined answer to the unit holding its number, offsets into that unit."""
    spans = []
    for turn_index, offset in offsets:
        for unit in units:
            if unit.turn_index == turn_index:
                spans.append((unit, offset + unit.start_char, offset + unit.end_char))
    if not spans:
        return None
    number_at = rating.end_char - 1
    holder = next((s for s in spans if s[1] <= number_at < s[2]), None)
    if holder is None:  # the number fell in trimmed punctuation: the nearest unit before it
        before = [s for s in spans if s[1] <= number_at]
        holder = before[-1] if before else spans[0]
    unit, unit_start, unit_end = holder
    first = next((s for s in spans if s[1] <= rating.start_char < s[2]), holder)
    start = max(rating.start_char, unit_start)
    end = min(rating.end_char, unit_end)
    if end <= start:
        start, end = unit_start, unit_end
    rating.text = joined[start:end]
    rating.start_char, rating.end_char = start - unit_start, end - unit_start
    rating.unit_id = unit.id
    rating.quote = joined[min(first[1], unit_start):unit_end]
    return rating


def find_spoken_ratings(turns: Sequence[TranscriptTurn], units: list[Unit], *, roles: Mapping[str, str],
                        guide: Sequence[GuideItem], matches: Sequence[QuestionMatch], lang: str
                        ) -> list[SpokenRating]:
    """Every rating said aloud in the interview, in order, one per rating question.

    After a rating question (matched to the guide, or unmatched but recognisably one), the
    respondent's consecutive turns are read joined, so a rating split across segments or turns
    ("Honestly, a" | "4") is found, on that question's scale; a bare number counts there.
    Elsewhere only a rating with a clear cue ("direi un sei", "nine out of ten") counts, on the
    first of the guide's scales (NPS, CSAT, CES; NPS without a guide) that no question has
    given yet, with no question id. Numbers that count something ("dieci anni") never count.
    """
    by_id = {g.id: g for g in guide}
    asked = {m.turn_index: m.question_id for m in matches}
    answers = _answers(turns, roles)
    found: list[tuple[int, SpokenRating]] = []
    seen_questions: set[str] = set()
    passing: list[tuple[int, str, list[tuple[int, int]]]] = []
    for order, answer in enumerate(answers):
        joined, offsets = _joined(answer, turns)
        slot = _rating_slot(answer, asked, by_id)
        if slot is None:
            passing.append((order, joined, offsets))
            continue
        scale, bounds, question_id = slot
        slot_key = question_id if question_id is not None else f"scale:{scale}"
        if not scale or slot_key in seen_questions:
            continue  # one rating per question (per scale when the question is not in the guide)
        spoken = extract_rating(joined, lang, scale, rating_question=True, question_id=question_id,
                                scale_range=bounds)
        if spoken is None:
            continue
        placed = _place(spoken, joined, offsets, units)
        if placed is not None:
            found.append((order, placed))
            seen_questions.add(slot_key)
    guide_scales = [s for s in HEADLINE_ORDER
                    if any(g.kind == "rating" and (g.scale or "nps") == s for g in guide)]
    open_scales = [s for s in (guide_scales or ["nps"]) if not any(r.scale == s for _, r in found)]
    for order, joined, offsets in passing:
        for scale in open_scales:
            spoken = extract_rating(joined, lang, scale, rating_question=False)
            placed = _place(spoken, joined, offsets, units) if spoken is not None else None
            if placed is not None:
                found.append((order, placed))
                open_scales.remove(scale)
                break
    return [rating for _, rating in sorted(found, key=lambda item: item[0])]


def headline_rating(ratings: Sequence[SpokenRating], guide: Sequence[GuideItem]) -> SpokenRating | None:
    """The interview's headline rating: on the study's headline scale (NPS when the guide asks
    for it, then CSAT, then CES); without rating questions, the first rating found in that order.
    A study whose headline scale was not heard gets None rather than a rating on another scale."""
    scales = {g.scale or "nps" for g in guide if g.kind == "rating"}
    headline = next((s for s in HEADLINE_ORDER if s in scales), None)
    if headline is None and scales:
        headline = min(scales)
    for scale in [headline] if headline else HEADLINE_ORDER:
        rating = next((r for r in ratings if r.scale == scale), None)
        if rating is not None:
            return rating
    return None


MIN_CONTENT_WORDS = 2


def is_codable(text: str, lang: str) -> bool:
    """Whether a unit may carry a theme: it is substantive (coding.units.is_substantive) and says
    enough to tell a theme, at least `MIN_CONTENT_WORDS` content words.

    Small talk, backchannels, bare ratings ("Un otto.") and questions back to the interviewer
    stay in the transcript (a bare rating keeps its rating) but get no code and a neutral
    sentiment. A one-word verdict ("Mostly good.", "Gli avvisi.") is an opinion, so it keeps its
    sentiment and reaches the review queue, but gets no theme from one word: a wrong theme costs
    more than a missing one, and the analyst can add it. (In `code_transcript`, a zero-shot coder
    may still give one-word answers the theme their word names: "Mostly the support.")
    """
    return is_substantive(text, lang) and len(content_words(text, lang)) >= MIN_CONTENT_WORDS


_IMPROVEMENT_QUESTION = re.compile(
    r"\b(improve|improvement|better|change|fix|wish|migliora\w*|cambia\w*|meglio|correggere|vorrebbe)\b")


def asks_for_improvement(question: str | None) -> bool:
    """Whether a guide question asks what to improve or change ("What should we improve first?",
    "Cosa dovremmo migliorare?"): an answer to it names a problem, not a delight."""
    from .language import fold

    return question is not None and _IMPROVEMENT_QUESTION.search(fold(question)) is not None


def _answer_polarity(polarity: str, improvement: bool) -> str:
    """A code's polarity, with praise set to neutral in an answer to an improvement question."""
    return "neutral" if improvement and polarity == "positive" else polarity


def _accepts(func: Callable[..., object], keyword: str) -> bool:
    """Whether `func` takes `keyword` (checked once per call site; fakes in tests may not)."""
    try:
        parameters = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False
    return keyword in parameters or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())


def _normalised(rating: SpokenRating) -> float:
    span = rating.scale_max - rating.scale_min
    return round(10.0 * (rating.value - rating.scale_min) / span, 4) if span > 0 else 5.0


def _predict_codes(coder: Coder, texts: list[str], lang: str, questions: list[str | None]
                   ) -> list[list[tuple[str, float]]]:
    """The coder's codes, with each text's guide question as its prior when the coder takes one."""
    if not texts:
        return []
    if _accepts(coder.predict, "questions"):
        return coder.predict(texts, lang, questions=questions)
    return coder.predict(texts, lang)


def code_transcript(turns: Sequence[TranscriptTurn], *, roles: Mapping[str, str], guide: Sequence[GuideItem],
                    coder: Coder, language: str | None = None, embedder: Embedder | None = None,
                    sentiment: PrototypeSentiment | LinearSentiment | None = None,
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
    # Ratings first: a rating said in a turn informs the sentiment of that turn's units.
    ratings = find_spoken_ratings(turns, units, roles=roles, guide=guide, matches=matches, lang=lang)
    by_unit: dict[str, SpokenRating] = {}
    for rating in ratings:
        by_unit.setdefault(rating.unit_id or "", rating)
    turn_rating: dict[int | None, float] = {}
    for unit in units:
        if unit.id in by_unit:
            turn_rating.setdefault(unit.turn_index, _normalised(by_unit[unit.id]))
    guide_text = {g.id: g.text for g in guide}
    said = [index for index, unit in enumerate(units) if is_substantive(unit.text, lang)]
    substantive = set(said)
    # One content word tells a theme only when it names one ("Mostly the support.", "Le consegne."),
    # which a coder that reads the codebook's own words can check (ZeroShotCoder.codes_short_answers).
    fewest = 1 if getattr(coder, "codes_short_answers", False) else MIN_CONTENT_WORDS
    codable = [index for index in said if len(content_words(units[index].text, lang)) >= fewest]
    texts = [u.text for u in units]
    predictions: list[list[tuple[str, float]]] = [[] for _ in units]
    found = _predict_codes(coder, [texts[i] for i in codable], lang,
                           [guide_text.get(units[i].question_id or "") for i in codable])
    for index, codes in zip(codable, found, strict=True):
        predictions[index] = list(codes)
    report("coding", 3, STAGES)
    from .sentiment import PrototypeSentiment, aspect_sentiment, unit_sentiment

    model = sentiment or PrototypeSentiment(embedder=embedder)
    overall: list[tuple[str, float]] = [("neutral", 0.0)] * len(units)
    if said:
        found_sentiment = unit_sentiment([texts[i] for i in said], model=model, lang=lang, embedder=embedder,
                                         turn_ratings=[turn_rating.get(units[i].turn_index) for i in said])
        for index, polarity in zip(said, found_sentiment, strict=True):
            overall[index] = polarity
    per_code = aspect_sentiment(texts, [[code for code, _ in p] for p in predictions], model=model, lang=lang,
                                embedder=embedder, turn_ratings=[turn_rating.get(u.turn_index) for u in units])
    report("coding", 4, STAGES)
    for index, unit in enumerate(units):
        unit.sentiment, score = overall[index]
        unit.sentiment_score = round(float(score), 4)
        polarities = per_code[index]
        improvement = asks_for_improvement(guide_text.get(unit.question_id or ""))
        if improvement and unit.sentiment == "positive":
            # "What should we improve?" — "La puntualità delle consegne.": the words may be
            # positive, the answer is not praise; neutral rather than a delight it never was
            unit.sentiment, unit.sentiment_score = "neutral", 0.0
        unit.codes = [CodeAssignment(code=code, confidence=round(float(min(max(conf, 0.0), 1.0)), 4),
                                     sentiment=_answer_polarity(polarities.get(code, (unit.sentiment, 0.0))[0],
                                                                improvement),
                                     source="model")
                      for code, conf in predictions[index]]
        following = units[index + 1].text if index + 1 < len(units) and \
            units[index + 1].turn_index == unit.turn_index else None
        unit.reason = extract_reason(unit.text, lang, next_text=following) if index in substantive else None
        unit.rating = by_unit.get(unit.id)
    report("coding", 5, STAGES)
    headline = headline_rating(ratings, guide)
    report("coding", STAGES, STAGES)
    return CodedTranscript(language=lang, units=units, question_matches=matches, rating=headline,
                           rating_unit_id=headline.unit_id if headline else None, ratings=ratings)
