"""Typed values produced by the transcription package, JSON-serialisable."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

Progress = Callable[[str, int, int], None]
"""progress(step, completed, total): the one progress protocol of the design."""

SPEAKER_ROLES = ("interviewer", "respondent", "participant", "unknown")


@dataclass
class Word:
    """One recognised word with its time span in seconds and the model's confidence."""

    start: float
    end: float
    word: str
    probability: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Word:
        return cls(
            start=float(data["start"]),
            end=float(data["end"]),
            word=str(data["word"]),
            probability=float(data["probability"]),
        )


@dataclass
class Segment:
    """A stretch of speech; `speaker` stays None until diarization assigns one.

    `overlap` is True when another speaker talks at the same time for a noticeable part
    of the segment (its words may then be less reliable). `start` and `end` are None only
    for a transcript imported from a file that carries no timestamps.
    """

    start: float | None
    end: float | None
    text: str
    speaker: str | None = None
    words: list[Word] = field(default_factory=list)
    overlap: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "speaker": self.speaker,
            "overlap": self.overlap,
            "words": [w.to_dict() for w in self.words],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Segment:
        return cls(
            start=None if data.get("start") is None else float(data["start"]),
            end=None if data.get("end") is None else float(data["end"]),
            text=str(data["text"]),
            speaker=data.get("speaker"),
            words=[Word.from_dict(w) for w in data.get("words", [])],
            overlap=bool(data.get("overlap", False)),
        )


@dataclass
class Speaker:
    """A voice in the recording; role is one of SPEAKER_ROLES."""

    id: str
    role: str = "unknown"
    name: str = ""  # a display name, when the source names the speaker (an imported transcript)

    def __post_init__(self) -> None:
        if self.role not in SPEAKER_ROLES:
            raise ValueError(
                f"Unknown speaker role {self.role!r}; use one of {', '.join(SPEAKER_ROLES)}."
            )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Speaker:
        return cls(id=str(data["id"]), role=str(data.get("role", "unknown")), name=str(data.get("name", "")))


@dataclass
class Transcript:
    """The result of transcribing one recording.

    `turns` are the diarization's speaker turns (who spoke when, including stretches
    with no recognised words), kept for RTTM export and scoring.
    """

    language: str
    duration: float
    segments: list[Segment]
    speakers: list[Speaker] = field(default_factory=list)
    engine: str = ""
    warnings: list[str] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)

    @property
    def text(self) -> str:
        """All segment texts joined by spaces, for search and quick checks."""
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "duration": self.duration,
            "segments": [s.to_dict() for s in self.segments],
            "speakers": [s.to_dict() for s in self.speakers],
            "engine": self.engine,
            "warnings": list(self.warnings),
            "turns": [t.to_dict() for t in self.turns],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        return cls(
            language=str(data["language"]),
            duration=float(data["duration"]),
            segments=[Segment.from_dict(s) for s in data.get("segments", [])],
            speakers=[Speaker.from_dict(s) for s in data.get("speakers", [])],
            engine=str(data.get("engine", "")),
            warnings=[str(w) for w in data.get("warnings", [])],
            turns=[Turn.from_dict(t) for t in data.get("turns", [])],
        )


@dataclass
class AudioInfo:
    """What probe_audio learned about a file: container, codec and shape of the audio."""

    format: str
    codec: str
    duration: float
    channels: int
    sample_rate: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AudioInfo:
        return cls(
            format=str(data["format"]),
            codec=str(data["codec"]),
            duration=float(data["duration"]),
            channels=int(data["channels"]),
            sample_rate=int(data["sample_rate"]),
        )


@dataclass
class Turn:
    """One speaker talking from `start` to `end` seconds, as diarization found it.

    Turns of different speakers may overlap (people talking at once); see
    transcription.alignment.overlapping_regions.
    """

    start: float
    end: float
    speaker: str

    @property
    def duration(self) -> float:
        return max(0.0, self.end - self.start)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Turn:
        return cls(
            start=float(data["start"]),
            end=float(data["end"]),
            speaker=str(data["speaker"]),
        )
