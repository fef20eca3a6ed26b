"""Long recordings: decoding in pieces under a memory bound, ASR in windows cut in pauses,
and the duration limit counted while decoding (a header can understate the length)."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from tests.long_audio_files import chained_ogg
from transcription import AudioTooLong, Segment, Word, probe_audio, transcribe
from transcription import audio as audio_module
from transcription import pipeline as pipeline_module
from transcription.audio import count_duration, load_audio, load_mono_with_stereo_sample
from transcription.engines import DecodingHints
from transcription.pipeline import asr_windows

ROOT = Path(__file__).resolve().parents[2]
RATE = 16000


# ------------------------------------------------------------------ the duration limit


def test_a_chained_ogg_header_understates_its_length(tmp_path: Path) -> None:
    path = chained_ogg(tmp_path / "call.ogg", seconds=6.0, header_seconds=2.0)
    assert probe_audio(path).duration == pytest.approx(2.0, abs=0.1)  # what FFmpeg's header says
    assert count_duration(path) == pytest.approx(6.0, abs=0.1)
    assert len(load_audio(path)) / RATE == pytest.approx(6.0, abs=0.1)


def test_counting_stops_soon_after_the_limit(tmp_path: Path) -> None:
    path = chained_ogg(tmp_path / "call.ogg", seconds=6.0, header_seconds=2.0)
    assert 3.0 < count_duration(path, stop_after=3.0) < 3.5


def test_decoding_refuses_audio_past_the_limit_whatever_the_header_says(tmp_path: Path) -> None:
    path = chained_ogg(tmp_path / "call.ogg", seconds=6.0, header_seconds=2.0)
    with pytest.raises(AudioTooLong, match="header says 0.0.*Split it"):
        load_audio(path, max_duration=4.0)
    with pytest.raises(AudioTooLong):
        load_mono_with_stereo_sample(path, max_duration=4.0)
    assert len(load_audio(path, max_duration=7.0)) / RATE == pytest.approx(6.0, abs=0.1)


class WindowEngine:
    """Records each call; returns one segment a second into every window it is given."""

    name = "window-fake"

    def __init__(self, language: str = "it") -> None:
        self.language = language
        self.calls: list[dict[str, Any]] = []

    def transcribe(self, audio: np.ndarray, *, language: str | None, progress: Any,
                   hints: DecodingHints | None = None) -> tuple[str, list[Segment]]:
        self.calls.append({"seconds": len(audio) / RATE, "language": language, "hints": hints})
        seconds = round(len(audio) / RATE)
        for done in range(0, seconds + 1, 5):
            progress("transcribing", done, seconds)
        progress("transcribing", seconds, seconds)
        words = [Word(1.0, 1.5, " Buongiorno", 0.9), Word(1.5, 2.0, " a tutti.", 0.9)]
        return language or self.language, [Segment(1.0, 2.0, "Buongiorno a tutti.", words=words)]


def test_the_job_decode_refuses_a_file_whose_header_understates_it(tmp_path: Path) -> None:
    path = chained_ogg(tmp_path / "call.ogg", seconds=6.0, header_seconds=2.0)
    engine = WindowEngine()
    with pytest.raises(AudioTooLong, match="Split it"):
        transcribe(path, engine=engine, max_duration=4.0)
    assert engine.calls == []  # refused while decoding, before any recognition


# --------------------------------------------------------------------- ASR in windows


def _speech_with_pauses(seconds: float, pauses: list[float], seed: int = 0) -> np.ndarray:
    """Loud noise bursts ("speech") everywhere but 0.6 s of near silence at each pause."""
    rng = np.random.default_rng(seed)
    audio = (0.3 * rng.standard_normal(int(seconds * RATE))).astype(np.float32)
    for at in pauses:
        audio[int(at * RATE):int((at + 0.6) * RATE)] *= 0.001
    return audio


@pytest.fixture
def small_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline_module, "ASR_WINDOW_SECONDS", 20.0)
    monkeypatch.setattr(pipeline_module, "CUT_SEARCH_SECONDS", 5.0)


def test_windows_are_cut_in_pauses_and_cover_the_recording(small_windows: None) -> None:
    pauses = [4.0, 11.3, 16.2, 27.5, 33.1, 38.4, 45.0, 52.7, 58.9]
    audio = _speech_with_pauses(70.0, pauses)
    windows = asr_windows(audio)
    assert windows[0][0] == 0 and windows[-1][1] == len(audio)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(windows))
    assert len(windows) == 4
    for _, cut in windows[:-1]:
        assert any(at * RATE < cut < (at + 0.6) * RATE for at in pauses), cut / RATE
    assert all((end - start) / RATE <= 25.0 for start, end in windows)


def test_a_short_recording_is_one_window() -> None:
    audio = np.zeros(int(330 * RATE), dtype=np.float32)  # five minutes and the search span
    assert asr_windows(audio) == [(0, len(audio))]


def test_a_long_recording_goes_to_the_engine_in_windows(small_windows: None, tmp_path: Path) -> None:
    path = tmp_path / "long.wav"
    sf.write(path, _speech_with_pauses(70.0, [16.2, 33.1, 52.7]), RATE)
    engine = WindowEngine(language="it")
    steps: list[tuple[str, int, int]] = []
    hints = DecodingHints(prompt="Edilnord", hotwords="Edilnord")

    result = transcribe(path, engine=engine, hints=hints, progress=lambda *a: steps.append(a))

    # cut in the pauses at 16.2, 33.1 and 52.7 s, a quarter second in
    assert [round(c["seconds"], 1) for c in engine.calls] == [16.5, 16.9, 19.5, 17.1]
    # the first window detects the language; the others are told it
    assert [c["language"] for c in engine.calls] == [None, "it", "it", "it"]
    assert all(c["hints"] == hints for c in engine.calls)
    assert result.language == "it" and result.duration == pytest.approx(70.0)
    assert [s.start for s in result.segments] == pytest.approx([1.0, 17.52, 34.4, 53.94], abs=0.01)
    assert [w.start for w in result.segments[3].words] == pytest.approx([53.94, 54.44], abs=0.01)
    asr = [done for step, done, total in steps if step == "transcribing"]
    assert asr == sorted(asr) and asr[-1] == 70
    assert {total for step, _, total in steps if step == "transcribing"} == {70}


# ------------------------------------------------------------------- memory of decoding


# Peak resident memory of the child's own pages: ru_maxrss would start from the RSS the
# (large) pytest process had when it forked, so the peak is reset and read from /proc.
MEASURE = """
import json, sys
from transcription.audio import load_audio, load_mono_with_stereo_sample

