"""Fake speech engines with canned output, so workbench tests run without model weights."""

from __future__ import annotations

import time
from typing import ClassVar

import numpy as np

from transcription.schema import Segment, Word

CANNED = [
    ("SPEAKER_00", "How likely are you to recommend us, from zero to ten?"),
    ("SPEAKER_01", "I would say an eight, because the account manager always answers."),
    ("SPEAKER_00", "What should we improve first?"),
    ("SPEAKER_01", "Invoices arrive late and often with errors."),
]


def canned_segments(duration: float, count: int | None = None) -> list[Segment]:
    lines = CANNED if count is None else [CANNED[i % len(CANNED)] for i in range(count)]
    step = max(duration, 0.4) / len(lines)
    segments = []
    for number, (speaker, text) in enumerate(lines):
        start = round(number * step, 3)
        end = round(start + step * 0.9, 3)
        words = text.split()
        span = (end - start) / len(words)
        segments.append(Segment(start=start, end=end, text=text, speaker=speaker, words=[
            Word(start=round(start + i * span, 3), end=round(start + (i + 1) * span, 3), word=w, probability=0.9)
            for i, w in enumerate(words)
        ]))
    return segments


class FakeEngine:
    """Instant transcription: the canned conversation spread over the audio."""

    name = "fake"
    hints_seen: ClassVar[list] = []  # the DecodingHints of each call, for tests of what the job passes

    def transcribe(self, audio: np.ndarray, *, language: str | None, progress=None, hints=None):
        FakeEngine.hints_seen.append(hints)
        duration = len(audio) / 16000
        if progress:
            progress("transcribing", 1, 1)
        return language or "en", canned_segments(duration)


class SlowEngine:
    """Takes a few seconds, reporting progress, so a test can kill the worker mid-job."""

    name = "slow-fake"
    steps = 20
    pause = 0.25

    def transcribe(self, audio: np.ndarray, *, language: str | None, progress=None, hints=None):
        for done in range(self.steps):
            if progress:
                progress("transcribing", done, self.steps)
            time.sleep(self.pause)
        if progress:
            progress("transcribing", self.steps, self.steps)
        return language or "en", canned_segments(len(audio) / 16000, count=12)


class FakeEmbedder:
    """Deterministic bag-of-words vectors (hashed words), so coding runs in tests without model weights."""

    name = "fake-bow"
    dim = 256

    def embed(self, texts, *, kind: str = "query"):
        import re
        import zlib

        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", str(text).lower()):
                vectors[row, zlib.crc32(word.encode()) % self.dim] += 1.0
                if len(word) > 4:  # a crude stem, so "invoices" and "invoice" meet
                    vectors[row, zlib.crc32(word[:5].encode()) % self.dim] += 0.5
            vectors[row, 0] += 0.1  # never an all-zero vector
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
