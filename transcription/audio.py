"""Probe and decode audio with PyAV, whose bundled FFmpeg needs no system binary."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

from .errors import SUPPORTED_UPLOADS, AudioTooLong, EmptyAudio, UnsupportedAudio
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


# A buffer whose header length turned out short grows by this much audio at a time.
_GROW_SECONDS = 600.0
# A two-channel recording keeps both channels only for a sample of this many excerpts of
# this length, spread over the recording, to tell a split-stereo call from ordinary stereo.
STEREO_SAMPLE_EXCERPTS = 10
STEREO_EXCERPT_SECONDS = 30.0


def _too_long(limit: float, header: float | None) -> AudioTooLong:
    said = f" (its header says {header / 60:.1f})" if header is not None else ""
    return AudioTooLong(
        f"This recording lasts more than {limit / 60:.1f} minutes, the limit{said}. "
        "Split it into shorter parts and upload each one."
    )


def count_duration(path: str | os.PathLike[str], *, stop_after: float | None = None) -> float:
    """Seconds of audio in `path`, counted packet by packet rather than read from the header.

    Headers can understate a recording's length (chained Ogg streams say only the last
    stream's length). Packets are only demuxed, not decoded, unless one carries no duration,
    so this is cheap; counting stops as soon as it passes `stop_after` seconds. Damaged data
    ends the count where it starts.
    """
    path = Path(path)
    seconds = 0.0
    with _open(path) as container:
        stream = _audio_stream(path, container)
        try:
            for packet in container.demux(stream):
                if packet.duration and packet.time_base is not None:
                    seconds += float(packet.duration * packet.time_base)
                elif packet.size:
                    seconds += sum(f.samples / f.sample_rate for f in packet.decode())
                if stop_after is not None and seconds > stop_after:
                    break
        except av.error.FFmpegError:
            pass
    return seconds


def _resampled_chunks(
    path: Path, sample_rate: int, max_duration: float | None
) -> Iterator[np.ndarray]:
    """(channels, samples) float32 pieces of `path` at `sample_rate`, in order.

    Raises AudioTooLong as soon as more than `max_duration` seconds have been decoded,
    whatever the header said. Packets that fail to decode mid-stream are skipped, as
    FFmpeg players do, rather than losing the interview.
    """
    # Planar float keeps channels apart so stereo calls (one party per side) survive.
    resampler = av.AudioResampler(format="fltp", layout=None, rate=sample_rate)
    limit = None if max_duration is None else int(max_duration * sample_rate)
    decoded = 0
    with _open(path) as container:
        stream = _audio_stream(path, container)
        header = _metadata_duration(container, stream) or None
        for frame in _frames(container, stream):
            for out in resampler.resample(frame):  # None flushes the resampler at the end
                chunk = out.to_ndarray()
                decoded += chunk.shape[1]
                if limit is not None and decoded > limit:
                    raise _too_long(max_duration or 0.0, header)
                yield chunk


def _frames(container: av.container.InputContainer,
            stream: av.AudioStream) -> Iterator[av.AudioFrame | None]:
    """The stream's decoded frames, skipping packets that fail to decode, then None."""
    for packet in container.demux(stream):
        try:
            yield from packet.decode()
        except av.error.InvalidDataError:
            continue
    yield None


class _Signal:
    """A float32 signal written piece by piece into one buffer sized from the header.

    np.empty maps pages lazily, so capacity the recording does not fill costs no memory,
    and a mono buffer grows and shrinks in place (realloc remaps its pages rather than
    copying them): decoding never holds two copies of a long recording. Only a
    multi-channel file whose header understates its length pays one copy when it grows.
    """

    def __init__(self, channels: int, capacity: int, step: int) -> None:
        self.buffer = np.empty((channels, max(1, capacity)), dtype=np.float32)
        self.step = step
        self.length = 0

    def append(self, piece: np.ndarray) -> None:
        n = piece.shape[-1]
        if self.length + n > self.buffer.shape[1]:
            self._grow(self.length + n + self.step)
        self.buffer[:, self.length:self.length + n] = piece
        self.length += n

    def _grow(self, capacity: int) -> None:
        channels = self.buffer.shape[0]
        if channels == 1:
            self.buffer.resize((1, capacity), refcheck=False)  # zero-fills only the new step
        else:
            bigger = np.empty((channels, capacity), dtype=np.float32)
            bigger[:, : self.length] = self.buffer[:, : self.length]
            self.buffer = bigger

    def assemble(self) -> np.ndarray:
        """The signal, (channels, samples); a multi-channel one is a view (rows contiguous)."""
        if self.buffer.shape[0] == 1:
            self.buffer.resize((1, self.length), refcheck=False)
            return self.buffer
        return self.buffer[:, : self.length]


