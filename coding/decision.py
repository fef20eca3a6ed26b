"""What the coders share: languages per text, guide questions as a prior, and the top-down
decision of themes then sub-codes from per-code confidences and thresholds."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .errors import CodingError

Prediction = list[tuple[str, float]]
# The guide question as a prior: how much it can raise a confidence, and how much evidence
# of its own (a share of the code's threshold) the answer needs before it is raised at all.
QUESTION_BOOST = 0.12
QUESTION_FLOOR = 0.6


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


def resolve_languages(texts: Sequence[str], lang: str | Sequence[str | None] | None,
                      default: str = "en") -> list[str]:
    """One language code per text: given, given per text, or detected."""
    if isinstance(lang, str):
        return [lang] * len(texts)
    if lang is not None:
        langs = list(lang)
        if len(langs) != len(texts):
            raise CodingError(
                f"Got {len(langs)} languages for {len(texts)} texts; give one per text, "
                "a single language, or None to detect them."
            )
        if all(item for item in langs):
            return [str(item) for item in langs]
    from .language import detect_language

    given = list(lang) if lang is not None else [None] * len(texts)
    return [str(g) if g else detect_language(t, default=default) for t, g in zip(texts, given, strict=True)]


def _check_questions(questions: Sequence[str | None] | None, n: int) -> list[str] | None:
    if questions is None:
        return None
    cleaned = [str(q or "").strip() for q in questions]
    if len(cleaned) != n:
        raise CodingError(f"Got {len(cleaned)} questions for {n} texts; give one per text "
                          "(None for an answer with no known question), or leave questions out.")
    return cleaned if any(cleaned) else None


def _parent_index(paths: Sequence[str]) -> np.ndarray:
    """For each path, the index of its nearest ancestor among `paths` (-1: a top code)."""
    where = {p: i for i, p in enumerate(paths)}
    parents = np.full(len(paths), -1, dtype=np.int64)
    for i, path in enumerate(paths):
        head = path
        while "/" in head:
            head = head.rsplit("/", 1)[0]
            if head in where:
                parents[i] = where[head]
                break
    return parents


def _decide(P: np.ndarray, thresholds: np.ndarray, paths: Sequence[str], parents: np.ndarray,
            assignable: np.ndarray, max_codes: int | None) -> list[Prediction]:
    """Themes first (best first, at most `max_codes`), then each theme's best sub-code that
    clears its own threshold; a theme with no such sub-code is given itself if assignable."""
    children: dict[int, list[int]] = {}
    for k, parent in enumerate(parents):
        children.setdefault(int(parent), []).append(k)
    tops = children.get(-1, [])

    def descend(j: int, row: np.ndarray) -> tuple[str, float] | None:
        subs = [k for k in children.get(j, []) if row[k] >= thresholds[k]]
        for k in sorted(subs, key=lambda k: (-row[k], paths[k])):
            found = descend(k, row)
            if found is not None:
                return found
        return (paths[j], float(row[j])) if assignable[j] else None

    out = []
    for row in P:
        chosen: Prediction = []
        themes = sorted((j for j in tops if row[j] >= thresholds[j]),
                        key=lambda j: (-row[j], paths[j]))
        for j in themes:
            found = descend(j, row)
            if found is not None:
                chosen.append(found)
            if max_codes and len(chosen) >= max_codes:
                break
        chosen.sort(key=lambda item: (-item[1], item[0]))
        out.append(chosen)
    return out


def _apply_question_prior(P: np.ndarray, thresholds: np.ndarray, relevance: np.ndarray | None,
                          mentioned: np.ndarray | None = None) -> np.ndarray:
    """Raise a code's confidence by up to QUESTION_BOOST when the question names it and the
    answer already has evidence for it: a confidence of at least QUESTION_FLOOR times the
    threshold and (`mentioned`, when given) the answer's own zero-shot evidence for the
    code. A code without such evidence is never touched."""
    if relevance is None:
        return P
    supported = P >= QUESTION_FLOOR * thresholds[None, :]
    if mentioned is not None:
        supported &= mentioned
    raised = np.minimum(1.0, P + QUESTION_BOOST * relevance)
    return np.where(supported, raised, P)
