"""Who is the interviewer? Role detection from what each speaker says.

Pure functions, no models:

- ``detect_roles(segments, guide_questions=None) -> dict[str, str]`` maps every speaker
  id found in `segments` to a role of transcription.schema.SPEAKER_ROLES. One speaker
  is the "interviewer": the one with the highest score from
    * the share of all questions that they ask (question marks, or sentences opening
      with an interrogative in Italian or English: come, cosa, perché, quanto, può...,
      what, how, why, would, could...),
    * how much of what they say is questions,
    * how closely their sentences match the interview guide (word overlap), and
    * how little they talk compared with the others.
  With two speakers the other is the "respondent"; with three or more (a focus group)
  the others are "participant"s. A lone speaker is the "respondent". Segments without a
  speaker are ignored.
- ``question_sentences(text) -> list[str]``: the sentences of `text` that are questions.

The result is a suggestion the analyst can correct, not a verdict.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

from .glossary import fold
from .schema import Segment

# Compared after lower-casing and stripping accents (perché -> perche, può -> puo).
_OPENERS = frozenset(
    """
    come cosa che perche quanto quanta quanti quante quale quali quando dove chi
    puo puoi potrebbe potresti potreste vorrebbe vorresti saprebbe sapresti
    riesce riesci ricorda ricordi
    what how why would could which who whom whose when where
    """.split()
)
# Two-word openers: "mi può dire", "ci racconti", "secondo lei", "tell me".
_PAIRS = (
    "mi-puo mi-potrebbe mi-racconti mi-racconta mi-dica mi-spieghi ci-puo ci-racconti "
    "ci-racconta ci-dica secondo-lei secondo-te secondo-voi tell-me tell-us"
)
_OPENER_PAIRS = frozenset(tuple(pair.split("-")) for pair in _PAIRS.split())
# "in che modo", "da quanto tempo", "for how long", "with which supplier"
_PREPOSITIONS = frozenset(
    "in da per a di con su tra fra of for to with from about at".split()
)
# English yes/no questions invert auxiliary and subject: "do you", "is it", "can we".
_AUXILIARIES = frozenset(
    "do does did is are was were have has had can will shall should may might".split()
)
_SUBJECTS = frozenset("you i we they he she it there that this".split())

_STOP = frozenset(
    """
    il lo la i gli le un uno una di del dello della dei degli delle a al allo alla ai
    agli alle da dal dalla dai in nel nella nei nelle su sul sulla con per tra fra e ed
    o ma che non si ci mi ti vi ne lei lui voi noi loro suo sua suoi sue vostro vostra
    questo questa questi queste quello quella come cosa quale quali quanto perche
    molto piu anche gia sono stato stata essere avere ha hanno era
    the a an of to in on at for with by from and or but not no is are was were be been
    do does did have has had you your yours we our they their it its this that these
    those what how why would could can will which who when where there here about
    me my i he she him her them us so if then than very more also just
    """.split()
)

_WORD = re.compile(r"[^\W\d_]+")
_SENTENCE = re.compile(r"[^.!?…]+[.!?…]*")


def _words(text: str) -> list[str]:
    return _WORD.findall(fold(text).replace("'", " ").replace("’", " "))


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if _words(s)]


def _is_question(sentence: str) -> bool:
    if sentence.rstrip().endswith("?"):
        return True
    words = _words(sentence)
    if not words:
        return False
    first = words[0]
    second = words[1] if len(words) > 1 else ""
    if first in _OPENERS or (first, second) in _OPENER_PAIRS:
        return True
    if first in _AUXILIARIES and second in _SUBJECTS:
        return True
    return first in _PREPOSITIONS and second in _OPENERS


def question_sentences(text: str) -> list[str]:
    """The sentences of `text` that read as questions."""
    return [s for s in _sentences(text) if _is_question(s)]


def _content(text: str) -> set[str]:
    """Content words, crudely stemmed to 5 letters (fornitore/fornitori, support/supporto)."""
    return {w[:5] for w in _words(text) if len(w) > 2 and w not in _STOP}


def _dice(a: set[str], b: set[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def _guide_score(sentences: Iterable[str], guide: Sequence[set[str]]) -> float:
    """Mean, over the guide's questions, of the best match among the speaker's sentences."""
    bags = [_content(s) for s in sentences]
    bags = [b for b in bags if b]
    if not guide or not bags:
        return 0.0
    return sum(max(_dice(q, b) for b in bags) for q in guide) / len(guide)


def detect_roles(
    segments: Sequence[Segment], guide_questions: Sequence[str] | None = None
) -> dict[str, str]:
    """Map each speaker id in `segments` to "interviewer", "respondent" or "participant"."""
    sentences: dict[str, list[str]] = defaultdict(list)
    words: dict[str, int] = defaultdict(int)
    for seg in segments:
        if seg.speaker is None:
            continue
        sentences[seg.speaker].extend(_sentences(seg.text))
        words[seg.speaker] += len(_words(seg.text))
    speakers = sorted(sentences)
    if not speakers:
        return {}
    if len(speakers) == 1:
        return {speakers[0]: "respondent"}

    guide = [b for b in (_content(q) for q in guide_questions or []) if b]
    questions = {s: sum(_is_question(x) for x in sentences[s]) for s in speakers}
    total_questions = sum(questions.values())
    total_words = sum(words.values()) or 1

    def score(speaker: str) -> float:
        question_share = questions[speaker] / total_questions if total_questions else 0.0
        # smoothed, so one lone question from a quiet participant does not read as 100 %
        question_rate = questions[speaker] / (len(sentences[speaker]) + 2)
        talk_share = words[speaker] / total_words
        return (
            2.0 * question_share
            + 1.0 * question_rate
            + 3.0 * _guide_score(sentences[speaker], guide)
            + 0.5 * (1.0 - talk_share)
        )

    interviewer = max(speakers, key=lambda s: (score(s), -words[s]))
    other = "respondent" if len(speakers) == 2 else "participant"
    return {s: ("interviewer" if s == interviewer else other) for s in speakers}
