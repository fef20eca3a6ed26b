"""The typed values of personal-data detection: entity types, `PiiEntity`, placeholders."""

from __future__ import annotations

from dataclasses import dataclass

ENTITY_TYPES: tuple[str, ...] = (
    "PERSON", "EMAIL", "PHONE", "IBAN", "FISCAL_CODE", "VAT", "ADDRESS", "BIRTH_DATE",
)

_PLACEHOLDERS = {
    "it": {
        "PERSON": "NOME", "EMAIL": "EMAIL", "PHONE": "TELEFONO", "IBAN": "IBAN",
        "FISCAL_CODE": "CODICE FISCALE", "VAT": "PARTITA IVA", "ADDRESS": "INDIRIZZO",
        "BIRTH_DATE": "DATA DI NASCITA",
    },
    "en": {
        "PERSON": "NAME", "EMAIL": "EMAIL", "PHONE": "PHONE", "IBAN": "IBAN",
        "FISCAL_CODE": "TAX CODE", "VAT": "VAT NUMBER", "ADDRESS": "ADDRESS",
        "BIRTH_DATE": "DATE OF BIRTH",
    },
}


@dataclass(frozen=True)
class PiiEntity:
    """One piece of personal data: `text[start:end]`, its entity type and a 0-1 score."""

    start: int
    end: int
    entity: str
    score: float
    text: str

    def to_dict(self) -> dict[str, object]:
        return {"start": self.start, "end": self.end, "entity": self.entity,
                "score": self.score, "text": self.text}


def _language(language: str) -> str:
    code = (language or "").strip().lower().replace("_", "-").split("-")[0]
    return "en" if code in ("en", "eng", "english", "inglese") else "it"


def placeholder(entity: str, language: str) -> str:
    """The typed placeholder for `entity`: "[TELEFONO]" in Italian, "[PHONE]" in English.

    An unknown entity type gets a generic "[DATO PERSONALE]" / "[PERSONAL DATA]".
    """
    lang = _language(language)
    label = _PLACEHOLDERS[lang].get(entity.upper())
    if label is None:
        label = "DATO PERSONALE" if lang == "it" else "PERSONAL DATA"
    return f"[{label}]"
