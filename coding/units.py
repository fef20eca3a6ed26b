"""Answers and transcript turns cut into units: one opinion each, with exact offsets.

- ``split_units(text, lang=None, *, max_words=40) -> list[UnitSpan]``. A unit is a
  sentence, or a clause of a sentence that carries two opinions joined by a contrast
  ("Il prodotto è ottimo, ma le consegne arrivano tardi" gives two units). Every unit
  satisfies ``text[unit.start_char:unit.end_char] == unit.text``; units are stripped of
  spaces, of the commas and semicolons that joined them and of a conjunction left
  dangling at their end ("I love the food here, and"), and units made only of
  hesitations ("ehm", "mh") are dropped. `lang` None detects the language.
- ``units_from_turns(turns, lang=None, *, roles=None, max_words=40) -> list[Unit]``:
  the units of each respondent turn of a transcript (see ``TurnText``), with the turn's
  document, segment id, speaker and times. A unit's times come from the turn's timed
  words when they are given, else they are interpolated from character positions.
  With `roles` (speaker -> role, as transcription.roles.detect_roles returns) the
  interviewer's turns are skipped; without it every turn is split.

How sentences are cut:

1. Sentence boundaries come from pysbd (coding.language.sentence_offsets), in both
   languages: deterministic rules that know "sig.", "S.p.A.", "e.g." and decimals.
2. Speech recognition often returns long runs without punctuation, Italian especially.
   A sentence longer than `max_words` words is cut at the best available point near
   its middle, in this order of preference: a semicolon or colon, a discourse marker
   that opens a new point ("comunque", "poi", "per quanto riguarda", "anyway", "as for",
   "also"...), a comma, a plain conjunction ("e", "and", "quando", "when"), and last of
   all the middle word boundary. Each side keeps at least 5 words; the cut repeats
   until every piece fits. A run without any punctuation is also cut, whatever its
   length, before a marker that opens a new topic ("per quanto riguarda", "comunque",
   "inoltre", "anyway", "as for", "apart from that"...), again keeping 5 words a side.
3. A contrast splits a sentence in two when both sides are long enough to be opinions
   (at least 3 words each, beside the marker, with at least one content word):
   conjunctions ("ma", "però", "tuttavia", "eppure", "but", "whereas", "yet"...) split
   just before themselves; movable adverbs ("invece", "però", "tuttavia", "however",
   "on the other hand") split at the comma before their clause when there is one
   ("Il prodotto è ottimo, il supporto invece è lento"); a leading concessive clause
   ("Anche se costa molto, funziona bene", "Although...") splits at its comma.
   "Non solo ... ma anche" and "not only ... but also" never split. "mentre" and
   "while" split only after a comma (otherwise they are usually temporal).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .language import detect_language, fold, normalise_language, sentence_offsets
from .schema import TurnText, Unit, UnitSpan

MIN_CLAUSE_WORDS = 3
"""Words each side of a contrast needs (beside the marker) for the sentence to split."""
MIN_PIECE_WORDS = 5
"""Words each piece of an over-long unpunctuated sentence keeps at least."""

_WORD = re.compile(r"\w+(?:'\w+)*")
_FILLERS = frozenset(
    "eh ehm ehh em emm mh mhm mmh mm mmm uhm um umm uh uhh ah hmm hm hmmm".split()  # noqa: SIM905
)
# Short function words: a side made only of these is no opinion ("ma non so").
_FUNCTION = frozenset(
    """
    il lo la i gli le un uno una di a da in con su per tra fra e ed o ma che non si ci mi
    ti vi ne lo sono è era ho ha hai the a an of to in on at for with by and or but not no
    is are was were be it this that i you we they he she so as do does did also just
    """.split()  # noqa: SIM905
)


def _alternation(phrases: Iterable[str]) -> str:
    parts = sorted({p.strip() for p in phrases}, key=len, reverse=True)
    return "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in parts)


def _marker_regex(phrases: str | Iterable[str]) -> re.Pattern[str]:
    """A regex matching any of `phrases` ("a|b c|d" or a list) as whole words."""
    if isinstance(phrases, str):
        phrases = phrases.split("|")
    return re.compile(rf"(?<![\w']){'(?:' + _alternation(phrases) + ')'}(?![\w'])")


# Matched against fold(text): lower case, no accents, straight apostrophes.
_CONJUNCTIONS = _marker_regex(
    """ma|pero|tuttavia|eppure|sebbene|benche|nonostante|anche se|bensi|
    but|whereas|although|even though|yet|nevertheless|nonetheless|though"""
)
_COMMA_ONLY = _marker_regex(["mentre", "while", "yet", "though"])
_MOVABLE = _marker_regex(
    """invece|pero|tuttavia|dall'altra parte|d'altra parte|dall'altro lato|
    however|on the other hand|instead|nevertheless"""
)
_CONCESSIVE = _marker_regex(
    """anche se|sebbene|benche|nonostante|malgrado|although|even though|though|
    even if|while|despite|mentre"""
)
_NOT_ONLY = _marker_regex(["non solo", "non soltanto", "not only", "not just"])
_ALSO_AFTER = re.compile(r"\s+(?:anche|also|pure)\b")
_BUT_EXCEPTIONS = re.compile(r"(?:anything|nothing|all|everything|everyone|nobody)\s+$")
_DISCOURSE = _marker_regex(
    """comunque|allora|poi|e poi|pero|invece|inoltre|tra l'altro|in piu|
    per quanto riguarda|per quanto concerne|per il resto|d'altra parte|dall'altra parte|
    insomma|in generale|un'altra cosa|l'altra cosa|altra cosa|
    anyway|also|and then|then|however|as for|in terms of|apart from that|other than that|
    besides|plus|on the other hand|overall|another thing|the other thing|but|ma"""
)
# Markers that open a new topic; they cut unpunctuated runs even below max_words.
_TOPIC_SHIFT = _marker_regex(
    """comunque|inoltre|tra l'altro|per quanto riguarda|per quanto concerne|per il resto|
    un'altra cosa|l'altra cosa|d'altra parte|dall'altra parte|
    anyway|as for|in terms of|apart from that|other than that|another thing|
    the other thing|on the other hand"""
)
_PLAIN_CONJUNCTIONS = _marker_regex(["e", "ed", "and", "quando", "when", "dove", "where"])
_CLAUSE_PUNCT = re.compile(r"[;:]")
_COMMA = re.compile(r",")
_TRIM = " \t\r\n,;:-–—"


def _words(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [m.span() for m in _WORD.finditer(text, start, end)]


_DANGLING = re.compile(r"(?:^|[\s,;:])(?:e|ed|o|and|or)$", re.IGNORECASE)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Strip spaces, joining punctuation and a dangling conjunction ("…, and")."""
    while True:
        while start < end and text[start] in _TRIM:
            start += 1
        while end > start and text[end - 1] in _TRIM:
            end -= 1
        dangling = _DANGLING.search(text, start, end)
        if dangling is None or dangling.start() <= start:
            return start, end
        end = dangling.start()


