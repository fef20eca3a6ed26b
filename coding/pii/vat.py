"""VAT numbers of every EU member state, the UK, Switzerland and Norway, checked by python-stdnum.

A number with its country prefix ("DE 136 695 976", "ATU13585627", "CHE-116.281.710 MWST",
"NO 995 525 828 MVA") counts when its checksum holds. A number without its prefix counts
only right after a VAT cue ("USt-IdNr.", "numéro de TVA", "BTW-nummer", "VAT number is"),
and still only when the checksum of some country holds.
"""

from __future__ import annotations

import functools
import re
import types

# Words that name a VAT number, in the languages a European customer may use on a call.
VAT_CUE = (
    r"partita\s+iva|p\.?\s?iva|piva|codice\s+iva|numero\s+iva|iva\s+intracomunitaria|"
    r"vat(?:\s+(?:reg(?:istration)?|registration|id(?:entification)?))?(?:\s+(?:number|no|nr|num|code|id))?|"
    r"tax\s+number|ust[-\s.]?id(?:[-\s.]?(?:nr|nummer))?\.?|umsatzsteuer[-\s]?id(?:entifikationsnummer)?|"
    r"mwst(?:[-\s]?nr)?|mva|(?:num[ée]ro\s+(?:de\s+)?)?tva(?:\s+intracommunautaire)?|nif(?:-iva)?|cif|"
    r"btw(?:[-\s]?(?:nummer|nr))?|uid[-\s]?(?:nummer|number|nr)|n[º°]?\s?iva"
)
_CUE_BEFORE = re.compile(rf"\b(?:{VAT_CUE})(?![\w])", re.IGNORECASE)
# After a cue, at most three words (no digits) may stand before the number: "USt-IdNr.: ",
# "VAT number is ", "partita IVA spagnola ".
_LINK = re.compile(r"^[\s:.,#'’-]*(?:[^\W\d_]+[\s:.,#'’-]+){0,3}$")
# ... and only linking words when the number could also be a phone number.
_LINK_STRICT = re.compile(
    r"^[\s:.,#-]*(?:(?:is|è|ist|est|es|number|numero|nummer|n[º°]?|no|nr|the|our|their|la|il|nostra|loro|"
    r"sua|de|di|del|of)[\s:.,#-]+){0,4}$", re.IGNORECASE)
_CUE_AFTER = re.compile(
    r"^[\s,.]*(?:is|è|was|are|as)?\s*(?:our|my|the|their|la\s+nostra|la\s+mia|la)?\s*(?:VAT|partita\s+iva|p\.?\s?iva|"
    r"USt-IdNr|TVA|BTW|MWST|MVA)\b", re.IGNORECASE)
# A code right after these words ("order number", "fattura n.") is an order, an invoice or a bank detail, not a VAT
# number.
_NOT_VAT_BEFORE = re.compile(
    r"\b(?:ordine|order|fattura|invoice|tracking|spedizione|shipment|ticket|pratica|riferimento|reference|ref|"
    r"sku|articolo|item|lotto|batch|serial|seriale|contratto|contract|iban|conto|account|telefono|phone|"
    r"cellulare|mobile)(?:[\s:#.,-]+(?:n[°º]?|no|nr|num|number|numero|code|codice|id|is|è|was|era|the|il|di|of))*"
    r"[\s:#.,-]*$", re.IGNORECASE)

# Country prefixes, as written before the number ("EL" is Greece's, "XI" Northern Ireland's).
_EU_PREFIXES = frozenset(("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "GR", "HR", "HU",
                          "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI"))
_PREFIXED = re.compile(r"(?:CHE|[A-Z]{2})[0-9A-Z]{7,13}")
_UNPREFIXED = re.compile(r"[0-9A-Z]{8,14}")


