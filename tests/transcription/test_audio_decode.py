"""probe_audio and load_audio on generated fixtures, good and bad."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from transcription import EmptyAudio, UnsupportedAudio, probe_audio
from transcription.audio import load_audio

AudioWriter = Callable[..., Path]
UPLOAD_HINT = "Upload an mp3, m4a, wav, ogg, opus, flac or mp4 recording."


def sine(freq: float, seconds: float, rate: int) -> np.ndarray:
    return (0.5 * np.sin(2 * np.pi * freq * np.arange(int(seconds * rate)) / rate)).astype(
        np.float32
    )


def dominant_frequency(audio: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(audio))
    return float(np.fft.rfftfreq(len(audio), 1 / rate)[spectrum.argmax()])


@pytest.mark.parametrize(
    ("name", "codec", "rate", "expected_codec"),
    [
        ("phone_mulaw.wav", "pcm_mulaw", 8000, "pcm_mulaw"),
        ("phone_alaw.wav", "pcm_alaw", 8000, "pcm_alaw"),
        ("call.mp3", "mp3", 16000, "mp3float"),
        ("call.flac", "flac", 44100, "flac"),
        ("call.m4a", "aac", 16000, "aac"),
        ("call.ogg", "libopus", 48000, "opus"),
        ("call.opus", "libopus", 48000, "opus"),
    ],
)
def test_formats_probe_and_decode_to_16k(
    audio_file: AudioWriter, name: str, codec: str, rate: int, expected_codec: str
) -> None:
    path = audio_file(name, codec, rate, seconds=1.0, freq=440)

    info = probe_audio(path)
    audio = load_audio(path)

    assert info.codec == expected_codec
    assert info.sample_rate == rate
    assert info.channels == 1
    assert info.duration == pytest.approx(1.0, abs=0.1)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert len(audio) == pytest.approx(16000, abs=1600)
    assert dominant_frequency(audio, 16000) == pytest.approx(440, abs=5)
    assert 0.3 < np.abs(audio).max() <= 1.0


def test_mulaw_8k_resamples_to_requested_rate(audio_file: AudioWriter) -> None:
    path = audio_file("phone.wav", "pcm_mulaw", 8000, seconds=2.0, freq=1000)

    audio = load_audio(path, sample_rate=22050)

    assert len(audio) == pytest.approx(44100, abs=50)
    assert dominant_frequency(audio, 22050) == pytest.approx(1000, abs=5)


def test_stereo_keeps_channels_apart_or_averages(audio_file: AudioWriter) -> None:
    path = audio_file("call.wav", "pcm_s16le", 16000, seconds=1.0, stereo=True)

    info = probe_audio(path)
    both = load_audio(path, mono=False)
    mono = load_audio(path)

    assert info.channels == 2
    assert both.shape == (2, 16000)
    assert np.abs(both[0]).max() == pytest.approx(0.5, abs=0.01)
    assert np.abs(both[1]).max() < 1e-3
    np.testing.assert_allclose(mono, both.mean(axis=0), atol=1e-6)


def test_mono_file_with_mono_false_has_one_channel(audio_file: AudioWriter) -> None:
    path = audio_file("one.flac", "flac", 16000)
    assert load_audio(path, mono=False).shape == (1, 16000)


def test_wav_written_by_soundfile(tmp_path: Path) -> None:
    path = tmp_path / "sf.wav"
    sf.write(path, sine(300, 2.5, 16000), 16000, subtype="PCM_16")
    info = probe_audio(path)
    assert (info.format, info.codec, info.duration) == ("wav", "pcm_s16le", 2.5)


def test_text_file_renamed_wav_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("Interview notes, not a recording.\n" * 50)
    with pytest.raises(UnsupportedAudio) as err:
        probe_audio(path)
    assert UPLOAD_HINT in str(err.value)
    with pytest.raises(UnsupportedAudio):
        load_audio(path)


def test_wav_cut_inside_header_is_unsupported(tmp_path: Path) -> None:
    good = tmp_path / "good.wav"
    sf.write(good, sine(440, 1, 16000), 16000)
    bad = tmp_path / "cut.wav"
    bad.write_bytes(good.read_bytes()[:30])
    with pytest.raises(UnsupportedAudio):
        probe_audio(bad)


def test_wav_cut_inside_data_keeps_what_is_there(tmp_path: Path) -> None:
    good = tmp_path / "good.wav"
    sf.write(good, sine(440, 2, 16000), 16000, subtype="PCM_16")
    cut = tmp_path / "cut.wav"
    data = good.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    assert probe_audio(cut).duration == pytest.approx(1.0, abs=0.01)
    assert len(load_audio(cut)) == pytest.approx(16000, abs=50)


def test_flac_with_garbage_frames_is_corrupt(audio_file: AudioWriter) -> None:
    path = audio_file("damaged.flac", "flac", 8000, seconds=2.0)
    data = bytearray(path.read_bytes())
    rng = np.random.default_rng(1)
    data[200:] = rng.integers(0, 256, len(data) - 200, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))
    with pytest.raises(UnsupportedAudio, match="corrupt"):
        probe_audio(path)


def test_zero_length_file_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.m4a"
    path.touch()
    with pytest.raises(EmptyAudio):
        probe_audio(path)
    with pytest.raises(EmptyAudio):
        load_audio(path)


def test_wav_with_no_samples_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "nothing.wav"
    sf.write(path, np.zeros(0, dtype=np.float32), 16000)
    with pytest.raises(EmptyAudio):
        probe_audio(path)


def test_video_without_audio_track_is_unsupported(tmp_path: Path) -> None:
    import av

    path = tmp_path / "screen.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        frame = av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24")
        for _ in range(3):
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    with pytest.raises(UnsupportedAudio, match="no audio track"):
        probe_audio(path)


def test_errors_are_value_errors(tmp_path: Path) -> None:
    path = tmp_path / "x.wav"
    path.write_bytes(b"RIFF")
    with pytest.raises(ValueError):
        probe_audio(path)


def test_missing_file_is_not_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        probe_audio(tmp_path / "gone.wav")


def test_stereo_mp3(tmp_path: Path, encode_audio: AudioWriter) -> None:
    tone = sine(440, 1.0, 16000)
    path = encode_audio(tmp_path / "s.mp3", "mp3", 16000, np.stack([tone, tone]))
    assert probe_audio(path).channels == 2
    assert load_audio(path, mono=False).shape[0] == 2
