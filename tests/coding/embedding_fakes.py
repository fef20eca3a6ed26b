"""A fake sentence embedder for coding tests: bags of hashed word stems, no model weights.

Texts that share words get similar vectors, so codes, themes and clauses can be matched
by vocabulary; the real model's tests are marked `models`.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

import numpy as np

DIM = 96
_WORD = re.compile(r"\w+")
_IGNORED = frozenset(
    "the a an and or of to is are was were it this that we you they i our your their in on for with be been very but "
    "il lo la le gli un una di da e è ma per con che non".split()
)


def _word_vector(stem: str) -> np.ndarray:
    return np.random.default_rng(zlib.crc32(stem.encode("utf-8"))).standard_normal(DIM)


class FakeEmbedder:
    """embed(texts, kind=...) -> normalised sums of word vectors; counts its calls."""

    name = "fake-bag-of-words"
    dim = DIM

    def __init__(self) -> None:
        self.calls = 0
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str], *, kind: str = "query") -> np.ndarray:
        self.calls += 1
        self.texts.extend(texts)
        out = np.zeros((len(texts), DIM))
        for row, text in enumerate(texts):
            words = [w for w in _WORD.findall(text.lower()) if w not in _IGNORED]
            for word in words:
                out[row] += _word_vector(word[:5])  # crude stemming: deliveries ~ delivery
            out[row] += 0.05 * _word_vector("__bias__")
        return out / np.linalg.norm(out, axis=1, keepdims=True)
