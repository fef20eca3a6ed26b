"""The phone-channel simulations of benchmarks/_audio.py: narrow band, same length."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from benchmarks._audio import PHONE_CHANNELS, with_noise

RATE = 16000


def _speechlike(seconds: float = 2.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    tones = sum(np.sin(2 * np.pi * f * t) for f in (150, 700, 1800, 5000, 7000))
    return (0.1 * tones * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)


@pytest.mark.skipif(shutil.which("sox") is None, reason="sox is not installed (make system-deps)")
@pytest.mark.parametrize(("name", "channel"), PHONE_CHANNELS, ids=[n for n, _ in PHONE_CHANNELS])
def test_every_channel_keeps_the_length_and_cuts_the_band(name, channel) -> None:
    audio = _speechlike()
    out = channel(audio)
    assert out.shape == audio.shape and out.dtype == np.float32
    spectrum = np.abs(np.fft.rfft(out)) ** 2
    freqs = np.fft.rfftfreq(len(out), 1 / RATE)
    above = spectrum[freqs > 4000].sum() / spectrum.sum()
    assert above < 0.01, f"{name}: {above:.3f} of the power is above 4 kHz"


def test_noise_is_added_at_the_asked_ratio() -> None:
    audio = _speechlike()
    noisy = with_noise(audio, 15.0)
    noise = noisy - audio
    ratio = 10 * np.log10(np.mean(audio ** 2) / np.mean(noise ** 2))
    assert ratio == pytest.approx(15.0, abs=0.3)
    assert np.array_equal(with_noise(audio, 15.0), noisy)  # seeded
