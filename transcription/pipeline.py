"""Transcribe one recording: probe, decode, recognise, package as a Transcript."""

from __future__ import annotations

import os
from pathlib import Path

from .audio import load_audio, probe_audio
from .engines import SAMPLE_RATE, AsrEngine, FasterWhisperEngine
from .errors import AudioTooLong
from .models import default_cache_dir, prepare_models, set_offline_env
from .schema import Progress, Segment, Transcript

NO_SPEECH_WARNING = (
    "No speech was found in this recording. Check that it is the right file and that "
    "the microphone was on; you can still add notes to the interview by hand."
)


def _normalise_language(language: str | None) -> str | None:
    if language is None:
        return None
    language = language.strip().lower()
    return None if language in ("", "auto") else language


def _clip(segments: list[Segment], duration: float) -> list[Segment]:
    """Keep timestamps inside the audio; VAD padding can overshoot the end slightly."""
    for seg in segments:
        seg.start = min(max(0.0, seg.start), duration)
        seg.end = min(max(seg.start, seg.end), duration)
        for word in seg.words:
            word.start = min(max(0.0, word.start), duration)
            word.end = min(max(word.start, word.end), duration)
    return segments


def transcribe(
    path: str | os.PathLike[str],
    *,
    language: str | None = None,
    engine: AsrEngine | None = None,
    model_dir: Path | None = None,
    max_duration: float | None = None,
    progress: Progress | None = None,
) -> Transcript:
    """Transcribe the audio file at `path`.

    language None or "auto" detects it. Without `engine`, faster-whisper runs on
    `model_dir` (default: the packaged Whisper base, assembled in the model cache).
    Raises UnsupportedAudio, EmptyAudio, AudioTooLong or ModelUnavailable.
    """
    report = progress or (lambda step, done, of: None)
    report("decoding", 0, 1)
    info = probe_audio(path)
    if max_duration is not None and info.duration > max_duration:
        raise AudioTooLong(
            f"This recording lasts {info.duration / 60:.1f} minutes; the limit is "
            f"{max_duration / 60:.1f}. Split it into shorter parts and upload each one."
        )
    audio = load_audio(path, sample_rate=SAMPLE_RATE, mono=True)
    report("decoding", 1, 1)

    if engine is None:
        set_offline_env()
        folder = model_dir if model_dir is not None else prepare_models(default_cache_dir())
        engine = FasterWhisperEngine(str(folder))
    duration = round(len(audio) / SAMPLE_RATE, 3)
    detected, segments = engine.transcribe(
        audio, language=_normalise_language(language), progress=progress
    )
    warnings = [] if segments else [NO_SPEECH_WARNING]
    return Transcript(
        language=detected,
        duration=duration,
        segments=_clip(segments, duration),
        engine=engine.name,
        warnings=warnings,
    )
