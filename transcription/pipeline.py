"""Transcribe one recording: probe, decode, recognise, package as a Transcript."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .audio import iter_windows, load_mono_with_stereo_sample, probe_audio
from .engines import SAMPLE_RATE, AsrEngine, DecodingHints, FasterWhisperEngine
from .errors import AudioTooLong
from .glossary import Glossary, respell
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
        if seg.start is not None and seg.end is not None:  # an engine's segments always are timed
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
    glossary: Glossary | None = None,
    progress: Progress | None = None,
) -> Transcript:
    """Transcribe the audio file at `path`, and with `speakers.diarize` say who spoke when.

    language None or "auto" detects it. Without `engine`, faster-whisper runs on
    `model_dir` (default: the packaged Whisper base, assembled in the model cache).
    `hints` carry a study's vocabulary (prompt and hotwords) into decoding; `glossary`
    then fixes the spelling of its terms in the text and the words (`glossary.respell`).
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
    # Mono, decoded piece by piece and counted as it goes (a header can understate the
    # length); a two-channel file keeps only a sample of both sides, to spot a split call.
    audio, stereo_sample = load_mono_with_stereo_sample(
        path, sample_rate=SAMPLE_RATE, max_duration=max_duration
    )
    report("decoding", 1, 1)

    if engine is None:
        set_offline_env()
        folder = model_dir if model_dir is not None else prepare_models(default_cache_dir())
        engine = FasterWhisperEngine(str(folder))
    duration = round(len(audio) / SAMPLE_RATE, 3)
    split_stereo = speakers.diarize and _is_split_stereo(stereo_sample)
    # pyannote needs only the audio, so it runs on the second core while Whisper decodes
    # (both release the GIL in their native code); its progress is reported once ASR ends,
    # from this thread, since a job's progress hook may not be thread-safe.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="diarization") as pool:
        pending = (pool.submit(_pyannote_turns, audio, speakers, _quiet)
                   if speakers.diarize and not split_stereo else None)
        detected, segments = _recognise(engine, audio, _normalise_language(language), hints, report)
        if pending is not None:
            report("diarizing", 0, 1)
            pyannote_turns = pending.result()
            report("diarizing", 1, 1)
    segments = _clip(segments, duration)
    roles: dict[str, str] = {}
    turns: list[Turn] = []
    if speakers.diarize and segments:
        if split_stereo:
            del audio  # the two channels take its place: never both whole at once
            turns = _channel_turns(path, max_duration, report)
        else:
            turns = pyannote_turns
        segments, roles = _align(segments, turns, speakers, report)
    if glossary:
        segments = respell(segments, glossary, language=detected)
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


# Whisper computes the features of all the audio it is given at once (gigabytes for hours
# of it; 0.5 GB for ten minutes), so long recordings go to the engine in windows of about
# five minutes, each cut at the quietest half second of the 30 s before its end: in a
# pause, not mid-word.
ASR_WINDOW_SECONDS = 300.0
CUT_SEARCH_SECONDS = 30.0
_CUT_FRAME = 320  # samples: 20 ms energy frames
_CUT_PAUSE_FRAMES = 25  # energy averaged over 0.5 s, so a pause wins over a plosive's gap


