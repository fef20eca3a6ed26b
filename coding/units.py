"""Answers and transcript turns cut into units: one opinion each, with exact offsets.

- ``split_units(text, lang=None, *, max_words=40) -> list[UnitSpan]``. A unit is a
  sentence, or a clause of a sentence that carries two opinions joined by a contrast
  ("Il prodotto è ottimo, ma le consegne arrivano tardi" gives two units). Every unit
  satisfies ``text[unit.start_char:unit.end_char] == unit.text``; units are stripped of
  spaces, of the commas and semicolons that joined them and of a conjunction left
  dangling at their end ("I love the food here, and"), and units made only of
  hesitations ("ehm", "mh") are dropped. `lang` None detects the language.
- ``is_substantive(text, lang) -> bool``: whether a unit could carry a theme at all;
  greetings, thanks, backchannels and consent ("Sì, certo, può registrare"), bare
  ratings with their hedges ("Ten, without hesitation") and questions back to the
  interviewer never do (see its docstring). ``content_words(text, lang)`` lists the
  words that are left once those are taken out.
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

import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from .language import detect_language, fold, normalise_language, sentence_offsets
from .schema import TurnText, Unit, UnitSpan

MIN_CLAUSE_WORDS = 3
"""Words each side of a contrast needs (beside the marker) for the sentence to split."""
MIN_PIECE_WORDS = 5
"""Words each piece of an over-long unpunctuated sentence keeps at least."""

_WORD = re.compile(r"\w+(?:'\w+)*")
_FILLERS = frozenset(
    "eh ehm ehh em emm mh mhm mmh mm mmm uhm um umm uh uhh ah hmm hm hmmm".split()
)
# Short function words: a side made only of these is no opinion ("ma non so").
_FUNCTION = frozenset(
    """
    il lo la i gli le un uno una di a da in con su per tra fra e ed o ma che non si ci mi
    ti vi ne lo sono è era ho ha hai the a an of to in on at for with by and or but not no
    is are was were be it this that i you we they he she so as do does did also just
    """.split()
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


class _TimedWord(Protocol):
    """transcription.schema.Word, or anything else with these three attributes."""

    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...
    @property
    def word(self) -> str: ...


def _word_fields(word: _TimedWord | Mapping[str, Any] | tuple[Any, ...] | list[Any]) -> tuple[float, float, str]:
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


# --- Small talk: what never carries a theme ------------------------------------------------
# Matched as whole words against fold(text) cut into \w+ tokens ("that's" -> "that s"),
# longest phrase first. Both languages at once: an Italian respondent may say "okay".
_SMALL_TALK_PHRASES = """
buongiorno|buonasera|buon pomeriggio|buona giornata|buona serata|buon lavoro|salve|ciao|pronto|
arrivederci|arrivederla|a presto|alla prossima|grazie|grazie mille|grazie a lei|grazie a voi|
molte grazie|la ringrazio|vi ringrazio|prego|si figuri|ci mancherebbe|di niente|di nulla|
nessun problema|nessun problema|non c e problema|va bene|va benissimo|certo|certamente|sicuro|
sicuramente|d accordo|perfetto|ok|okay|si|no|esatto|appunto|giusto|vada pure|proceda|proceda pure|
mi dica|dica pure|dica|puo registrare|registri pure|puo procedere|registrare|registri|registrazione|
ci sono|la sento|la sento bene|eccomi|piacere|anche a lei|altrettanto|volentieri|con piacere|
senza dubbio|senza dubbi|senza esitazione|senza esitazioni|non di piu|non di meno|piu o meno|
diciamo|direi|mah|beh|boh|allora|guardi|senta|ecco|insomma|onestamente|sinceramente|francamente|
oggi|adesso|forse|magari|probabilmente|credo|penso|darei|le darei|vi darei|daremmo|metterei|voto|
lode|mezzo|pieno|abbondante|scarso|stelle|stella|punti|spero di essere stato utile|
spero di esservi stato utile|spero sia utile|spero che serva|spero che vi serva|
hello|hi|hey|good morning|good afternoon|good evening|morning|afternoon|evening|bye|goodbye|
bye bye|bye for now|see you|take care|have a nice day|have a good day|thanks|thank you|
thanks a lot|thank you very much|many thanks|cheers|my pleasure|pleasure|you re welcome|
no problem|no worries|not at all|of course|sure|certainly|yes|yeah|yep|yup|nope|right|
all right|alright|that s fine|that is fine|fine|fine by me|go ahead|go on|please|sounds good|
absolutely|exactly|indeed|i see|i can hear you|speaking|that s right|without hesitation|
without a doubt|no doubt|definitely|honestly|frankly|i d say|i would say|let s say|say|maybe|
probably|i guess|i think|today|i d give|give|rate|out of|tops|at most|at least|no more|
nothing more|more or less|stars|star|points|half|solid|ish|plus|record|recording|
happy to help|glad to help|i hope it helps|i hope this helps|i hope it makes a difference|
hope it helps|hope that helps|hmm|um|uh|well|at the moment|right now|for now|currently|
al momento|in questo momento|per ora|per adesso|attualmente|glielo do|ve lo do|do volentieri|
volentieri|ho solo|ho poco tempo|poco tempo|minuti|minuto|i only have|only have|not much time|
minutes|minute
"""
_META_QUESTIONS = """
puo ripetere|ripeta|ripetere|in che senso|cosa intende|che cosa intende|intende|scusi|come dice|
quale domanda|mi sente|ci sente|e lei|lei cosa|quanto dura|quanto ci vuole|
repeat|say that again|what do you mean|do you mean|you mean|sorry|pardon|come again|
can you hear me|what was the question|which question|how about you|and you|what about you|
how long will this take
"""
_TOKEN_WORD = re.compile(r"\w+")


def _phrase_set(block: str) -> frozenset[tuple[str, ...]]:
    return frozenset(
        tuple(_TOKEN_WORD.findall(fold(p))) for p in block.replace("\n", "").split("|") if p.strip()
    )


_SMALL_TALK = _phrase_set(_SMALL_TALK_PHRASES)
_META = _phrase_set(_META_QUESTIONS)
_LONGEST = max(len(p) for p in _SMALL_TALK | _META)
_GREETING_WORDS = frozenset(
    "buongiorno buonasera salve ciao grazie arrivederci hello hi hey morning thanks bye goodbye".split()
)
_NUMBER_WORDS = frozenset(
    """zero uno una due tre quattro cinque sei sette otto nove dieci
    nought nil one two three four five six seven eight nine ten""".split()
)


def _remaining_words(text: str, lang: str) -> tuple[list[str], bool]:
    """The words of `text` left once small talk, ratings and a greeted name are taken out.

    Also says whether a clarifying question ("Can you repeat?", "In che senso?") occurs.
    """
    matches = list(_TOKEN_WORD.finditer(text))
    folded = [fold(m.group()) for m in matches]
    left: list[str] = []
    meta = False
    i = 0
    while i < len(matches):
        for size in range(min(_LONGEST, len(matches) - i), 0, -1):
            phrase = tuple(folded[i : i + size])
            if phrase in _META:
                meta = True
            if phrase in _SMALL_TALK or phrase in _META:
                if _negated(folded, i):  # "non va bene", "that's not right": an opinion
                    left.append("_".join(("non",) + phrase))
                i += size
                if phrase[-1] in _GREETING_WORDS and _greeted_name(text, matches, i):
                    i += 1
                break
        else:
            left.append(folded[i])
            i += 1
    return left, meta


_NEGATORS = frozenset({"non", "not", "never", "mai", "nt"})


def _negated(folded: list[str], i: int) -> bool:
    """Whether word i follows a negation ("non", "not", "isn't", "never"), one word between at most."""
    before = folded[max(0, i - 2) : i]
    return any(w in _NEGATORS or (w == "t" and k > 0) for k, w in enumerate(before, start=max(0, i - 2)))


def _greeted_name(text: str, matches: list[re.Match[str]], i: int) -> bool:
    """Whether word i is a name right after a greeting: "Hi Tom.", "Grazie, Giulia!"."""
    if i >= len(matches) or not matches[i].group()[:1].isupper():
        return False
    if text[matches[i - 1].end() : matches[i].start()].strip() not in ("", ","):
        return False
    after = text[matches[i].end() : matches[i + 1].start()] if i + 1 < len(matches) else ""
    return i + 1 == len(matches) or bool(after.strip())


@functools.cache
def _stop_words(lang: str) -> frozenset[str]:
    from .language import stop_words

    return stop_words(lang)


def content_words(text: str, lang: str) -> list[str]:
    """The words of `text` that can carry a theme: no small talk, stop word, filler or number."""
    lang = normalise_language(lang)
    left, _ = _remaining_words(text, lang)
    stops = _stop_words(lang)
    return [
        w
        for w in left
        if len(w) > 2 and not w.isdigit() and w not in stops and w not in _FILLERS
        and w not in _NUMBER_WORDS
    ]


def is_substantive(text: str, lang: str) -> bool:
    """Whether a respondent's unit says something that could carry a theme.

    Not substantive, whatever the codebook: greetings, thanks and goodbyes ("Hi Tom.",
    "Grazie a lei, arrivederci."), backchannels and consent ("Yes, go ahead.", "Sì, certo,
    può registrare."), bare ratings with their hedges ("Ten, without hesitation.", "Direi un
    sei, non di più."), and questions back to the interviewer: a clarifying question ("Can
    you repeat the question?", "In che senso?") or any question with fewer than two content
    words. A unit is substantive when, with all of that taken out, at least one content word
    is left (not a stop word of `lang`, a filler, a number or a word under three letters).
    """
    if not text or not text.strip():
        return False
    lang = normalise_language(lang)
    words = content_words(text, lang)
    if text.rstrip().endswith("?"):
        _, meta = _remaining_words(text, lang)
        if meta or len(words) < 2:
            return False
    return bool(words)
