"""The parts of a REFI-QDA project Perché writes and reads, as plain values.

Positions are Unicode characters of the source's plain text, 0-based, end exclusive (the
REFI-QDA convention); a GUID is a lower-case UUID string.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

NAMESPACE = "urn:QDA-XML:project:1.0"
CODEBOOK_NAMESPACE = "urn:QDA-XML:codebook:1.0"
VARIABLE_TYPES = ("Text", "Boolean", "Integer", "Float", "Date", "DateTime")

VariableValue = str | int | float | bool | dt.date | dt.datetime


class QdpxError(ValueError):
    """A project or codebook file that cannot be read; the message says what is wrong with it."""


@dataclass
class User:
    guid: str
    name: str


@dataclass
class Code:
    guid: str
    name: str
    description: str = ""
    color: str | None = None  # #rrggbb
    codable: bool = True
    children: list[Code] = field(default_factory=list)

    def walk(self, parents: tuple[Code, ...] = ()) -> Iterator[tuple[Code, tuple[Code, ...]]]:
        """This code and every code under it, each with its ancestors (outermost first)."""
        yield self, parents
        for child in self.children:
            yield from child.walk((*parents, self))


@dataclass
class Coding:
    guid: str
    code_guid: str
    creating_user: str | None = None
    created: dt.datetime | None = None


@dataclass
class Selection:
    """A stretch of a text source, [start, end), with the codes an analyst put on it."""

    guid: str
    start: int
    end: int
    codings: list[Coding] = field(default_factory=list)
    name: str = ""
    description: str = ""
    creating_user: str | None = None
    created: dt.datetime | None = None


@dataclass
class Value:
    variable_guid: str
    value: VariableValue


@dataclass
class TextSource:
    guid: str
    name: str
    text: str
    selections: list[Selection] = field(default_factory=list)
    values: list[Value] = field(default_factory=list)
    description: str = ""
    creating_user: str | None = None
    created: dt.datetime | None = None


@dataclass
class SyncPoint:
    guid: str
    time_ms: int
    position: int


@dataclass
class AudioSource:
    """A recording, with its transcript (the same text as the interview's TextSource) and sync points."""

    guid: str
    name: str
    media: Path  # the recording (a file, or a storage.StoredRecording), copied as sources/<guid><suffix>
    transcript_guid: str
    transcript_text: str
    sync_points: list[SyncPoint] = field(default_factory=list)
    creating_user: str | None = None
    created: dt.datetime | None = None


@dataclass
class Variable:
    guid: str
    name: str
    kind: str  # one of VARIABLE_TYPES
    description: str = ""


@dataclass
class Case:
    guid: str
    name: str
    values: list[Value] = field(default_factory=list)
    source_guids: list[str] = field(default_factory=list)
    description: str = ""


@dataclass
class Note:
    guid: str
    name: str
    text: str
    description: str = ""
    creating_user: str | None = None
    created: dt.datetime | None = None


@dataclass
class Project:
    name: str
    origin: str = ""
    creating_user: str | None = None
    created: dt.datetime | None = None
    description: str = ""
    users: list[User] = field(default_factory=list)
    codes: list[Code] = field(default_factory=list)
    variables: list[Variable] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    sources: list[TextSource] = field(default_factory=list)
    audio: list[AudioSource] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    # what the reader left out, each with the reason (other source kinds, external files, …)
    ignored: list[str] = field(default_factory=list)

    def all_codes(self) -> Iterator[tuple[Code, tuple[Code, ...]]]:
        for code in self.codes:
            yield from code.walk()
