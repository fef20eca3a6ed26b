"""An excerpt decoded after a seek is the same stretch a full decode gives, to a frame or so."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from benchmarks.clips import write_recording
from transcription.audio import load_audio
from transcription.errors import UnsupportedAudio
from transcription.excerpt import decode_excerpt

RATE = 16000
# MP3 without a seek table is placed by bit rate: up to one MP3 frame (1152 samples at 44.1 kHz) off.
MP3_FRAME = round(1152 / 44100 * RATE)


class CountingFile(io.FileIO):
    """A file that counts the bytes read from it, as a ranged store would fetch them."""

    fetched = 0

    def readinto(self, buffer: bytearray | memoryview) -> int | None:
        count = super().readinto(buffer)
        self.fetched += count or 0
        return count


def lag(excerpt: np.ndarray, reference: np.ndarray, window: int) -> int:
    """The shift (in samples) that best lines the excerpt up with `reference`, which runs `window` longer each side."""
    scores = [float(np.dot(excerpt, reference[window + shift:window + shift + len(excerpt)]))
              for shift in range(-window, window + 1)]
    return int(np.argmax(scores)) - window


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("excerpts")
    kinds = {"wav": ("pcm_s16le", 44100, 0), "flac": ("flac", 44100, 0), "ogg": ("libopus", 48000, 64000),
             "m4a": ("aac", 44100, 64000), "mp3": ("libmp3lame", 44100, 64000)}
    return {suffix: write_recording(folder / f"call.{suffix}", 60.0, codec=codec, rate=rate, bit_rate=bit_rate)
            for suffix, (codec, rate, bit_rate) in kinds.items()}


@pytest.mark.parametrize("suffix", ["wav", "flac", "ogg", "m4a", "mp3"])
@pytest.mark.parametrize("start", [0.0, 0.4, 23.7, 51.0])
def test_an_excerpt_matches_the_full_decode(recordings, suffix, start):
    path = recordings[suffix]
    full = load_audio(path, sample_rate=RATE)
    excerpt = decode_excerpt(path, start, start + 4.0)
    assert len(excerpt) == 4 * RATE and excerpt.dtype == np.float32
    first = round(start * RATE)
    window = 1200
    reference = np.pad(full, window)[first:first + len(excerpt) + 2 * window]  # full[first - w : first + len + w]
    shift = lag(excerpt, reference, window)
    tolerance = MP3_FRAME + 2 if suffix == "mp3" else 2
    assert abs(shift) <= tolerance
    aligned = reference[window + shift:window + shift + len(excerpt)]
    assert np.corrcoef(excerpt, aligned)[0, 1] > 0.95  # the same sound, not merely a similar one


def test_an_excerpt_from_a_stream_reads_only_its_stretch(recordings):
    path = recordings["flac"]
    stream = io.BufferedReader(CountingFile(path), 64 * 1024)
    excerpt = decode_excerpt(stream, 40.0, 42.0)
    assert np.allclose(excerpt, decode_excerpt(path, 40.0, 42.0))
    assert stream.raw.fetched < path.stat().st_size / 3


def test_an_excerpt_past_the_end_is_cut_short(recordings):
    assert len(decode_excerpt(recordings["ogg"], 58.0, 70.0)) == pytest.approx(2 * RATE, abs=RATE // 50)
    assert len(decode_excerpt(recordings["ogg"], 65.0, 70.0)) == 0
    assert len(decode_excerpt(recordings["ogg"], 5.0, 5.0)) == 0


def test_what_is_not_audio_is_refused(tmp_path):
    text = tmp_path / "notes.mp3"
    text.write_text("minutes of the meeting\n" * 100)
    with pytest.raises(UnsupportedAudio):
        decode_excerpt(text, 0.0, 1.0)
