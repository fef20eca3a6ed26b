"""`detect_pii`: every detector over one text, conflicts settled, as `PiiEntity`s."""

from __future__ import annotations

from collections.abc import Iterable

from coding.language import normalise_language

from .context import addresses, birth_dates
from .entities import PiiEntity
from .names import known_names, person_names, spacy_persons, spelled_names
from .patterns import Found, glued_codes, phone_numbers, presidio_matches, spoken_emails
from .spoken import normalise_numbers

# When two detections overlap, the stronger kind wins: a checksum beats a phone pattern,
# a phone or an address beats a name found in it.
_PRIORITY = {"EMAIL": 7, "IBAN": 7, "FISCAL_CODE": 7, "VAT": 6, "BIRTH_DATE": 5, "PHONE": 5,
             "ADDRESS": 4, "PERSON": 3}


def _resolve(found: list[Found]) -> list[Found]:
    ordered = sorted(found, key=lambda f: (-_PRIORITY[f[2]], -(f[1] - f[0]), -f[3], f[0]))
    kept: list[Found] = []
    for item in ordered:
        start, end, _entity, _score = item
        if not any(k[0] < end and start < k[1] for k in kept):
            kept.append(item)
    return sorted(kept)


def detect_pii(text: str, language: str, *, names: Iterable[str] = ()) -> list[PiiEntity]:
    """The personal data in `text` ('it' or 'en'), sorted by position, without overlaps.

    `names` are names known to occur (the respondent's, the interviewer's): they are found
    in any case, whole or in parts.
    """
    if not text or not text.strip():
        return []
    lang = normalise_language(language)
    numbers = normalise_numbers(text, lang)
    found: list[Found] = []
    found += presidio_matches(text)
    found += spoken_emails(text)
    found += phone_numbers(text, lang, numbers)
    found += glued_codes(text, lang, numbers)
    found += addresses(text, lang, numbers)
    found += birth_dates(text, lang, numbers)
    found += known_names(text, names, lang)
    found += person_names(text, lang)
    found += spelled_names(text, lang)
    if lang == "en":
        found += spacy_persons(text)
    trimmed = []
    for start, end, entity, score in found:
        value = text[start:end]
        start += len(value) - len(value.lstrip(" ,.;:"))
        end -= len(value) - len(value.rstrip(" ,;:"))
        if end > start:
            trimmed.append((start, end, entity, score))
    return [PiiEntity(s, e, t, round(score, 2), text[s:e]) for s, e, t, score in _resolve(trimmed)]
