"""Probe and decode audio with PyAV, whose bundled FFmpeg needs no system binary."""

from __future__ import annotations

import os
from pathlib import Path

import av
import numpy as np

from .errors import SUPPORTED_UPLOADS, EmptyAudio, UnsupportedAudio
from .schema import AudioInfo

# Enough decoded audio to catch a file whose header is fine but whose data is not.
_PROBE_FRAMES = 8


def _unsupported(path: Path, reason: str) -> UnsupportedAudio:
    return UnsupportedAudio(
        f"This file is not audio we can read ({path.name}: {reason}). "
        f"Upload an {SUPPORTED_UPLOADS} recording."
    )


def _empty(path: Path) -> EmptyAudio:
    return EmptyAudio(
        f"{path.name} contains no sound (zero length). "
        "Check that the recording finished saving, then upload it again."
    )


def _open(path: Path) -> av.container.InputContainer:
    if not path.is_file():
        raise FileNotFoundError(f"No audio file at {path}")
    if os.path.getsize(path) == 0:
        raise _empty(path)
    try:
        return av.open(str(path), mode="r")
    except av.error.FFmpegError as exc:
        raise _unsupported(path, "not a recording format we recognise") from exc


def _audio_stream(path: Path, container: av.container.InputContainer) -> av.AudioStream:
    if not container.streams.audio:
        raise _unsupported(path, "it has no audio track")
    return container.streams.audio[0]


def _metadata_duration(container: av.container.InputContainer, stream: av.AudioStream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return 0.0


def probe_audio(path: str | os.PathLike[str]) -> AudioInfo:
    """Open `path`, check it holds decodable audio, and describe it.

    Raises UnsupportedAudio (not media, no audio track, corrupt) or EmptyAudio (no samples).
    """
    path = Path(path)
    with _open(path) as container:
        stream = _audio_stream(path, container)
        ctx = stream.codec_context
        sample_rate = int(ctx.sample_rate or 0)
        channels = int(ctx.layout.nb_channels if ctx.layout else 0)
        samples = 0
        frames = 0
        try:
            for frame in container.decode(stream):
                samples += frame.samples
                sample_rate = sample_rate or frame.sample_rate
                channels = channels or frame.layout.nb_channels
                frames += 1
                if frames >= _PROBE_FRAMES:
                    break
        except av.error.FFmpegError as exc:
            raise _unsupported(path, "the audio data is corrupt") from exc
        duration = _metadata_duration(container, stream)
        if samples == 0 or sample_rate == 0:
            # A header promising sound that never decodes is damage, not silence.
            if duration > 0:
                raise _unsupported(path, "the audio data is corrupt")
            raise _empty(path)
        if duration <= 0:
            duration = _decoded_duration(path)
        if duration <= 0:
            raise _empty(path)
        return AudioInfo(
            format=container.format.name,
            codec=ctx.name,
            duration=round(duration, 3),
            channels=channels,
            sample_rate=sample_rate,
        )


def _decoded_duration(path: Path) -> float:
    """Duration by decoding everything, for containers that do not state one."""
    with _open(path) as container:
        stream = _audio_stream(path, container)
        seconds = 0.0
        try:
            for frame in container.decode(stream):
                seconds += frame.samples / frame.sample_rate
        except av.error.FFmpegError as exc:
            raise _unsupported(path, "the audio data is corrupt") from exc
        return seconds


def load_audio(
    path: str | os.PathLike[str], sample_rate: int = 16000, mono: bool = True
) -> np.ndarray:
    """Decode `path` to float32 in [-1, 1] at `sample_rate`.

    Returns shape (samples,) when mono, else (channels, samples). Packets that fail to
    decode mid-stream are skipped, as FFmpeg players do, rather than losing the interview.
    """
    path = Path(path)
    # Planar float keeps channels apart so stereo calls (one party per side) survive.
    resampler = av.AudioResampler(format="fltp", layout=None, rate=sample_rate)
    chunks: list[np.ndarray] = []
    with _open(path) as container:
        stream = _audio_stream(path, container)
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.error.InvalidDataError:
                continue
            for frame in frames:
                chunks.extend(f.to_ndarray() for f in resampler.resample(frame))
        chunks.extend(f.to_ndarray() for f in resampler.resample(None))
    if not chunks:
        raise _empty(path)
    audio = np.concatenate(chunks, axis=1).astype(np.float32, copy=False)
    if audio.shape[1] == 0:
        raise _empty(path)
    if mono:
        return np.ascontiguousarray(audio.mean(axis=0, dtype=np.float32))
    return np.ascontiguousarray(audio)
