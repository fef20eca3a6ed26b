"""Audio helpers shared by the benchmarks: a telephone-channel simulation and WAV writing.

`telephone(audio)` passes 16 kHz float32 audio through what a phone call does to it:
resample to 8 kHz, band-pass 300-3400 Hz (4th-order Butterworth, causal), G.711-style
8-bit mu-law encode and decode (mu = 255), then resample back to 16 kHz. numpy and
scipy only; no system ffmpeg.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000
PHONE_RATE = 8000
PHONE_BAND = (300.0, 3400.0)
MU = 255
TELEPHONE_DESCRIPTION = (
    "resampled to 8 kHz, band-passed 300-3400 Hz (4th-order Butterworth), 8-bit mu-law "
    "encoded and decoded, resampled back to 16 kHz"
)


def mu_law(audio: np.ndarray, mu: int = MU) -> np.ndarray:
    """Encode to 8-bit mu-law codes and decode again (the quantisation a G.711 line adds)."""
    x = np.clip(audio.astype(np.float64), -1.0, 1.0)
    y = np.sign(x) * np.log1p(mu * np.abs(x)) / np.log1p(mu)
    codes = np.round((y + 1) / 2 * mu).astype(np.int64)  # 0..255
    y = codes / mu * 2 - 1
    return (np.sign(y) * np.expm1(np.abs(y) * np.log1p(mu)) / mu).astype(np.float32)


def telephone(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """The audio as it would arrive through a narrow-band mu-law phone line, at sample_rate."""
    from scipy import signal

    audio = np.asarray(audio, dtype=np.float64)
    if audio.ndim != 1:
        raise ValueError("telephone() expects mono audio as a 1-D array")
    narrow = signal.resample_poly(audio, PHONE_RATE, sample_rate)
    sos = signal.butter(4, PHONE_BAND, btype="bandpass", fs=PHONE_RATE, output="sos")
    narrow = signal.sosfilt(sos, narrow)
    narrow = mu_law(narrow)
    wide = signal.resample_poly(narrow.astype(np.float64), sample_rate, PHONE_RATE)
    wide = wide[: len(audio)]
    if len(wide) < len(audio):
        wide = np.pad(wide, (0, len(audio) - len(wide)))
    return np.clip(wide, -1.0, 1.0).astype(np.float32)


def write_wav(path: str | os.PathLike[str], audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> Path:
    """Write float audio in [-1, 1] ((samples,) or (channels, samples)) as 16-bit PCM WAV."""
    import soundfile

    path = Path(path)
    data = np.asarray(audio, dtype=np.float32)
    if data.ndim == 2:
        data = data.T
    soundfile.write(str(path), np.clip(data, -1.0, 1.0), sample_rate, subtype="PCM_16")
    return path


# --- phone channels -------------------------------------------------------------------------
# What real lines do to a call, each returned at 16 kHz mono float32 of the input's length.
# sox is Debian's (make system-deps installs it); Opus goes through PyAV's bundled libopus.

def _fit(audio: np.ndarray, length: int) -> np.ndarray:
    audio = np.asarray(audio, dtype=np.float32)[:length]
    if len(audio) < length:
        audio = np.pad(audio, (0, length - len(audio)))
    return np.clip(audio, -1.0, 1.0)


def _sox(audio: np.ndarray, out_options: list[str], effects: list[str], suffix: str,
         sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """`sox in.wav OUT_OPTIONS out.SUFFIX EFFECTS`, then back to 16 kHz WAV with sox.

    `-D` turns off sox's automatic dither (random noise), so each run hears the same line."""
    import shutil
    import subprocess
    import tempfile

    import soundfile

    sox = shutil.which("sox")
    if sox is None:
        raise RuntimeError("sox is not installed: run `make system-deps`.")
    with tempfile.TemporaryDirectory() as tmp:
        source, coded, back = (Path(tmp) / name for name in ("in.wav", f"line{suffix}", "out.wav"))
        write_wav(source, audio, sample_rate)
        # S603: a fixed program on our own temporary files, no shell.
        subprocess.run([sox, "-q", "-D", str(source), *out_options, str(coded), *effects], check=True)  # noqa: S603
        subprocess.run([sox, "-q", "-D", str(coded), "-r", str(sample_rate), "-c", "1", "-b", "16",  # noqa: S603
                        "-e", "signed-integer", str(back)], check=True)
        decoded, _ = soundfile.read(str(back), dtype="float32")
    return _fit(decoded, len(audio))


def sox_telephone(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """`sox in.wav -r 8000 -e u-law tel.wav sinc 300-3400`: a steep 300-3400 Hz band-pass
    (nothing left below 300 Hz, as on real lines) and G.711 mu-law."""
    return _sox(audio, ["-r", "8000", "-e", "u-law"], ["sinc", "300-3400"], ".wav", sample_rate)


def gsm_full_rate(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """GSM 06.10 full rate (13 kbit/s), as sox writes `.gsm`."""
    return _sox(audio, ["-r", "8000", "-c", "1"], [], ".gsm", sample_rate)


def opus_narrowband(audio: np.ndarray, sample_rate: int = SAMPLE_RATE,
                    bit_rate: int = 8000) -> np.ndarray:
    """Opus at 8 kHz and 8 kbit/s (VoIP narrow-band), encoded and decoded with PyAV."""
    import tempfile

    import av
    from scipy import signal

    from transcription.audio import load_audio

    narrow = signal.resample_poly(np.asarray(audio, dtype=np.float64), PHONE_RATE, sample_rate)
    pcm = (np.clip(narrow, -1.0, 1.0) * 32767).astype(np.int16)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "line.opus"
        with av.open(str(path), "w", format="ogg") as container:
            stream = container.add_stream("libopus", rate=PHONE_RATE)
            stream.bit_rate = bit_rate
            stream.layout = "mono"
            frame = av.AudioFrame.from_ndarray(pcm[None, :], format="s16", layout="mono")
            frame.sample_rate = PHONE_RATE
            for packet in stream.encode(frame):
                container.mux(packet)
            for packet in stream.encode(None):
                container.mux(packet)
        decoded = load_audio(path, sample_rate=sample_rate)
    return _fit(decoded, len(audio))


def with_noise(audio: np.ndarray, snr_db: float = 15.0, seed: int = 0) -> np.ndarray:
    """White noise added at `snr_db` dB below the signal's mean power (seeded)."""
    audio = np.asarray(audio, dtype=np.float32)
    noise = np.random.RandomState(seed).standard_normal(len(audio)).astype(np.float32)
    gain = np.sqrt(np.mean(audio ** 2) / (np.mean(noise ** 2) * 10 ** (snr_db / 10)))
    return np.clip(audio + gain * noise, -1.0, 1.0).astype(np.float32)


def noisy_telephone(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Background noise at 15 dB SNR, then the sox phone line."""
    return sox_telephone(with_noise(audio, 15.0), sample_rate)


PHONE_CHANNELS = (
    ("Butterworth phone line", telephone),
    ("sox band-pass, mu-law", sox_telephone),
    ("GSM full rate", gsm_full_rate),
    ("Opus 8 kbit/s", opus_narrowband),
    ("noise 15 dB + sox band-pass", noisy_telephone),
)
