"""A stretch of a recording, decoded by seeking to it: quote clips never decode the whole file.

`decode_excerpt(source, start, end)` opens a path or a seekable binary stream (a recording in
object storage, read by ranged requests), seeks a little before `start` (decoders such as MP3's
need the frames before a cut to rebuild it), decodes forward only until `end`, and returns mono
float32 at 16 kHz aligned on the recording's own clock, like `load_audio` cut at the same place.

Seeks are FFmpeg's fast ones (`fflags=fastseek`): WAV, FLAC, Ogg and M4A land exactly; an MP3
without a seek table is placed by its bit rate, so without reading the file up to the excerpt (from
object storage that would fetch it all) at the cost of up to one MP3 frame (26 ms) of offset on a
constant bit rate, more on a variable one.
"""

from __future__ import annotations

import os
from typing import BinaryIO

import av
import numpy as np

from .errors import UnsupportedAudio

# Decoding starts this long before the excerpt (priming of MP3/AAC frames, a seek landing late).
PREROLL = 1.0
# A seek that lands later than the excerpt's start is retried from this much further back, growing.
_RETREAT = (5.0, 30.0, 120.0)


def _origin(stream: av.AudioStream) -> float:
    """The stream's first timestamp in seconds: the recording's second 0, as a full decode counts."""
    if stream.start_time is None or stream.time_base is None:
        return 0.0
    return float(stream.start_time * stream.time_base)


def _time(frame: av.AudioFrame, origin: float) -> float | None:
    if frame.pts is None or frame.time_base is None:
        return None
    return float(frame.pts * frame.time_base) - origin


def _seek(container: av.container.InputContainer, stream: av.AudioStream, seconds: float, origin: float) -> None:
    if stream.time_base is None:
        container.seek(0)
        return
    position = max(0.0, seconds) + origin
    container.seek(int(position / stream.time_base), stream=stream, backward=True, any_frame=False)


def _decode_from(container: av.container.InputContainer, stream: av.AudioStream, *, start: float, end: float,
                 sample_rate: int, origin: float, late_ok: bool) -> tuple[float | None, np.ndarray]:
    """(time of the first decoded sample, mono samples from there to a little past `end`).

    Stops at once with no samples when the first frame comes after `start` and `late_ok` is False.
    """
    resampler = av.AudioResampler(format="fltp", layout=None, rate=sample_rate)
    pieces: list[np.ndarray] = []
    first: float | None = None
    counted = 0
    finished = True
    for packet in container.demux(stream):
        try:
            frames = packet.decode()
        except av.error.InvalidDataError:
            continue
        for frame in frames:
            if first is None:
                first = _time(frame, origin)
                if first is not None and first > start + 1 / sample_rate and not late_ok:
                    return first, np.zeros(0, dtype=np.float32)
            for out in resampler.resample(frame):
                piece = out.to_ndarray().mean(axis=0, dtype=np.float32)
                pieces.append(piece)
                counted += piece.shape[0]
        if (first or 0.0) + counted / sample_rate >= end + 0.1:
            finished = False
            break
    if finished:
        for out in resampler.resample(None):
            pieces.append(out.to_ndarray().mean(axis=0, dtype=np.float32))
    samples = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
    return first, samples


def decode_excerpt(source: str | os.PathLike[str] | BinaryIO, start: float, end: float, *,
                   sample_rate: int = 16000) -> np.ndarray:
    """Mono float32 samples of seconds [start, end) of `source` (a path or a seekable binary stream).

    Only the stretch (and about a second before it) is decoded. The result is shorter than
    end - start when the recording ends first. Raises UnsupportedAudio when `source` is not audio.
    """
    start = max(0.0, float(start))
    if end <= start:
        return np.zeros(0, dtype=np.float32)
    opened = os.fspath(source) if isinstance(source, str | os.PathLike) else source
    try:
        container = av.open(opened, mode="r", options={"fflags": "fastseek"})
    except av.error.FFmpegError as exc:
        raise UnsupportedAudio("The recording cannot be read for a clip; it may be damaged.") from exc
    with container:
        if not container.streams.audio:
            raise UnsupportedAudio("The recording has no audio track to clip.")
        stream = container.streams.audio[0]
        origin = _origin(stream)
        target, retreats = max(0.0, start - PREROLL), list(_RETREAT)
        while True:
            _seek(container, stream, target, origin)
            first, samples = _decode_from(container, stream, start=start, end=end, sample_rate=sample_rate,
                                          origin=origin, late_ok=target <= 0)
            if target <= 0 or (first is not None and first <= start + 1 / sample_rate):
                break
            # landed late: retry from further back; no timestamps at all: count from the beginning
            target = max(0.0, start - retreats.pop(0)) if first is not None and retreats else 0.0
    first = first if first is not None and target > 0 else 0.0
    offset = max(0, round((start - first) * sample_rate))
    return np.ascontiguousarray(samples[offset:offset + round((end - start) * sample_rate)])
