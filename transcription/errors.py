"""Errors a user can cause; each message says what to do next."""

from __future__ import annotations

SUPPORTED_UPLOADS = "mp3, m4a, wav, ogg, opus, flac or mp4"


class TranscriptionError(ValueError):
    """Base class: a recording could not be transcribed for a reason the user can fix."""


class UnsupportedAudio(TranscriptionError):
    """The file is not audio we can decode (not media, no audio track, corrupt)."""


class EmptyAudio(TranscriptionError):
    """The file decodes but holds no sound (zero length or zero samples)."""


class AudioTooLong(TranscriptionError):
    """The recording is longer than the configured limit."""


class ModelUnavailable(TranscriptionError):
    """The speech model weights are missing or fail their checksum."""


class TranscriptFileError(TranscriptionError):
    """A transcript file (DOCX, TXT, SRT, VTT, CSV) could not be read; the message names the file and line."""

    def __init__(self, message: str, *, filename: str = "", line: int | None = None) -> None:
        super().__init__(message)
        self.filename = filename
        self.line = line
