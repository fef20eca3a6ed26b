"""Personal data in transcripts: detection (Presidio recognisers, spoken forms, names) and redaction.

    from coding.pii import PiiEntity, detect_pii, redact_text, placeholder, ENTITY_TYPES

Importing this package loads nothing heavy: Presidio, phonenumbers, the name lists and
spaCy load on the first `detect_pii` call, once per process.
"""

from __future__ import annotations

from .detect import detect_pii
from .entities import ENTITY_TYPES, PiiEntity, placeholder
from .redact import merge_spans, redact_text

__all__ = ["ENTITY_TYPES", "PiiEntity", "detect_pii", "merge_spans", "placeholder", "redact_text"]
