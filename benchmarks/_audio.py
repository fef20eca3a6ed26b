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