@functools.cache
def _stdnum() -> tuple[types.ModuleType, ...]:  # the validators, imported on first use
    from stdnum.ch import uid as ch_uid
    from stdnum.ch import vat as ch_vat
    from stdnum.eu import vat as eu_vat
    from stdnum.gb import vat as gb_vat
    from stdnum.no import mva as no_mva
    from stdnum.no import orgnr as no_orgnr

    return eu_vat, gb_vat, ch_vat, ch_uid, no_mva, no_orgnr


def _digits(value: str) -> int:
    return sum(ch.isdigit() for ch in value)


def prefixed_vat_country(value: str) -> str | None:
    """The country of `value` ("DE136695976", "CHE116281710MWST") when it is a valid VAT number with its prefix."""
    value = value.upper()
    if not _PREFIXED.fullmatch(value) or _digits(value) < 7:
        return None
    eu_vat, gb_vat, ch_vat, ch_uid, no_mva, no_orgnr = _stdnum()
    if value.startswith("CHE"):
        return "CH" if ch_vat.is_valid(value) or ch_uid.is_valid(value) else None
    country = value[:2]
    if country == "GB":
        return "GB" if _digits(value) >= 9 and gb_vat.is_valid(value) else None
    if country == "NO":
        return "NO" if no_mva.is_valid(value) or no_orgnr.is_valid(value[2:]) else None
    if country in _EU_PREFIXES:
        return country if eu_vat.is_valid(value) else None
    return None


def unprefixed_vat_countries(value: str) -> list[str]:
    """The countries whose VAT checksum `value` (a number without its prefix) satisfies."""
    value = value.upper()
    if not _UNPREFIXED.fullmatch(value) or _digits(value) < 7 or value[:2] in _EU_PREFIXES:
        return []
    eu_vat, gb_vat, _ch_vat, _ch_uid, no_mva, no_orgnr = _stdnum()
    countries = [cc.upper() for cc in eu_vat.guess_country(value)]
    if value.isdigit() and len(value) in (9, 12) and gb_vat.is_valid(value):
        countries.append("GB")
    if no_mva.is_valid(value) or (value.isdigit() and no_orgnr.is_valid(value)):
        countries.append("NO")
    return countries


def valid_it_vat(value: str) -> bool:
    """A partita IVA: 11 digits, "IT" before them or not, its check digit right (stdnum.it.iva)."""
    from stdnum.it import iva

    digits = value.upper().removeprefix("IT")
    return bool(re.fullmatch(r"\d{11}", digits)) and iva.is_valid(digits)


def valid_gb_vat(value: str) -> bool:
    """A UK VAT number of 9 digits, "GB" before them or not (weighted sum mod 97, old and post-2010 schemes)."""
    digits = value.upper().removeprefix("GB")
    return bool(re.fullmatch(r"\d{9}", digits)) and _stdnum()[1].is_valid(digits)


def cue_before(text: str, start: int, window: int = 40) -> bool:
    """Whether a VAT cue stands in the `window` characters before `start` (anywhere in them)."""
    return bool(_CUE_BEFORE.search(text[max(0, start - window):start]))


def cue_right_before(text: str, start: int, *, strict: bool = False) -> bool:
    """Whether a VAT cue stands just before `start`: up to three words between ("partita IVA spagnola "),
    or, `strict`, only linking words ("USt-IdNr.: ", "VAT number is ")."""
    before = text[max(0, start - 60):start]
    link = _LINK_STRICT if strict else _LINK
    return any(link.match(before[m.end():]) for m in _CUE_BEFORE.finditer(before))


def cue_after(text: str, end: int) -> bool:
    """Whether the number is named a VAT number just after it ("... is our VAT number")."""
    return bool(_CUE_AFTER.match(text[end:end + 40]))


def order_before(text: str, start: int) -> bool:
    """Whether an order, invoice, bank or phone word stands just before `start`, with no VAT cue after it."""
    before = text[max(0, start - 40):start]
    match = _NOT_VAT_BEFORE.search(before)
    return match is not None and not _CUE_BEFORE.search(before[match.start():])