def status(key):
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) * 1024 for line in fh if line.startswith(key + ":"))

load = {"load_audio": lambda p: (load_audio(p), None),
        "load_mono_with_stereo_sample": load_mono_with_stereo_sample}[sys.argv[1]]
load(sys.argv[3])  # codecs and resampler set up once, outside the measure
with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")  # resets VmHWM, the peak, to the current RSS
before = status("VmRSS")
audio, sample = load(sys.argv[2])
print(json.dumps({"before": before, "peak": status("VmHWM"), "nbytes": audio.nbytes,
                  "sample_nbytes": 0 if sample is None else sample.nbytes,
                  "seconds": len(audio) / 16000, "dtype": str(audio.dtype)}))
"""


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("loader", ["load_audio", "load_mono_with_stereo_sample"])
def test_decoding_a_long_stereo_file_holds_one_mono_copy(tmp_path: Path, loader: str) -> None:
    """Ten minutes of 8 kHz stereo decode to 38 MB of 16 kHz mono (and a fixed-size sample of
    both channels). Decoding all at once (the pieces, their concatenation, then the channel
    mean) peaked at 3 to 5 times that."""
    rate, seconds = 8000, 600
    t = np.arange(seconds * rate, dtype=np.float32) / rate
    stereo = np.stack([0.3 * np.sin(2 * np.pi * 220 * t), 0.3 * np.sin(2 * np.pi * 330 * t)]).T
    long_file, short_file = tmp_path / "long.wav", tmp_path / "short.wav"
    sf.write(long_file, stereo, rate, subtype="PCM_16")
    sf.write(short_file, stereo[:rate], rate, subtype="PCM_16")
    del t, stereo

    out = subprocess.run([sys.executable, "-c", MEASURE, loader, str(long_file), str(short_file)],
                         cwd=ROOT, capture_output=True, text=True, check=True, timeout=120)
    measured = json.loads(out.stdout)

    assert measured["dtype"] == "float32" and measured["seconds"] == pytest.approx(seconds, abs=0.1)
    growth = measured["peak"] - measured["before"]
    assert growth < 1.25 * measured["nbytes"] + measured["sample_nbytes"], growth / 2**20
    if loader == "load_mono_with_stereo_sample":
        assert measured["sample_nbytes"] == 2 * 4 * 300 * RATE  # ten 30 s excerpts, whatever the length


def test_a_two_channel_file_keeps_a_spread_sample_of_both_channels(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The left channel says where it is (its value is the ten seconds it lies in): the
    sample's excerpts come from across the recording, not only its start."""
    monkeypatch.setattr(audio_module, "STEREO_SAMPLE_EXCERPTS", 5)
    monkeypatch.setattr(audio_module, "STEREO_EXCERPT_SECONDS", 2.0)
    left = np.repeat(np.arange(6, dtype=np.float32) / 20, 10 * RATE)
    right = np.full_like(left, -0.1)
    path = tmp_path / "call.wav"
    sf.write(path, np.stack([left, right]).T, RATE, subtype="FLOAT")

    mono, sample = load_mono_with_stereo_sample(path)

    assert sample is not None and sample.shape == (2, 5 * 2 * RATE)
    assert set(np.round(np.unique(sample[0]) * 20).astype(int)) >= {0, 2, 4, 5}
    assert np.allclose(sample[1], -0.1) and np.allclose(mono, (left + right) / 2, atol=1e-6)


