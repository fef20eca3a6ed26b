"""The real Whisper base model on the JFK clip (opt out with -m 'not models')."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from transcription import prepare_models, transcribe

JFK = Path(__file__).parents[2].parent / "shared" / "data" / "asr" / "audio" / "en_whisper_jfk.wav"


@pytest.mark.models
def test_jfk_clip_is_transcribed_with_word_timestamps(model_cache: Path) -> None:
    if not JFK.is_file():
        pytest.skip(f"shared test clip not found at {JFK} (../shared/data from the repo root)")
    model_dir = prepare_models(model_cache)
    steps: list[tuple[str, int, int]] = []

    started = time.perf_counter()
    result = transcribe(JFK, model_dir=model_dir, progress=lambda *a: steps.append(a))
    elapsed = time.perf_counter() - started

    text = re.sub(r"[^\w\s]", "", result.text.lower())
    text = re.sub(r"\s+", " ", text)
    assert "ask not what your country can do for you" in text
    assert result.language == "en" and result.engine == "faster-whisper"
    words = [w for s in result.segments for w in s.words]
    assert len(words) >= 20
    assert all(0 <= w.start <= w.end <= result.duration for w in words)
    assert words[-1].end > 8.0
    assert steps[-1] == ("transcribing", 11, 11)
    print(f"JFK 11 s clip transcribed in {elapsed:.1f} s")


@pytest.mark.models
def test_batched_decoding_hears_the_same_words(model_cache: Path) -> None:
    if not JFK.is_file():
        pytest.skip(f"shared test clip not found at {JFK} (../shared/data from the repo root)")
    from transcription.audio import load_audio
    from transcription.engines import FasterWhisperEngine

    model_dir = str(prepare_models(model_cache))
    audio = load_audio(JFK)
    steps: list[tuple[str, int, int]] = []
    _, one_by_one = FasterWhisperEngine(model_dir).transcribe(audio, language="en", progress=None)
    _, batched = FasterWhisperEngine(model_dir, batch_size=4).transcribe(
        audio, language="en", progress=lambda *a: steps.append(a))

    def words(segments: list) -> list[str]:
        return [re.sub(r"[^\w]", "", w.word.lower()) for s in segments for w in s.words]

    assert words(batched) == words(one_by_one)
    assert steps[-1] == ("transcribing", 11, 11)
    assert all(0 <= w.start <= w.end <= 11.1 for s in batched for w in s.words)
