"""Pattern detectors: Presidio's checksum recognisers, plus spoken and grouped forms.

Presidio's recognisers (e-mail, IBAN, codice fiscale, partita IVA, phone through
`phonenumbers`) run on the text as written. The same validators then run on the text with
spoken numbers and symbols normalised (`spoken.py`) and on runs of short tokens glued
together, because ASR writes "IT 60 X 05428 11101 000000123456" or "rss mra 75 c03 f205 x".
Every candidate that carries a checksum is kept only when the checksum holds, checked by
python-stdnum (one implementation of each; VAT numbers of every country in `vat.py`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .spoken import Normalised, normalise_numbers, normalise_symbols
from .vat import (
    cue_after,
    cue_before,
    cue_right_before,
    order_before,
    prefixed_vat_country,
    unprefixed_vat_countries,
    valid_gb_vat,
    valid_it_vat,
)

if TYPE_CHECKING:
    import tldextract

Found = tuple[int, int, str, float]  # start, end, entity, score


@functools.cache
def _tld_extractor() -> tldextract.TLDExtract:
    import tldextract

    # The bundled public-suffix snapshot only: no list is fetched, nothing is cached on disk.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


def has_public_suffix(domain: str) -> bool:
    """Whether `domain` ends in a known public suffix ("gmail.com", "acme.co.uk"), offline."""
    result = _tld_extractor()(domain)
    return bool(result.suffix and result.domain)


@functools.cache
def _recognizers() -> dict[str, object]:
    from presidio_analyzer.predefined_recognizers import (
        EmailRecognizer,
        IbanRecognizer,
        ItFiscalCodeRecognizer,
        ItVatCodeRecognizer,
        PhoneRecognizer,
    )

    class OfflineEmailRecognizer(EmailRecognizer):
        """Presidio's e-mail recogniser, its domain checked against the bundled suffix list."""

        def validate_result(self, pattern_text: str) -> bool:
            return has_public_suffix(pattern_text.rsplit("@", 1)[-1])

    return {
        "EMAIL": OfflineEmailRecognizer(),
        "IBAN": IbanRecognizer(),
        "FISCAL_CODE": ItFiscalCodeRecognizer(supported_language="en"),
        "VAT": ItVatCodeRecognizer(supported_language="en"),
        "PHONE": PhoneRecognizer(supported_regions=("IT", "GB", "US", "DE", "FR", "CH", "ES"), leniency=1),
    }


_PRESIDIO_ENTITY = {"EMAIL": "EMAIL_ADDRESS", "IBAN": "IBAN_CODE", "FISCAL_CODE": "IT_FISCAL_CODE",
                    "VAT": "IT_VAT_CODE", "PHONE": "PHONE_NUMBER"}


def valid_fiscal_code(value: str) -> bool:
    """A codice fiscale of 16 characters, its check letter and birth date right (stdnum.it.codicefiscale)."""
    from stdnum.it import codicefiscale

    return len(value) == 16 and codicefiscale.is_valid(value)


