"""Speech recognition for Perché: audio in, timed Transcript out.

Importing the package is cheap: PyAV, numpy and the speech engines load on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from .errors import (
    AudioTooLong,
    EmptyAudio,
    ModelUnavailable,
    TranscriptionError,
    UnsupportedAudio,
)
from .schema import AudioInfo, Progress, Segment, Speaker, Transcript, Word

if TYPE_CHECKING:
    from .audio import load_audio, probe_audio
    from .engines import DecodingHints, get_engine
    from .models import prepare_models
    from .pipeline import SpeakerOptions, transcribe

_LAZY = {
    "probe_audio": ".audio",
    "load_audio": ".audio",
    "prepare_models": ".models",
    "transcribe": ".pipeline",
    "SpeakerOptions": ".pipeline",
    "get_engine": ".engines",
    "DecodingHints": ".engines",
}

__all__ = [
    "AudioInfo",
    "AudioTooLong",
    "DecodingHints",
    "EmptyAudio",
    "ModelUnavailable",
    "Progress",
    "Segment",
    "Speaker",
    "SpeakerOptions",
    "Transcript",
    "TranscriptionError",
    "UnsupportedAudio",
    "Word",
    "get_engine",
    "load_audio",
    "prepare_models",
    "probe_audio",
    "transcribe",
]


def __getattr__(name: str) -> object:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
