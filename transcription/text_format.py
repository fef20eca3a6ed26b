"""The timestamped plain-text transcript, written and read back with each utterance's offsets.

One line per segment, `[hh:mm:ss] Speaker: text` (noScribe and aTrain write this shape too);
the timestamp or the speaker is left out when unknown. The writer gives the character span of
every segment's text in the document (Unicode characters, 0-based, end exclusive), which is
what a REFI-QDA selection points at; the reader gives the same spans back, so an offset
survives a round trip through another tool.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

_TIME = r"\[(?:(\d{1,2}):)?(\d{1,2}):(\d{2})(?:[.,](\d{1,3}))?\]"
_LINE = re.compile(
    rf"^[ \t]*(?:{_TIME}[ \t]*)?"  # [hh:mm:ss] or [mm:ss], optionally with fractions
    r"(?:(?P<speaker>[^\s\d:\[\]][^:\r\n]{0,39}?)[ \t]*:[ \t]+)?"  # Speaker: (a short name, then a colon)
    r"(?P<text>.*?)[ \t]*$"
)
_MAX_SPEAKER_WORDS = 4


@dataclass
class TextLine:
    """One utterance read from a text transcript; `span` locates `text` in the document."""

    line: int  # 1-based line number in the document
    text: str
    speaker: str | None
    start: float | None
    span: tuple[int, int]


def clock(seconds: float) -> str:
    """hh:mm:ss, rounded down to the second."""
    whole = max(0, int(seconds))
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def write_lines(utterances: Iterable[tuple[float | None, str | None, str]],
                newline: str = "\n") -> tuple[str, list[tuple[int, int]]]:
    """The document for (start, speaker name, text) utterances, and each text's span in it.

    Line breaks inside a text become spaces, so every utterance stays on its own line.
    `newline="\\r\\n"` writes the CRLF endings MAQXDA counts offsets with.
    """
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    length = 0
    for start, speaker, text in utterances:
        text = " ".join(text.split())
        prefix = f"[{clock(start)}] " if start is not None else ""
        if speaker:
            prefix += f"{' '.join(speaker.replace(':', ' ').split())}: "
        begin = length + len(prefix)
        spans.append((begin, begin + len(text)))
        line = prefix + text + newline
        parts.append(line)
        length += len(line)
    return "".join(parts), spans


def read_lines(document: str) -> list[TextLine]:
    """The utterances of a text transcript, one per non-empty line, with speakers where lines name them.

    A prefix `Name:` counts as a speaker when it is short (at most four words) and, in a document
    without timestamps, when the same name opens at least two lines (so "Note: ..." in a single
    line stays text). A line without a speaker after one with a speaker continues that speaker's turn.
    """
    raw: list[tuple[int, int, re.Match[str]]] = []
    offset = 0
    for number, line in enumerate(document.splitlines(keepends=True), start=1):
        body = line.rstrip("\r\n")
        if body.strip():
            match = _LINE.match(body)
            assert match is not None  # noqa: S101 - the pattern accepts any line
            raw.append((number, offset, match))
        offset += len(line)
    timed = any(m.group(3) is not None for _, _, m in raw)
    counts = Counter(_speaker(m) for _, _, m in raw)
    result: list[TextLine] = []
    previous: str | None = None
    for number, base, match in raw:
        speaker = _speaker(match)
        if speaker is not None and not timed and counts[speaker] < 2 and len(raw) > 1:
            speaker = None
        if speaker is None:
            begin, end = match.start("speaker") if match.group("speaker") else match.start("text"), match.end("text")
            text = match.string[begin:end]
            speaker = previous
        else:
            begin, end = match.start("text"), match.end("text")
            text = match.group("text")
        if not text:
            continue
        result.append(TextLine(line=number, text=text, speaker=speaker, start=_seconds(match),
                               span=(base + begin, base + end)))
        previous = speaker
    return result


def _speaker(match: re.Match[str]) -> str | None:
    name = match.group("speaker")
    if not name or not match.group("text"):
        return None
    name = name.strip()
    return name if len(name.split()) <= _MAX_SPEAKER_WORDS else None


def _seconds(match: re.Match[str]) -> float | None:
    if match.group(3) is None:
        return None
    hours, minutes, seconds, fraction = match.group(1, 2, 3, 4)
    value = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
    return value + (float(f"0.{fraction}") if fraction else 0.0)
