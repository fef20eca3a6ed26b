"""Transcribe one recording: probe, decode, recognise, package as a Transcript."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .audio import load_audio, probe_audio
from .engines import SAMPLE_RATE, AsrEngine, DecodingHints, FasterWhisperEngine
from .errors import AudioTooLong
from .models import default_cache_dir, prepare_models, set_offline_env
from .schema import Progress, Segment, Speaker, Transcript, Turn

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


@dataclass(frozen=True)
class SpeakerOptions:
    """How to tell speakers apart: off, a known count (phone interview: 2), or bounds (focus group)."""

    diarize: bool = False
    num_speakers: int | None = None
    min_speakers: int | None = None
    max_speakers: int | None = None
    guide_questions: Sequence[str] = field(default_factory=tuple)


def transcribe(
    path: str | os.PathLike[str],
    *,
    language: str | None = None,
    engine: AsrEngine | None = None,
    model_dir: Path | None = None,
    max_duration: float | None = None,
    speakers: SpeakerOptions | None = None,
    hints: DecodingHints | None = None,
    progress: Progress | None = None,
) -> Transcript:
    """Transcribe the audio file at `path`, and with `speakers.diarize` say who spoke when.

    language None or "auto" detects it. Without `engine`, faster-whisper runs on
    `model_dir` (default: the packaged Whisper base, assembled in the model cache).
    `hints` carry a study's vocabulary (prompt and hotwords) into decoding.
    Split-stereo call recordings (one party per channel) are diarized by channel; other
    audio by pyannote. Words are then assigned to speakers one by one, splitting Whisper
    segments at speaker changes, and the interviewer is told apart from respondents.
    Raises UnsupportedAudio, EmptyAudio, AudioTooLong or ModelUnavailable.
    """
    report = progress or (lambda step, done, of: None)
    speakers = speakers or SpeakerOptions()
    report("decoding", 0, 1)
    info = probe_audio(path)
    if max_duration is not None and info.duration > max_duration:
        raise AudioTooLong(
            f"This recording lasts {info.duration / 60:.1f} minutes; the limit is "
            f"{max_duration / 60:.1f}. Split it into shorter parts and upload each one."
        )
    channels = load_audio(path, sample_rate=SAMPLE_RATE, mono=False)
    audio = channels[0] if channels.shape[0] == 1 else channels.mean(axis=0).astype(np.float32)
    report("decoding", 1, 1)

    if engine is None:
        set_offline_env()
        folder = model_dir if model_dir is not None else prepare_models(default_cache_dir())
        engine = FasterWhisperEngine(str(folder))
    duration = round(len(audio) / SAMPLE_RATE, 3)
    detected, segments = engine.transcribe(
        audio, language=_normalise_language(language), progress=progress, hints=hints
    )
    segments = _clip(segments, duration)
    roles: dict[str, str] = {}
    turns: list[Turn] = []
    if speakers.diarize and segments:
        segments, roles, turns = _assign_speakers(channels, audio, segments, speakers, report)
    labels = sorted({seg.speaker for seg in segments if seg.speaker})
    if labels and not roles:  # speakers came with the segments (an engine that labels them itself)
        from .roles import detect_roles

        roles = detect_roles(segments, list(speakers.guide_questions))
    return Transcript(
        language=detected,
        duration=duration,
        segments=segments,
        speakers=[Speaker(id=label, role=roles.get(label, "unknown")) for label in labels],
        engine=engine.name,
        warnings=[] if segments else [NO_SPEECH_WARNING],
        turns=turns,
    )


def _assign_speakers(channels: np.ndarray, audio: np.ndarray, segments: list[Segment], options: SpeakerOptions,
                     report: Progress) -> tuple[list[Segment], dict[str, str], list[Turn]]:
    from .alignment import assign_word_speakers, join_cut_sentences, mark_overlaps
    from .diarization import diarize, diarize_channels, looks_like_split_stereo
    from .roles import detect_roles

    if channels.shape[0] == 2 and looks_like_split_stereo(channels):
        report("diarizing", 0, 1)
        turns = diarize_channels(channels)
        report("diarizing", 1, 1)
    else:
        turns = diarize(audio, num_speakers=options.num_speakers, min_speakers=options.min_speakers,
                        max_speakers=options.max_speakers, progress=report)
    report("aligning", 0, 1)
    if turns:
        segments = join_cut_sentences(mark_overlaps(assign_word_speakers(segments, turns), turns))
    roles = detect_roles(segments, list(options.guide_questions))
    report("aligning", 1, 1)
    return segments, roles, turns
