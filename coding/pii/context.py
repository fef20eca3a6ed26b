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
              r"square|sq|close|crescent|terrace|parkway|highway|row|mews|grove|gardens|hill|park|parade|quay|"
              r"wharf|plaza|(?-i:Walk|Rise|Circle|Trail|Estate|Green|Gate|Vale|View|Alley|Pike|Yard)")
# A street's name: up to five words, "di/del/della/de/dei/san/santa" and numbered names
# ("XX Settembre", "IV Novembre", "25 aprile") included; it may not start with a function word.
_NAME_WORD = r"(?:[A-Za-zÀ-ÿ'’]{2,}|[IVXL]{1,5}|\d{1,2}(?=\s+[A-Za-zÀ-ÿ]))"
_LINK = r"(?:d[ie]|del|dell['’]|della|dei|degli|delle|de|da|san|santa|santo|sant['’]|la|le|lo|il|al|alla)"
_CIVIC = (r"(?:(?:al\s+)?(?:numero|civico|n(?:r|°)?\.?)\s*)?\d{1,4}(?:/?[a-zA-Z]|\s?/\s?[a-zA-Z]|\s?bis)?"
          r"(?![\w])")
# What may follow a street line: a postcode and a town ("40121 Bologna"), or a town set off by a
# comma ("via Roma 12, Torino"); a town after "a" or "in" is left out.
_TOWN = r"[A-ZÀ-Ý][a-zà-ÿ'’]+(?:\s+[A-ZÀ-Ý][a-zà-ÿ'’]+)?(?:\s+\([A-Z]{2}\))?"
_IT_ADDRESS = re.compile(
    rf"\b(?:{_STREET_IT})\s+(?:{_LINK}\s+)?(?!(?:e|ed|email|mail|e-mail|pec|web|internet|whatsapp|"
    rf"telefono|posta|fax|teams|zoom|skype|chat|app|sms|corriere|di|del|della)\b){_NAME_WORD}"
    rf"(?:\s+(?:{_LINK}\s+)?{_NAME_WORD}){{0,4}}?,?\s+{_CIVIC}"
    rf"(?:,?\s+\d{{5}}(?:\s+{_TOWN})?|,\s*(?-i:{_TOWN})(?=\s*(?:[,.;:!?]|$)))?(?!\d)",
    re.IGNORECASE,
)
# English tails: ", London", ", Austin, Texas", "Bristol BS8 4QT", ", Cork, T12 X8F2", ", IL 62704".
_POSTCODE = (r"(?:[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}|[A-Z]\d{2}\s?[A-Z0-9]{4}|(?:[A-Z]{2}\s+)?\d{5}(?:-\d{4})?)")
_EN_TAIL = (rf"(?:(?:,\s*|\s+)(?:(?:{_POSTCODE})|[A-Z][a-z'’]+(?:\s+[A-Z][a-z'’]+)?)(?=[\s,.;:!?]|$)){{0,3}}")
_UNIT = r"(?:(?:apartment|apt|suite|ste|flat|unit)\.?\s*#?\d+[a-zA-Z]?,?\s+)"
_STREET_NAME_EN = r"(?:(?!(?:the|a|an|of|for|to|down|up|on|in|at|and|or|our|my|your|this|that)\s)[A-Za-z][a-z'’]+\s+)"
_EN_ADDRESS = re.compile(
    rf"(?:\b{_UNIT})?\b\d{{1,5}}[a-zA-Z]?,?\s+{_STREET_NAME_EN}{{1,3}}(?:{_STREET_EN})\b\.?"
    rf"(?:,?\s+(?:apartment|apt|suite|flat|unit)\.?\s*#?\d+[a-zA-Z]?)?"
    rf"(?-i:{_EN_TAIL})",
    re.IGNORECASE,
)
# "Unit 7, Riverside Business Park": a unit or suite and a named street or estate, no house number.
_EN_UNIT_ADDRESS = re.compile(
    rf"\b(?i:apartment|apt|suite|flat|unit)\.?\s*#?\d+[a-zA-Z]?,?\s+(?:[A-Z][a-z'’]+\s+){{1,3}}"
    rf"(?i:{_STREET_EN})\b\.?{_EN_TAIL}",
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


def addresses(text: str, language: str, norm: Normalised | None = None) -> Iterator[Found]:
    """Street addresses: "via Roma 12", "in corso Buenos Aires, 45", "221B Baker Street, London".

    House numbers said as words count ("via Garibaldi ventitré", "fourteen Harbour Road").
    """
    norm = norm or normalise_numbers(text, language)
    patterns = ((_IT_ADDRESS, 0, 0.7), (_IT_ADDRESS_CUE, 1, 0.6), (_EN_ADDRESS, 0, 0.7),
                (_EN_UNIT_ADDRESS, 0, 0.7), (_EN_NAMED_ADDRESS, 1, 0.6))
    # As written too: a street named with a number word ("via dei Mille") reads wrongly as digits.
    for pattern, group, score in patterns:
        for match in pattern.finditer(text):
            yield match.start(group), match.end(group), "ADDRESS", score
    if norm.text == text:
        return
    for pattern, group, score in patterns:
        for match in pattern.finditer(norm.text):
            start, end = norm.to_original(match.start(group), match.end(group))
            yield start, end, "ADDRESS", score


_MONTHS_IT = (r"gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|agosto|settembre|ottobre|novembre|"
              r"dicembre")
_MONTHS_EN = (r"january|february|march|april|may|june|july|august|september|october|november|december|"
              r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
_ORDINALS_EN = (r"(?:(?:twenty|thirty|[23]0)[\s-]?)?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)"
                r"|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|"
                r"nineteenth|twentieth|thirtieth")
_DAY = rf"(?:[0-3]?\d(?:st|nd|rd|th)?|primo|1°|{_ORDINALS_EN})"
# A year as digits, as "19 72" (said "nineteen seventy-two") or as "'78".
_YEAR = r"(?:(?:del|nel|of|in)\s+)?(?:(?:19|20)\s?\d\d|['’]\s?\d\d|\d\d)(?!\d)"
_DATE = (
    rf"(?:{_DAY}\s+(?:di\s+|of\s+)?(?:{_MONTHS_IT}|{_MONTHS_EN})\.?,?(?:\s+{_YEAR})?"
    rf"|(?:the\s+)?(?:{_MONTHS_EN}|{_MONTHS_IT})\s+(?:the\s+)?{_DAY},?(?:\s+{_YEAR})?"
    rf"|[0-3]?\d\s*[/.-]\s*[01]?\d\s*[/.-]\s*(?:19|20)?\d\d"
    rf"|(?:{_MONTHS_IT}|{_MONTHS_EN})\s+(?:del\s+|of\s+)?(?:(?:19|20)\s?\d\d|['’]\d\d)"
    rf"|(?:19|20)\s?\d\d|['’]\d\d"
    # a bare two-digit year only where Italian or English puts one: "sono del 76", "classe 62"
    rf"|(?:(?<=del\s)|(?<=nel\s)|(?<=classe\s)|(?<=in\s))\d\d(?!\s*(?:anni|years|%|euro|pezzi)))"
)
_BIRTH_CUES = (
    r"nato|nata|nati|nate|nascita|sono del|sono della|sono dell['’]|classe|compleanno|compio gli anni|"
    r"faccio gli anni|born|birth|birthday|dob|d\.o\.b\.?"
)
_BIRTH = re.compile(
    rf"\b(?:{_BIRTH_CUES})\b(?:[^.\d'’]{{0,40}}?)(?:\b(?:il\s+|l['’]\s*|on\s+|in\s+|the\s+|è\s+|is\s+|:\s*))?"
    rf"(?P<date>{_DATE})(?!\d)",
    re.IGNORECASE,
)
# "a 1975 baby": the year before the cue.
_BIRTH_YEAR_BEFORE = re.compile(r"\b(?P<date>(?:19|20)\d\d|['’]\d\d)\s+baby\b", re.IGNORECASE)
# "l'azienda è nata nel 1978", "the company was born in 1998": a founding year, not a birth.
_FOUNDED = re.compile(
    r"\b(?:azienda|ditta|societ[aà]|impresa|attivit[aà]|negozio|marchio|progetto|collaborazione|company|"
    r"business|firm|brand|shop|store|project|partnership|startup|idea)\b[^.]{0,25}$", re.IGNORECASE)


def birth_dates(text: str, language: str, norm: Normalised | None = None) -> Iterator[Found]:
    """Dates (or years) of birth after a birth cue: "nato il 3 marzo 1975", "born on 12/05/1980".

    Other dates are left alone. Spoken numbers are read as digits first ("tre marzo
    millenovecentosettantacinque").
    """
    norm = norm or normalise_numbers(text, language)
    for pattern in (_BIRTH, _BIRTH_YEAR_BEFORE):
        for match in pattern.finditer(norm.text):
            if _FOUNDED.search(norm.text[max(0, match.start() - 40):match.start()]):
                continue
            start, end = norm.to_original(match.start("date"), match.end("date"))
            yield start, end, "BIRTH_DATE", 0.8
