"""Audio files for the long-recording tests: one whose header understates its length."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

OPUS_RATE = 48000


def _opus_stream(seconds: float, freq: float) -> bytes:
    """One Ogg Opus stream of a tone, as bytes."""
    import io

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="ogg") as out:
        stream = out.add_stream("libopus", rate=OPUS_RATE, layout="mono")
        stream.codec_context.format = "fltp"
        size = stream.codec_context.frame_size or 960
        n = int(seconds * OPUS_RATE)
        n += -n % size
        tone = (0.3 * np.sin(2 * np.pi * freq * np.arange(n) / OPUS_RATE)).astype(np.float32)
        for at in range(0, n, size):
            frame = av.AudioFrame.from_ndarray(tone[None, at:at + size], format="fltp", layout="mono")
            frame.sample_rate, frame.pts = OPUS_RATE, at
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


def chained_ogg(path: Path, *, seconds: float = 6.0, header_seconds: float = 2.0) -> Path:
    """Two Ogg Opus streams back to back: `seconds` of sound in all, but FFmpeg reads the
    length from the last stream's final page, so the header says `header_seconds`.

    Chained Ogg is legal (recorders and streams write it); anything reading only the
    header takes it for the short one.
    """
    path.write_bytes(_opus_stream(seconds - header_seconds, 220.0) + _opus_stream(header_seconds, 330.0))
    return path