def _quietest_point(audio: np.ndarray, start: int, end: int) -> int:
    """Sample index in the middle of the quietest half second of audio[start:end]."""
    n = (end - start) // _CUT_FRAME
    frames = audio[start:start + n * _CUT_FRAME].reshape(n, _CUT_FRAME)
    energy = np.einsum("ij,ij->i", frames, frames, dtype=np.float64)
    width = min(_CUT_PAUSE_FRAMES, n)
    smooth = np.convolve(energy, np.ones(width), mode="valid")
    return start + (int(np.argmin(smooth)) + width // 2) * _CUT_FRAME


def asr_windows(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> list[tuple[int, int]]:
    """(start, end) sample ranges covering `audio`, of at most ASR_WINDOW_SECONDS plus
    CUT_SEARCH_SECONDS, cut in pauses; a recording that short is one window."""
    size, search = int(ASR_WINDOW_SECONDS * sample_rate), int(CUT_SEARCH_SECONDS * sample_rate)
    windows: list[tuple[int, int]] = []
    start = 0
    while len(audio) - start > size + search:
        cut = _quietest_point(audio, start + size - search, start + size)
        windows.append((start, cut))
        start = cut
    windows.append((start, len(audio)))
    return windows


def _recognise(engine: AsrEngine, audio: np.ndarray, language: str | None,
               hints: DecodingHints | None, report: Progress) -> tuple[str, list[Segment]]:
    """Run the engine window by window, timestamps shifted to the recording's clock.

    Progress stays one monotonic ("transcribing", seconds, total) over all windows. With no
    language given, the first window that holds speech decides it for the rest.
    """
    total = max(1, round(len(audio) / SAMPLE_RATE))
    reached = 0
    extra = {"hints": hints} if hints is not None else {}
    detected: str | None = None
    segments: list[Segment] = []
    for start, end in asr_windows(audio):
        offset, length = start / SAMPLE_RATE, (end - start) / SAMPLE_RATE

        def window_progress(step: str, done: int, of: int, offset: float = offset,
                            length: float = length) -> None:
            nonlocal reached
            if step != "transcribing":
                report(step, done, of)
                return
            at = min(total, round(offset + length * (done / of if of else 0.0)))
            reached = max(reached, at)
            report("transcribing", reached, total)

        found, window = engine.transcribe(audio[start:end], language=language,
                                          progress=window_progress, **extra)
        detected = detected or found
        if language is None and window:
            language = detected = found
        for seg in window:
            _shift(seg, offset)
        segments.extend(window)
    if reached < total:
        report("transcribing", total, total)
    return language or detected or "", segments


def _shift(segment: Segment, offset: float) -> None:
    if not offset:
        return
    if segment.start is not None and segment.end is not None:  # an engine's segments always are timed
        segment.start, segment.end = round(segment.start + offset, 3), round(segment.end + offset, 3)
    for word in segment.words:
        word.start, word.end = round(word.start + offset, 3), round(word.end + offset, 3)


def _is_split_stereo(stereo_sample: np.ndarray | None) -> bool:
    from .diarization import looks_like_split_stereo

    return stereo_sample is not None and looks_like_split_stereo(stereo_sample)


# Split-stereo calls are diarized this much at a time, decoded again window by window:
# both channels of hours of audio, and Silero's copies of them, would not fit the memory.
# Each window is diarized with the end of the one before it in front, so the voice
# detector has warmed up by the boundary.
CHANNEL_WINDOW_SECONDS = 1800.0
CHANNEL_CONTEXT_SECONDS = 10.0
_JOIN_GAP = 0.3  # seconds: a speaker's turns this close across a boundary are one turn


def _channel_turns(path: str | os.PathLike[str], max_duration: float | None,
                   report: Progress) -> list[Turn]:
    from .diarization import diarize_channels

    report("diarizing", 0, 1)
    context = int(CHANNEL_CONTEXT_SECONDS * SAMPLE_RATE)
    turns: list[Turn] = []
    tail: np.ndarray | None = None
    for start, channels in iter_windows(path, seconds=CHANNEL_WINDOW_SECONDS,
                                        sample_rate=SAMPLE_RATE, max_duration=max_duration):
        signal = channels if tail is None else np.concatenate([tail, channels], axis=1)
        origin = start - (signal.shape[1] - channels.shape[1]) / SAMPLE_RATE
        tail = channels[:, -context:].copy()
        del channels
        found = diarize_channels(signal)
        del signal
        for turn in found:
            shifted = Turn(round(turn.start + origin, 3), round(turn.end + origin, 3), turn.speaker)
            if shifted.end <= start:
                continue  # inside the context: the previous window has it
            if shifted.start < start + _JOIN_GAP and _extend_across(turns, shifted):
                continue
            turns.append(shifted)
    report("diarizing", 1, 1)
    return sorted(turns, key=lambda t: (t.start, t.end, t.speaker))


def _extend_across(earlier: list[Turn], turn: Turn) -> bool:
    """Extend the same speaker's earlier turn that meets `turn` (the two halves of a turn
    cut by a window boundary) to cover it; False when there is none."""
    meeting = [t for t in earlier if t.speaker == turn.speaker and t.end >= turn.start - _JOIN_GAP]
    if not meeting:
        return False
    meeting[-1].end = max(meeting[-1].end, turn.end)
    return True


def _quiet(step: str, done: int, total: int) -> None:
    """Progress hook for work whose progress is reported elsewhere."""


def _pyannote_turns(audio: np.ndarray, options: SpeakerOptions, report: Progress) -> list[Turn]:
    from .diarization import diarize

    return diarize(audio, num_speakers=options.num_speakers, min_speakers=options.min_speakers,
                   max_speakers=options.max_speakers, progress=report)


def _align(segments: list[Segment], turns: list[Turn], options: SpeakerOptions,
           report: Progress) -> tuple[list[Segment], dict[str, str]]:
    from .alignment import assign_word_speakers, join_cut_sentences, mark_overlaps
    from .roles import detect_roles

    report("aligning", 0, 1)
    if turns:
        segments = join_cut_sentences(mark_overlaps(assign_word_speakers(segments, turns), turns))
    roles = detect_roles(segments, list(options.guide_questions))
    report("aligning", 1, 1)
    return segments, roles