def _opinion_sized(folded: str, start: int, end: int, skip: int = 0) -> bool:
    """At least MIN_CLAUSE_WORDS words after skipping `skip`, one of them a content word."""
    words = [folded[a:b] for a, b in _words(folded, start, end)][skip:]
    return len(words) >= MIN_CLAUSE_WORDS and any(
        len(w) > 2 and w not in _FUNCTION and w not in _FILLERS for w in words
    )


def _contrast_cut(text: str, folded: str, start: int, end: int) -> int | None:
    """Where the clause text[start:end] should split for a contrast, or None."""
    if _NOT_ONLY.search(folded, start, end):
        return None
    first_words = _words(folded, start, end)
    if not first_words:
        return None
    # "Anche se costa molto, funziona bene": a leading concessive splits at its comma.
    lead = _CONCESSIVE.match(folded, first_words[0][0], end)
    if lead:
        comma = folded.find(",", lead.end(), end)
        skip = len(lead.group().split())
        if (
            comma > 0
            and _opinion_sized(folded, start, comma, skip=skip)
            and _opinion_sized(folded, comma + 1, end)
        ):
            return comma + 1
    candidates: list[int] = []
    for match in _CONJUNCTIONS.finditer(folded, start, end):
        if match.start() <= first_words[0][0]:
            continue
        if _ALSO_AFTER.match(folded, match.end()) or _BUT_EXCEPTIONS.search(
            folded, start, match.start()
        ):
            continue
        if _COMMA_ONLY.fullmatch(match.group()) and not folded[
            start : match.start()
        ].rstrip().endswith(","):
            continue
        candidates.append(match.start())
    for match in _COMMA_ONLY.finditer(folded, start, end):
        if folded[start : match.start()].rstrip().endswith(","):
            candidates.append(match.start())
    for match in _MOVABLE.finditer(folded, start, end):
        if match.start() <= first_words[0][0]:
            continue
        # "…, il supporto invece è lento": the clause starts at the comma before it.
        comma = max(
            folded.rfind(",", start, match.start()), folded.rfind(";", start, match.start())
        )
        if comma >= 0 and len(_words(folded, comma, match.start())) <= 4:
            candidates.append(comma + 1)
        else:
            candidates.append(match.start())
    for cut in sorted(set(candidates)):
        marker = (
            _CONJUNCTIONS.match(folded, cut)
            or _COMMA_ONLY.match(folded, cut)
            or _MOVABLE.match(folded, cut)
        )
        skip = len(marker.group().split()) if marker else 0
        if _opinion_sized(folded, start, cut) and _opinion_sized(folded, cut, end, skip=skip):
            return cut
    return None


