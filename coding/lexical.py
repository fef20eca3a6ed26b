"""Lexical evidence for coding: a text's content lemmas found in a code's own wording.

    content_lemmas(text, lang) -> list[str]      folded lemmas (simplemma) without stop words
    topic_clauses(text, lang) -> list[str]       sentences and sides of a contrast

A code's lexicon holds the lemmas of its name, definition and examples (weights _LEX_*);
`_lexical_matrix` scores texts against such lexicons with a noisy-or.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import numpy as np

_TOKEN = re.compile(r"[^\W\d_]+", re.UNICODE)


def _lemma_language(lang: str) -> str:
    return "it" if str(lang).lower().startswith("it") else "en"


@functools.lru_cache(maxsize=200_000)
def _lemma(word: str, lang: str) -> str:
    import simplemma

    from .language import fold

    return fold(simplemma.lemmatize(word, lang=lang).lower())


@functools.cache
def _stops(lang: str) -> frozenset[str]:
    from .language import fold, stop_words

    return frozenset(fold(w) for w in stop_words(lang))


def content_lemmas(text: str, lang: str) -> list[str]:
    """The text's content words as folded lemmas (simplemma), stop words and short words out."""
    lang = _lemma_language(lang)
    stops = _stops(lang)
    out = []
    for word in _TOKEN.findall(text.replace("’", "'").lower()):
        if len(word) < 3:
            continue
        lemma = _lemma(word, lang)
        if len(lemma) >= 3 and lemma not in stops and word not in stops:
            out.append(lemma)
    return out


_TOPIC_BREAK = re.compile(
    r"[.;!?]+\s+|,?\s*\b(?:but|though|although|however|whereas|while|ma|però|pero|tuttavia|"
    r"mentre|invece|eppure)\b", re.IGNORECASE)


def topic_clauses(text: str, lang: str) -> list[str]:
    """The parts of a text that may each be about a theme of their own: sentences, and the
    sides of a contrast ("ma", "però", "but", "though"). Parts with fewer than two content
    words join no count; a text with fewer than two parts is returned whole."""
    parts = [p.strip(" ,;:-") for p in _TOPIC_BREAK.split(text)]
    parts = [p for p in parts if len(content_lemmas(p, lang)) >= 2]
    return parts if len(parts) > 1 else [text]


# Weights of a lemma by where it occurs in a code's wording (the highest counts).
_LEX_NAME, _LEX_DEFINITION, _LEX_EXAMPLE, _LEX_CHILD = 1.0, 0.7, 0.35, 0.5


# Words of any verdict, about any theme ("nel complesso bene", "always good", "ogni anno"),
# and goods, which every delivery carries: no evidence for one code (in the starter codebook
# "merce" named only "Merce danneggiata", so "la merce arriva tardi" became damaged goods).
_GENERIC_LEMMAS = frozenset((
    "complesso", "generale", "generalmente", "overall", "general", "generally", "sempre",
    "always", "mai", "never", "bene", "well", "good", "buono", "ottimo", "excellent", "great",
    "really", "davvero", "molto", "very", "anno", "year", "mese", "month", "volta", "ogni",
    "every", "problema", "problem", "nessuno", "nothing", "niente", "merce", "goods",
))


def _add_lemmas(weights: dict[str, float], words: str, lang: str, weight: float) -> None:
    for lemma in content_lemmas(words, lang):
        if lemma not in _GENERIC_LEMMAS:
            weights[lemma] = max(weights.get(lemma, 0.0), weight)


def _lexical_matrix(text_lemmas: Sequence[set[str]], code_weights: Sequence[dict[str, float]]
                    ) -> np.ndarray:
    """(texts, codes) noisy-or of the weights of each code's lemmas found in each text."""
    L = np.zeros((len(text_lemmas), len(code_weights)), dtype=np.float32)
    for j, weights in enumerate(code_weights):
        if not weights:
            continue
        for i, lemmas in enumerate(text_lemmas):
            miss = 1.0
            for lemma in lemmas:
                w = weights.get(lemma)
                if w:
                    miss *= 1.0 - w
            L[i, j] = 1.0 - miss
    return L
