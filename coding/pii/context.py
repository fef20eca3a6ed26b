"""Street addresses and dates of birth: patterns anchored on street words and birth cues."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .spoken import Normalised, normalise_numbers

Found = tuple[int, int, str, float]

_STREET_IT = (r"via|viale|v\.le|corso|c\.so|piazza|p\.za|piazzale|largo|vicolo|strada|contrada|"
              r"localit[aà]|loc\.|lungomare|lungotevere|borgo|galleria|salita|traversa|circonvallazione|"
              r"stradone|calle|campo|fondamenta|rione|frazione")
_STREET_EN = (r"street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd|way|court|ct|place|pl|"
              r"square|sq|close|crescent|terrace|parkway|highway|row|mews|grove|gardens|hill|park")
# A street's name: up to five words, "di/del/della/de/dei/san/santa" and numbered names
# ("XX Settembre", "IV Novembre", "25 aprile") included; it may not start with a function word.
_NAME_WORD = r"(?:[A-Za-zÀ-ÿ'’]{2,}|[IVXL]{1,5}|\d{1,2}(?=\s+[A-Za-zÀ-ÿ]))"
_LINK = r"(?:d[ie]|del|dell['’]|della|dei|degli|delle|de|da|san|santa|santo|sant['’]|la|le|lo|il|al|alla)"
_CIVIC = r"(?:n(?:umero|r|\.|°)?\.?\s*)?\d{1,4}(?:/?[a-zA-Z]|\s?/\s?[a-zA-Z]|\s?bis)?(?![\w])"
_IT_ADDRESS = re.compile(
    rf"\b(?:{_STREET_IT})\s+(?:{_LINK}\s+)?(?!(?:e|ed|email|mail|e-mail|pec|web|internet|whatsapp|"
    rf"telefono|posta|fax|teams|zoom|skype|chat|app|sms|corriere|di|del|della)\b){_NAME_WORD}"
    rf"(?:\s+(?:{_LINK}\s+)?{_NAME_WORD}){{0,4}}?,?\s+{_CIVIC}"
    rf"(?:,?\s+\d{{5}}(?:\s+[A-Z][a-zà-ÿ]+(?:\s+[A-Z][a-zà-ÿ]+)?)?)?(?!\d)",
    re.IGNORECASE,
)
_EN_ADDRESS = re.compile(
    rf"\b\d{{1,5}}[a-zA-Z]?,?\s+(?:[A-Za-z][a-z'’]+\s+){{1,3}}(?:{_STREET_EN})\b\.?"
    rf"(?:,?\s+(?:apartment|apt|suite|flat|unit)\.?\s*\d+[a-zA-Z]?)?",
    re.IGNORECASE,
)
_EN_NAMED_ADDRESS = re.compile(
    r"\b(?:at|on|in|to|address is|live on|lives on|located at|based at|office at)\s+"
    r"((?:[A-Z][a-z'’]+\s+){1,3}(?:Street|Avenue|Road|Lane|Drive|Boulevard|Way|Court|Place|Square|"
    r"Close|Crescent|Terrace)\b(?:,?\s+(?:number\s+)?\d{1,5}[a-zA-Z]?)?)",
)
_IT_ADDRESS_CUE = re.compile(
    rf"\b(?:abito|abita|abitiamo|vivo|vive|residente|risiedo|sede|indirizzo|domicilio|ufficio|"
    rf"magazzino|consegna|consegnare|spedire)\b[^.]{{0,20}}?\b(?:in|a|è)\s+((?:{_STREET_IT})\s+"
    rf"(?:{_LINK}\s+)?[A-ZÀ-Ýa-zà-ÿ'’]{{2,}}(?:\s+(?:{_LINK}\s+)?[A-ZÀ-Ý][a-zà-ÿ'’]+){{0,3}})",
    re.IGNORECASE,
)


def addresses(text: str, language: str) -> Iterator[Found]:
    """Street addresses: "via Roma 12", "in corso Buenos Aires, 45", "221B Baker Street"."""
    for match in _IT_ADDRESS.finditer(text):
        yield match.start(), match.end(), "ADDRESS", 0.7
    for match in _IT_ADDRESS_CUE.finditer(text):
        yield match.start(1), match.end(1), "ADDRESS", 0.6
    for match in _EN_ADDRESS.finditer(text):
        yield match.start(), match.end(), "ADDRESS", 0.7
    for match in _EN_NAMED_ADDRESS.finditer(text):
        yield match.start(1), match.end(1), "ADDRESS", 0.6


_MONTHS_IT = (r"gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|agosto|settembre|ottobre|novembre|"
              r"dicembre")
_MONTHS_EN = (r"january|february|march|april|may|june|july|august|september|october|november|december|"
              r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
_DAY = r"(?:[0-3]?\d|primo|1°)(?:st|nd|rd|th)?"
_YEAR = r"(?:(?:del|nel|of|in)\s+)?(?:19|20)?\d\d"
_DATE = (
    rf"(?:{_DAY}\s+(?:di\s+|of\s+)?(?:{_MONTHS_IT}|{_MONTHS_EN})\.?,?(?:\s+{_YEAR})?"
    rf"|(?:{_MONTHS_EN}|{_MONTHS_IT})\s+{_DAY},?(?:\s+{_YEAR})?"
    rf"|[0-3]?\d\s*[/.-]\s*[01]?\d\s*[/.-]\s*(?:19|20)?\d\d"
    rf"|(?:{_MONTHS_IT}|{_MONTHS_EN})\s+(?:del\s+|of\s+)?(?:19|20)\d\d"
    rf"|(?:19|20)\d\d)"
)
_BIRTH_CUES = (
    r"nato|nata|nati|nate|nascita|sono del|sono della|sono dell['’]|classe|compleanno|compio gli anni|"
    r"born|birth|birthday|dob|d\.o\.b\.?"
)
_BIRTH = re.compile(
    rf"\b(?:{_BIRTH_CUES})\b(?:[^.\d]{{0,40}}?)\b(?:il\s+|l['’]\s*|on\s+|in\s+|the\s+|è\s+|is\s+|:\s*)?"
    rf"(?P<date>{_DATE})(?!\d)",
    re.IGNORECASE,
)


def birth_dates(text: str, language: str, norm: Normalised | None = None) -> Iterator[Found]:
    """Dates (or years) of birth after a birth cue: "nato il 3 marzo 1975", "born on 12/05/1980".

    Other dates are left alone. Spoken numbers are read as digits first ("tre marzo
    millenovecentosettantacinque").
    """
    norm = norm or normalise_numbers(text, language)
    for match in _BIRTH.finditer(norm.text):
        start, end = norm.to_original(match.start("date"), match.end("date"))
        yield start, end, "BIRTH_DATE", 0.8