def _split_contrasts(text: str, folded: str, start: int, end: int) -> list[tuple[int, int]]:
    start, end = _trim(text, start, end)
    if start >= end:
        return []
    cut = _contrast_cut(text, folded, start, end)
    if cut is None:
        return [(start, end)]
    return _split_contrasts(text, folded, start, cut) + _split_contrasts(text, folded, cut, end)


def _long_cut(text: str, folded: str, start: int, end: int) -> int | None:
    """The best point near the middle to cut an over-long sentence, or None."""
    words = _words(folded, start, end)
    if len(words) < 2 * MIN_PIECE_WORDS:
        return None
    lo, hi = words[MIN_PIECE_WORDS][0], words[-MIN_PIECE_WORDS][0]
    middle = (start + end) / 2

    def closest(points: list[int]) -> int | None:
        points = [p for p in points if lo <= p <= hi]
        return min(points, key=lambda p: (abs(p - middle), p)) if points else None

    for found in (
        [m.end() for m in _CLAUSE_PUNCT.finditer(folded, start, end)],
        [m.start() for m in _DISCOURSE.finditer(folded, start, end)],
        [m.end() for m in _COMMA.finditer(folded, start, end)],
        [m.start() for m in _PLAIN_CONJUNCTIONS.finditer(folded, start, end)],
    ):
        # A punctuation cut lands on the mark's end; step to the next word.
        points = []
        for p in found:
            nxt = next((w[0] for w in words if w[0] >= p), None)
            if nxt is not None:
                points.append(nxt)
        cut = closest(points)
        if cut is not None:
            return cut
    return words[len(words) // 2][0]


def _topic_cut(folded: str, start: int, end: int) -> int | None:
    """A topic-shift marker inside an unpunctuated run, leaving 5 words each side."""
    if re.search(r"[,;:.!?…]", folded[start:end].rstrip(".!?…")):
        return None
    words = _words(folded, start, end)
    if len(words) < 2 * MIN_PIECE_WORDS:
        return None
    lo, hi = words[MIN_PIECE_WORDS][0], words[-MIN_PIECE_WORDS][0]
    for match in _TOPIC_SHIFT.finditer(folded, start, end):
        if lo <= match.start() <= hi:
            return match.start()
    return None


def _split_long(
    text: str, folded: str, start: int, end: int, max_words: int
) -> list[tuple[int, int]]:
    start, end = _trim(text, start, end)
    if start >= end:
        return []
    if len(_words(folded, start, end)) > max_words:
        cut = _long_cut(text, folded, start, end)
    else:
        cut = _topic_cut(folded, start, end)
    if cut is None:
        return [(start, end)]
    return _split_long(text, folded, start, cut, max_words) + _split_long(
        text, folded, cut, end, max_words
    )


def split_units(text: str, lang: str | None = None, *, max_words: int = 40) -> list[UnitSpan]:
    """The units of `text` (sentences, and the two sides of a contrast), in order."""
    if not text or not text.strip():
        return []
    lang = detect_language(text) if lang is None else normalise_language(lang)
    if max_words < 2 * MIN_PIECE_WORDS:
        raise ValueError(f"max_words must be at least {2 * MIN_PIECE_WORDS}, not {max_words}.")
    folded = fold(text)
    units = []
    for s_start, s_end in sentence_offsets(text, lang):
        for p_start, p_end in _split_long(text, folded, s_start, s_end, max_words):
            for start, end in _split_contrasts(text, folded, p_start, p_end):
                words = [folded[a:b] for a, b in _words(folded, start, end)]
                if words and all(w in _FILLERS for w in words):
                    continue
                if not words:
                    continue
                units.append(UnitSpan(text=text[start:end], start_char=start, end_char=end))
    return units


def _word_fields(word: Any) -> tuple[float, float, str]:
    if isinstance(word, Mapping):
        return float(word["start"]), float(word["end"]), str(word["word"])
    if isinstance(word, tuple | list):
        return float(word[0]), float(word[1]), str(word[2])
    return float(word.start), float(word.end), str(word.word)


def _word_char_spans(text: str, words: Sequence[Any]) -> list[tuple[int, int, float, float]]:
    """Each timed word located in `text`: (start_char, end_char, start_s, end_s).

    Words are searched in order a short way ahead of the previous one, so a word the
    analyst corrected away is skipped instead of matching something far later.
    """
    folded = fold(text)
    cursor = 0
    spans = []
    for word in words:
        start_s, end_s, token = _word_fields(word)
        needle = fold(token.strip()).strip(".,;:!?…\"'()")
        if not needle:
            continue
        found = folded.find(needle, cursor, cursor + len(needle) + 30)
        if found < 0:
            continue
        spans.append((found, found + len(needle), start_s, end_s))
        cursor = found + len(needle)
    return spans


def _times(
    turn: TurnText, start: int, end: int, spans: list[tuple[int, int, float, float]]
) -> tuple[float | None, float | None]:
    inside = [s for s in spans if s[0] < end and s[1] > start]
    if inside:
        return min(s[2] for s in inside), max(s[3] for s in inside)
    if turn.start_s is None or turn.end_s is None or not turn.text:
        return turn.start_s, turn.end_s
    length = len(turn.text)
    duration = max(0.0, turn.end_s - turn.start_s)
    return (
        round(turn.start_s + duration * start / length, 3),
        round(turn.start_s + duration * end / length, 3),
    )


def units_from_turns(
    turns: Sequence[TurnText | tuple[Any, ...]],
    lang: str | None = None,
    *,
    roles: Mapping[str, str] | None = None,
    max_words: int = 40,
) -> list[Unit]:
    """The units of every respondent turn, in turn order; see the module docstring.

    A unit's id is ``"{doc_id}:{source_id}:{start_char}"`` (the turn's position when it
    has no source id), stable as long as the turn's text does not change. Its
    `start_char`/`end_char` index the turn's text and `turn_index` is the turn's
    position in `turns`. With `lang` None each document's language is detected from
    all of its turns together.
    """
    parsed = [TurnText(*turn) if not isinstance(turn, TurnText) else turn for turn in turns]
    fixed = None if lang is None else normalise_language(lang)
    languages: dict[str, str] = {}
    if fixed is None:
        texts: dict[str, list[str]] = defaultdict(list)
        for turn in parsed:
            texts[str(turn.doc_id)].append(turn.text or "")
        languages = {doc: detect_language(" ".join(parts)) for doc, parts in texts.items()}
    units: list[Unit] = []
    for index, turn in enumerate(parsed):
        if roles is not None and roles.get(str(turn.speaker)) == "interviewer":
            continue
        text = turn.text or ""
        doc_id = str(turn.doc_id)
        doc_lang = fixed or languages[doc_id]
        spans = _word_char_spans(text, turn.words) if turn.words else []
        source = str(turn.source_id) if turn.source_id is not None else None
        for span in split_units(text, doc_lang, max_words=max_words):
            start_s, end_s = _times(turn, span.start_char, span.end_char, spans)
            units.append(
                Unit(
                    id=f"{doc_id}:{source if source is not None else index}:{span.start_char}",
                    doc_id=doc_id,
                    text=span.text,
                    lang=doc_lang,
                    start_char=span.start_char,
                    end_char=span.end_char,
                    source_id=source,
                    speaker=None if turn.speaker is None else str(turn.speaker),
                    start_s=start_s,
                    end_s=end_s,
                    turn_index=index,
                )
            )
    return units