def test_a_short_two_channel_file_is_sampled_whole(tmp_path: Path) -> None:
    path = tmp_path / "call.wav"
    stereo = np.stack([np.full(5 * RATE, 0.2, np.float32), np.full(5 * RATE, -0.2, np.float32)])
    sf.write(path, stereo.T, RATE, subtype="FLOAT")
    _, sample = load_mono_with_stereo_sample(path)
    assert sample is not None and np.allclose(sample, stereo, atol=1e-6)
    mono_only, none = load_mono_with_stereo_sample(_mono_file(tmp_path))
    assert none is None and mono_only.ndim == 1


def _mono_file(tmp_path: Path) -> Path:
    path = tmp_path / "mono.wav"
    sf.write(path, np.zeros(RATE, np.float32), RATE)
    return path


DEMO_STEREO = ROOT / "workbench" / "demo" / "audio" / "en_01.flac"


def test_a_split_stereo_call_is_diarized_window_by_window_with_turns_joined_across(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo call (73 s, one party a channel) diarized in 20-second windows with 10 s of
    context: the same turns as in one piece, none cut at a boundary."""
    from transcription.diarization import diarize_channels

    whole = diarize_channels(load_audio(DEMO_STEREO, mono=False))
    monkeypatch.setattr(pipeline_module, "CHANNEL_WINDOW_SECONDS", 20.0)
    windowed = pipeline_module._channel_turns(DEMO_STEREO, None, lambda *a: None)

    assert [t.speaker for t in windowed] == [t.speaker for t in whole]
    for mine, theirs in zip(windowed, whole, strict=True):
        assert mine.start == pytest.approx(theirs.start, abs=0.15)
        assert mine.end == pytest.approx(theirs.end, abs=0.15)
    assert any(t.start < 20.0 < t.end for t in windowed) and any(t.start < 40.0 < t.end for t in windowed)


def test_windows_of_a_file_cover_it_in_order(tmp_path: Path) -> None:
    from transcription.audio import iter_windows

    stereo = np.stack([np.arange(10 * RATE, dtype=np.float32) / (10 * RATE), np.zeros(10 * RATE, np.float32)])
    path = tmp_path / "call.wav"
    sf.write(path, stereo.T, RATE, subtype="FLOAT")
    windows = list(iter_windows(path, seconds=4.0))
    assert [start for start, _ in windows] == [0.0, 4.0, 8.0]
    assert [w.shape for _, w in windows] == [(2, 4 * RATE), (2, 4 * RATE), (2, 2 * RATE)]
    assert np.allclose(np.concatenate([w for _, w in windows], axis=1), stereo, atol=1e-6)
