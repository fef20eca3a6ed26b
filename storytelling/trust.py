"""What a report or a story may rely on: confident or analyst-accepted codes, quotable units
and readable reasons.

Public API:

- `trusted_code(code, threshold) -> bool`: an analyst's code, one an analyst accepted, or a
  model code at or above the study's confidence threshold;
- `trusted_interviews(interviews, threshold) -> list[InterviewData]`: copies whose units keep
  only trusted codes whose sentiment does not contradict their sentence (unless an analyst
  confirmed the code), so every section of a report counts the same codes (rejected codes
  never reach storytelling: the workbench leaves them out);
- `quotable(unit, threshold) -> bool`: a unit may be quoted when the model was confident about
  it, or an analyst accepted one of its codes;
- `readable_reason(unit) -> str | None`: the unit's reason when it is a readable span
  of the unit's own words (at least `MIN_REASON_WORDS` words, at least `MIN_KNOWN_SHARE` of
  them words of simplemma's Italian or English vocabulary or capitalised names inside the
  sentence), else None;
- `felt(unit, path)`: the sentiment of `unit` towards theme `path`, None when the unit does not
  carry that theme.

A theme's sentiment needs the unit to agree: a code whose own sentiment differs from the
unit's overall sentiment (a code "positive" on a negative sentence) supports neither a pain
nor a delight (`agreed_sentiment`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from functools import lru_cache

from .schema import CodedUnit, InterviewData, UnitCode

MIN_REASON_WORDS = 3
MIN_KNOWN_SHARE = 2 / 3
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)


def trusted_code(code: UnitCode, threshold: float) -> bool:
    return code.is_confirmed or code.confidence >= threshold


def trusted_interviews(interviews: Iterable[InterviewData], threshold: float) -> list[InterviewData]:
    kept = []
    for interview in interviews:
        units = [dataclasses.replace(u, codes=[c for c in u.codes if trusted_code(c, threshold)
                                               and (c.is_confirmed or agreed_sentiment(u, c.path))])
                 for u in interview.units]
        kept.append(dataclasses.replace(interview, units=units))
    return kept


def quotable(unit: CodedUnit, threshold: float) -> bool:
    return unit.confidence >= threshold or any(c.is_confirmed for c in unit.codes)


def felt(unit: CodedUnit, path: str) -> str | None:
    for code in unit.codes:
        if code.path == path:
            return unit.code_sentiment(code)
    return None


def agreed_sentiment(unit: CodedUnit, path: str) -> str | None:
    """The sentiment towards `path` when the unit's own sentiment does not contradict it:
    a positive code on a negative unit (or the reverse) gives None. A mixed unit carries
    both polarities, one clause each, so either agrees with it."""
    towards = felt(unit, path)
    if towards is None:
        return None
    if towards == "positive" and unit.sentiment == "negative":
        return None
    if towards == "negative" and unit.sentiment == "positive":
        return None
    return towards


def _fold(text: str) -> str:
    return " ".join(re.sub(r"[^\w']+", " ", text.casefold().replace("’", "'")).split())


@lru_cache(maxsize=20000)
def _known(word: str) -> bool:
    import simplemma

    return any(simplemma.is_known(word, lang) for lang in ("it", "en"))


def known_share(text: str) -> float:
    """The share of the words of `text` found in the Italian or English vocabulary."""
    words = [w.replace("’", "'") for w in _WORD.findall(text)]
    if not words:
        return 0.0
    hits = 0
    for index, word in enumerate(words):
        if index and word[:1].isupper():
            hits += 1  # a name inside the sentence (a place, a carrier, a product)
            continue
        parts = [p for p in re.split(r"'", word) if p]
        if all(len(p) <= 1 or _known(p) or _known(p.lower()) for p in parts):
            hits += 1
    return hits / len(words)


def readable_reason(unit: CodedUnit) -> str | None:
    """The reason of `unit` if a manager can read it as the customer's own words."""
    return _readable_reason(unit.reason or "", unit.text)


@lru_cache(maxsize=65536)
def _readable_reason(given: str, said: str) -> str | None:
    """`readable_reason` of a reason and its unit's text (a report asks it of each unit several times)."""
    reason = given.strip().strip(" \"“”«»").strip()
    if not reason:
        return None
    if len(_WORD.findall(reason)) < MIN_REASON_WORDS:
        return None
    if _fold(reason) not in _fold(said):
        return None  # not a span of what the customer said in this unit
    if known_share(reason) < MIN_KNOWN_SHARE:
        return None
    return reason