def _capacity(path: Path, sample_rate: int, max_duration: float | None) -> int:
    """Samples to reserve: the header's length and a little, never past the limit."""
    with _open(path) as container:
        seconds = _metadata_duration(container, _audio_stream(path, container))
    seconds = seconds * 1.01 + 10.0 if seconds > 0 else _GROW_SECONDS
    if max_duration is not None:
        seconds = min(seconds, max_duration + 1.0)
    return int(seconds * sample_rate)


def load_audio(
    path: str | os.PathLike[str],
    sample_rate: int = 16000,
    mono: bool = True,
    *,
    max_duration: float | None = None,
) -> np.ndarray:
    """Decode `path` to float32 in [-1, 1] at `sample_rate`, piece by piece.

    Returns shape (samples,) when mono, else (channels, samples). Channels are mixed down
    as each piece is decoded, so a long recording never exists as more than one float32
    copy. Raises AudioTooLong once more than `max_duration` seconds have been decoded
    (counted, not taken from the header), UnsupportedAudio or EmptyAudio.
    """
    path = Path(path)
    capacity, step = _capacity(path, sample_rate, max_duration), int(_GROW_SECONDS * sample_rate)
    signal: _Signal | None = None
    for chunk in _resampled_chunks(path, sample_rate, max_duration):
        piece = chunk.mean(axis=0, dtype=np.float32, keepdims=True) if mono else chunk
        signal = signal or _Signal(piece.shape[0], capacity, step)
        signal.append(piece)
    if signal is None or signal.length == 0:
        raise _empty(path)
    audio = signal.assemble()
    return audio[0] if mono else audio


def load_mono_with_stereo_sample(
    path: str | os.PathLike[str],
    *,
    sample_rate: int = 16000,
    max_duration: float | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """The mono mix of `path`, and for a two-channel file a sample of both channels.

    The sample, shape (2, samples), joins up to STEREO_SAMPLE_EXCERPTS excerpts of
    STEREO_EXCERPT_SECONDS spread evenly over the length its header states; a recording
    shorter than all of them together is kept whole. It is enough to tell a
    split-stereo call from ordinary stereo without holding both channels of hours of audio.
    Otherwise as load_audio.
    """
    path = Path(path)
    capacity = _capacity(path, sample_rate, max_duration)
    excerpt = int(STEREO_EXCERPT_SECONDS * sample_rate)
    budget = excerpt * STEREO_SAMPLE_EXCERPTS
    spacing = max(excerpt, capacity // STEREO_SAMPLE_EXCERPTS)
    signal = _Signal(1, capacity, int(_GROW_SECONDS * sample_rate))
    sample = _Signal(2, budget, 0)
    two_channels = False
    for chunk in _resampled_chunks(path, sample_rate, max_duration):
        two_channels = chunk.shape[0] == 2
        if two_channels and sample.length < budget:
            positions = np.arange(signal.length, signal.length + chunk.shape[1])
            sample.append(chunk[:, positions % spacing < excerpt][:, : budget - sample.length])
        signal.append(chunk.mean(axis=0, dtype=np.float32, keepdims=True))
    if signal.length == 0:
        raise _empty(path)
    stereo = sample.assemble() if two_channels and sample.length else None
    return signal.assemble()[0], stereo


def iter_windows(
    path: str | os.PathLike[str],
    *,
    seconds: float,
    sample_rate: int = 16000,
    max_duration: float | None = None,
) -> Iterator[tuple[float, np.ndarray]]:
    """(start in seconds, float32 (channels, samples)) windows of `path`, each `seconds`
    long but the last, decoded piece by piece: hours of multi-channel audio are processed
    without ever being held whole. Raises as load_audio does."""
    path = Path(path)
    size = int(seconds * sample_rate)
    window: _Signal | None = None
    start = 0
    for chunk in _resampled_chunks(path, sample_rate, max_duration):
        done = 0
        while done < chunk.shape[1]:
            window = window or _Signal(chunk.shape[0], size, 0)
            take = min(chunk.shape[1] - done, size - window.length)
            window.append(chunk[:, done:done + take])
            done += take
            if window.length == size:
                yield start / sample_rate, window.assemble()
                start, window = start + size, None
    if window is not None:
        yield start / sample_rate, window.assemble()
    elif start == 0:
        raise _empty(path)
