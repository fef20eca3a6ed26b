"""Fixtures for the transcription tests: generated audio files and the model cache."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest

AudioWriter = Callable[..., Path]


def sine(freq: float, seconds: float, rate: int, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def write_audio(
    path: Path,
    codec: str,
    rate: int,
    channels: np.ndarray,
    container_format: str | None = None,
) -> Path:
    """Encode float32 (channels, samples) with PyAV, so fixtures need no files on disk."""
    layout = "mono" if channels.shape[0] == 1 else "stereo"
    with av.open(str(path), "w", format=container_format) as container:
        stream = container.add_stream(codec, rate=rate, layout=layout)
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(channels, dtype=np.float32), format="fltp", layout=layout
        )
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


@pytest.fixture
def encode_audio() -> Callable[..., Path]:
    """write_audio(path, codec, rate, channels, container_format=None) -> Path."""
    return write_audio


@pytest.fixture
def audio_file(tmp_path: Path) -> AudioWriter:
    """audio_file(name, codec, rate, seconds=1.0, freq=440, stereo=False) -> Path."""

    def make(
        name: str,
        codec: str,
        rate: int,
        seconds: float = 1.0,
        freq: float = 440.0,
        stereo: bool = False,
    ) -> Path:
        tone = sine(freq, seconds, rate)
        data = np.stack([tone, np.zeros_like(tone)]) if stereo else tone[None, :]
        return write_audio(tmp_path / name, codec, rate, data)

    return make


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """PERCHE_MODEL_CACHE when set (reused across runs), else a fresh session folder."""
    env = os.environ.get("PERCHE_MODEL_CACHE")
    return Path(env) if env else tmp_path_factory.mktemp("model-cache")
