"""Errors a user can cause while coding interviews; each message says what to do next.

- ``CodingError``: base class (a ``ValueError``), caught by the workbench and shown as a 4xx.
- ``UnsupportedLanguage``: a language other than Italian or English was asked for.
- ``InvalidCodebook``: a codebook (or a code path) is malformed.
- ``NotEnoughData``: a statistic needs more rated or coded material than was given.
- ``InvalidRating``: a score lies outside its scale (an NPS of 11, a CSAT of 0).
- ``ModelUnavailable``: a text model this package needs is not installed.
"""

from __future__ import annotations


class CodingError(ValueError):
    """Base class: coding failed for a reason the user can fix."""


class UnsupportedLanguage(CodingError):
    """The text's language is not one coding supports (Italian and English)."""

    def __init__(self, lang: object, supported: tuple[str, ...] = ("it", "en")) -> None:
        self.lang = lang
        super().__init__(
            f"Language {lang!r} is not supported for coding; use one of "
            f"{', '.join(repr(s) for s in supported)} (Italian or English), or pass "
            "lang=None to detect it from the text."
        )


class InvalidCodebook(CodingError):
    """The codebook or a code path is malformed (empty names, bad nesting, duplicates)."""


class NotEnoughData(CodingError):
    """Too little data for the statistic asked for; the message says how much is needed."""


class InvalidRating(CodingError):
    """A rating lies outside the bounds of its scale."""


class ModelUnavailable(CodingError):
    """A text model (the spaCy English pipeline, pysbd, simplemma) is not installed."""
