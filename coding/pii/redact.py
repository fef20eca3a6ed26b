"""Replace detected spans by typed placeholders."""

from __future__ import annotations

from collections.abc import Iterable

from .entities import placeholder


def merge_spans(spans: Iterable[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Sorted, non-overlapping spans: overlapping or touching spans become one.

    The merged span keeps the entity type of its longest part (the first, on a tie), so
    "mario.rossi@acme.it" found as EMAIL and "mario" as PERSON stays one [EMAIL].
    """
    ordered = sorted((s, e, t) for s, e, t in spans if e > s)
    merged: list[tuple[int, int, str, int]] = []  # start, end, type, length of the type's part
    for start, end, entity in ordered:
        if merged and start <= merged[-1][1]:
            m_start, m_end, m_entity, m_len = merged[-1]
            if end - start > m_len:
                m_entity, m_len = entity, end - start
            merged[-1] = (m_start, max(m_end, end), m_entity, m_len)
        else:
            merged.append((start, end, entity, end - start))
    return [(s, e, t) for s, e, t, _ in merged]


def redact_text(text: str, spans: Iterable[tuple[int, int, str]], language: str) -> str:
    """`text` with each (start, end, entity) span replaced by `placeholder(entity, language)`.

    Overlapping spans are merged first; spans are clipped to the text.
    """
    clipped = [(max(0, s), min(len(text), e), t) for s, e, t in spans]
    pieces = []
    cursor = 0
    for start, end, entity in merge_spans(clipped):
        pieces.append(text[cursor:start])
        pieces.append(placeholder(entity, language))
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)