def valid_iban(value: str) -> bool:
    """An IBAN: its country's length and layout, and the mod-97 check (stdnum.iban).

    The national check digits inside the BBAN are not required: a number read with one
    of them misheard is still an account number.
    """
    from stdnum import iban

    value = value.upper()
    return bool(re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", value)) and iban.is_valid(value, check_country=False)


def _vat_ok(text: str, start: int, digits: str) -> bool:
    """A partita IVA: its check digit holds, and a VAT cue precedes it or it cannot be a phone number."""
    if not valid_it_vat(digits):
        return False
    if cue_before(text, start):
        return True
    return not _phone_ok(digits.removeprefix("IT"), "en", cue=False) and not _phone_ok(
        digits.removeprefix("IT"), "it", cue=False)


def presidio_matches(text: str) -> Iterator[Found]:
    """Presidio's recognisers on `text` as written; checksum types only when the checksum holds."""
    for entity, recognizer in _recognizers().items():
        for result in recognizer.analyze(text, [_PRESIDIO_ENTITY[entity]], None):  # type: ignore[attr-defined]
            value = text[result.start:result.end]
            if entity == "FISCAL_CODE" and not valid_fiscal_code(value):
                continue
            if entity == "VAT" and not _vat_ok(text, result.start, re.sub(r"[\s_-]", "", value)):
                continue
            if entity == "IBAN" and not valid_iban(re.sub(r"[\s-]", "", value)):
                continue
            yield result.start, result.end, entity, max(float(result.score), 0.5)


# --- spoken and grouped forms ---------------------------------------------------------------

_LOCAL_BEFORE = re.compile(r"(?<![\w.+-])\w[\w.+-]*$")
_DOMAIN_AFTER = re.compile(r"[\w-]+(?:\.[\w-]+)+")


_LOCAL_STOP = re.compile(
    r"^(?:a|ad|al|alla|è|e|di|the|to|is|at|me|us|him|her|them|mail|email|e-mail|indirizzo|address|scriva|"
    r"scrivere|scrivete|write|send|invii|inviare|mandi|mandare|su|on|or|o|oppure|it|pure)$", re.IGNORECASE)


def _extend_local_part(text: str, start: int) -> int:
    """A local part said in words ("accounts payable at ..."): take back up to two plain words."""
    for _ in range(2):
        match = re.search(r"(?<![\w'’])([^\W\d_]+)\s+$", text[:start])
        if match is None or _LOCAL_STOP.match(match.group(1)):
            break
        start = match.start(1)
    return start


def spoken_emails(text: str) -> Iterator[Found]:
    """E-mail addresses said aloud: "mario punto rossi chiocciola gmail punto com"."""
    norm = normalise_symbols(text)
    if "@" not in norm.text:
        return
    for at in (i for i, ch in enumerate(norm.text) if ch == "@"):
        local = _LOCAL_BEFORE.search(norm.text, 0, at)
        domain = _DOMAIN_AFTER.match(norm.text, at + 1)
        if local is None or domain is None:
            continue
        host = domain.group().rstrip(".-")
        if not has_public_suffix(host):
            continue
        start, end = norm.to_original(local.start(), at + 1 + len(host))
        if "@" not in text[start:end]:  # said aloud: the local part may be words ("accounts payable at ...")
            start = _extend_local_part(text, start)
        yield start, end, "EMAIL", 0.85


# A phone number: digits in groups separated by spaces, dots, dashes or slashes.
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d(?:(?:,\s|[ .\-/])?\(?\d\)?){5,15}(?![\w])")
_NOT_PHONE_CUES = re.compile(
    r"\b(ordine|ordini|order|fattura|invoice|pratica|ticket|codice|code|matricola|serial|seriale|lotto|batch|"
    r"tracking|spedizione|shipment|contratto|contract|riferimento|reference|ref|case|articolo|item|sku|"
    r"euro|eur|dollari|dollars|pounds|sterline|iva|vat|p\.?\s?iva|cap|postcode|zip|pezzi|units|unità|"
    r"protocollo|cliente|customer|account|conto|iban|po)\b[^\d]{0,25}$",
    re.IGNORECASE,
)
_PHONE_CUES = re.compile(
    r"\b(telefono|numero|cellulare|cell|fisso|chiamare|chiami|richiamare|richiami|chiamarmi|"
    r"whatsapp|interno|phone|number|mobile|call|ring|reach|landline|extension|contattare|contattarmi)\b",
    re.IGNORECASE,
)


def _phone_ok(digits: str, language: str, cue: bool) -> bool:
    import phonenumbers

    international = digits.startswith(("+", "00"))
    core = digits.lstrip("+")
    if core.startswith("00"):
        core = core[2:]
        digits = "+" + core
    if international:
        try:
            number = phonenumbers.parse(digits if digits.startswith("+") else "+" + core, None)
        except phonenumbers.NumberParseException:
            return False
        return phonenumbers.is_possible_number(number)
    regions = ("IT", "GB", "US") if language == "en" else ("IT",)
    if language == "en":
        regions = ("GB", "US", "IT")
    for region in regions:
        try:
            number = phonenumbers.parse(core, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number) or (cue and phonenumbers.is_possible_number(number)):
            return True
    return False


def phone_numbers(text: str, language: str, norm: Normalised | None = None) -> Iterator[Found]:
    """Phone numbers in digits, in groups, or said digit by digit ("tre tre tre uno due ...")."""
    norm = norm or normalise_numbers(text, language)
    for match in _PHONE.finditer(norm.text):
        value = match.group()
        digits = re.sub(r"[^\d+]", "", value)
        n = len(digits.lstrip("+"))
        if n < 8 or n > 15:
            continue
        start, end = norm.to_original(match.start(), match.end())
        before = text[max(0, start - 40):start]
        cue = bool(_PHONE_CUES.search(before[-30:]))
        if _NOT_PHONE_CUES.search(before):
            continue
        if _phone_ok(digits, language, cue):
            yield start, end, "PHONE", 0.8 if cue else 0.6


_PIECE = re.compile(r"[A-Za-z0-9]+")
_CF_CUES = re.compile(r"\b(codice\s+fiscale|c\.?\s?f\.?|fiscal\s+code|tax\s+code)\b", re.IGNORECASE)
_SEPARATORS = " -./,"


def _glued(gap: str) -> bool:
    """Whether two pieces with `gap` between them are read as one code ("DE 136.695, 976")."""
    return not gap.strip(_SEPARATORS) and len(gap) <= 3


def _vat_kind(text: str, norm: Normalised, pieces: list[tuple[int, int, str]], i: int, j: int,
              upper: str) -> float | None:
    """The score of pieces i..j (glued: `upper`) as a VAT number, or None.

    A partita IVA (11 digits) needs a cue or must not be a possible phone number; a UK
    number of 9 digits needs its GB prefix or a cue. Any other country's number counts with
    its prefix (a lower-case prefix said apart, like "de" or "se", only with a cue near),
    without it only right after a VAT cue; a code that runs on in more digits, or comes
    after an order, invoice or bank word, is not one.
    """
    orig_start, orig_end = norm.to_original(pieces[i][0], pieces[j][1])
    if re.fullmatch(r"(IT)?\d{11}", upper) and valid_it_vat(upper):
        if _vat_ok(text, orig_start, upper):
            return 0.85 if cue_before(text, orig_start) else 0.5
        return None
    if re.fullmatch(r"(GB)?\d{9}", upper) and valid_gb_vat(upper):
        if upper.startswith("GB") or cue_before(text, orig_start) or cue_after(text, orig_end):
            return 0.85
        return None
    if _digits_go_on(norm, pieces, i, j) or order_before(text, orig_start):
        return None
    if prefixed_vat_country(upper):
        prefix = text[orig_start:orig_start + 2]
        said_apart = pieces[i][2].isalpha() and prefix.islower()
        if not said_apart or cue_before(text, orig_start, 60) or cue_after(text, orig_end):
            return 0.85
        return None
    if cue_right_before(text, orig_start) and unprefixed_vat_countries(upper):
        could_be_phone = upper.isdigit() and (_phone_ok(upper, "en", cue=False) or _phone_ok(upper, "it", cue=False))
        return 0.85 if not could_be_phone or cue_right_before(text, orig_start, strict=True) else None
    return None


def _digits_go_on(norm: Normalised, pieces: list[tuple[int, int, str]], i: int, j: int) -> bool:
    """Whether pieces i..j sit inside a longer run of digits (part of an IBAN, a phone, an order number)."""
    if j + 1 < len(pieces) and _glued(norm.text[pieces[j][1]:pieces[j + 1][0]]) and pieces[j + 1][2][0].isdigit():
        return True
    return (pieces[i][2][0].isdigit() and i > 0 and _glued(norm.text[pieces[i - 1][1]:pieces[i][0]])
            and pieces[i - 1][2][-1].isdigit())


def glued_codes(text: str, language: str, norm: Normalised | None = None) -> Iterator[Found]:
    """IBANs, codici fiscali and VAT numbers written in pieces, digits possibly said as words.

    Consecutive alphanumeric pieces (of the number-normalised text) are glued and each
    prefix checked: 16 characters against the codice fiscale checksum, an IBAN's length
    against its mod-97 check, and VAT numbers of the EU, the UK, Switzerland and Norway
    against their country's checksum (`_vat_kind`).
    """
    norm = norm or normalise_numbers(text, language)
    pieces = [(m.start(), m.end(), m.group()) for m in _PIECE.finditer(norm.text)]
    taken_until = -1
    for i, (p_start, _p_end, _first) in enumerate(pieces):
        if p_start < taken_until:
            continue
        glued = ""
        best: tuple[int, str, float] | None = None
        for j in range(i, min(i + 40, len(pieces))):
            if j > i and not _glued(norm.text[pieces[j - 1][1]:pieces[j][0]]):
                break
            glued += pieces[j][2]
            upper = glued.upper()
            if len(upper) > 34:
                break
            kind = None
            if len(upper) == 16 and valid_fiscal_code(upper):
                kind = ("FISCAL_CODE", 0.9)
            elif len(upper) >= 15 and upper[:2].isalpha() and valid_iban(upper):
                kind = ("IBAN", 0.9)
            elif 8 <= len(upper) <= 16 and sum(ch.isdigit() for ch in upper) >= 7:
                score = _vat_kind(text, norm, pieces, i, j, upper)
                if score is not None:
                    kind = ("VAT", score)
            if kind is not None:
                best = (pieces[j][1], kind[0], kind[1])
        if best is not None:
            end_norm, entity, score = best
            start, end = norm.to_original(p_start, end_norm)
            taken_until = end_norm
            yield start, end, entity, score
