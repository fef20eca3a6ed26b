"""The language a customer's words were said in, so a report can label (never translate)
a quote, a reason or an action in another language than its own.

- `unit_language(unit, interview=None) -> str`: the unit's own `language`, else the
  interview's, else a guess from its words; "" when it cannot be told.
- `guess_language(text) -> str`: "it", "en" or "" from common function words.
- `verbatim(text) -> str`: a unit's words as a quote; one that starts mid-sentence
  ("but billing questions...") opens with an ellipsis instead of the joining word.
"""

from __future__ import annotations

import re

from .schema import LANGUAGES, CodedUnit, InterviewData


def _vocabulary(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Function words of one language only ("a", "i", "me"... belong to both and are left out).
_WORDS = {
    "it": _vocabulary("il lo la gli le di del della delle dei degli che è non per con una uno sono "
                     "ci ma anche più molto perché nel nella questo questa sempre ancora mai "
                     "abbiamo hanno siamo noi loro ho ha era erano come quando"),
    "en": _vocabulary("the an and is are not for with of it we they our but very because this "
                     "that was were have has had been their there always never us when what"),
}
_MIN_HITS = 2


def guess_language(text: str) -> str:
    """"it" or "en" when at least `_MIN_HITS` function words of one language and twice as many
    as of the other are found; "" otherwise (too short or mixed: better no label than a wrong one)."""
    words = re.findall(r"[^\W\d_]+", text.casefold())
    hits = {lang: sum(1 for w in words if w in vocab) for lang, vocab in _WORDS.items()}
    best = max(hits, key=lambda lang: hits[lang])
    other = min(hits.values())
    if hits[best] >= _MIN_HITS and hits[best] >= 2 * other:
        return best
    return ""


def unit_language(unit: CodedUnit, interview: InterviewData | None = None) -> str:
    """The language of `unit`: its own, else its interview's, else guessed; "" when unknown."""
    for known in (unit.language, interview.language if interview is not None else None):
        if known in LANGUAGES:
            return str(known)
    return guess_language(unit.text)


# Words that join a unit to the one before it; a quote cut there reads as a fragment.
_JOINING = re.compile(r"^(?:but|and|so|or|ma|però|pero|e|ed|o|quindi)\b[\s,]*", re.IGNORECASE)


def verbatim(text: str) -> str:
    """The unit's words for a quote: "but billing questions always go to someone else." becomes
    "… billing questions always go to someone else." Nothing else is changed."""
    text = text.strip()
    rest = _JOINING.sub("", text, count=1)
    return f"… {rest}" if rest != text and rest else text
