"""Write a Transcript in the formats people and tools read: JSON, RTTM, SRT, WebVTT, plain text.

Pure functions, no models. Speakers are shown by their display name (`Speaker.name`) when
the transcript carries one, else by their id (SPEAKER_00).

- ``to_json(transcript) -> dict``: {"language", "duration", "speakers": [{"id", "role"}],
  "segments": [{"start", "end", "speaker", "text", "words": [{"start", "end", "word",
  "probability"}]}]}, the public shape of `perche transcribe --json`.
- ``to_rttm(transcript, file_id) -> str``: one SPEAKER line per diarization turn (the
  segments' spans when there are no turns), for scoring with pyannote.metrics or
  dscore. Columns: type file channel start duration <NA> <NA> speaker <NA> <NA>.
- ``to_srt(transcript)`` and ``to_vtt(transcript)``: subtitles with speakers (SRT as a
  ``Name: `` prefix, WebVTT as a ``<v Name>`` voice tag). A transcript imported without
  timestamps cannot be subtitles: both raise `UntimedTranscript`.
- ``to_text(transcript)``: a readable transcript, one line per segment with its time
  span and speaker (and role), for `perche transcribe`.
- ``to_timestamped_text(transcript)``: ``[hh:mm:ss] Name: text`` lines (noScribe, aTrain and
  `transcription.text_format` read them back).
- ``to_f4_text(transcript)``: f4/MAXQDA paragraphs, ``Name: text #hh:mm:ss-d#`` with the time
  at the end of each turn (d = tenths of a second).
- ``TranscriptHeader``: the interview's data printed above a transcript (see ``export_docx``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any

from .errors import TranscriptionError
from .schema import Transcript
from .text_format import clock, write_lines


class UntimedTranscript(TranscriptionError):
    """The transcript carries no timestamps, and the format needs them (subtitles)."""


HEADER_LABELS = {"account": "Account", "respondent": "Respondent", "role": "Role", "date": "Date",
                 "interviewer": "Interviewer", "segment": "Segment", "region": "Region",
                 "product_line": "Product line", "journey_stage": "Journey stage", "channel": "Channel",
                 "language": "Language", "duration": "Duration"}


@dataclass
class TranscriptHeader:
    """What a transcript document says about its interview; empty fields are left out."""

    title: str = ""
    account: str = ""
    respondent: str = ""
    role: str = ""
    date: str = ""
    interviewer: str = ""
    segment: str = ""
    region: str = ""
    product_line: str = ""
    journey_stage: str = ""
    channel: str = ""
    language: str = ""
    duration: str = ""

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) of every filled field but the title, in a fixed order."""
        return [(HEADER_LABELS[f.name], str(getattr(self, f.name)).strip()) for f in fields(self)
                if f.name != "title" and str(getattr(self, f.name)).strip()]


def speaker_names(transcript: Transcript) -> dict[str, str]:
    """Each speaker id's display name (its id when it has none)."""
    return {s.id: s.name.strip() or s.id for s in transcript.speakers}


def is_timed(transcript: Transcript) -> bool:
    """Whether every segment with text has a start time (imported transcripts may have none)."""
    return all(seg.start is not None for seg in transcript.segments if seg.text.strip())


def to_json(transcript: Transcript) -> dict[str, Any]:
    return {
        "language": transcript.language,
        "duration": transcript.duration,
        "speakers": [{"id": s.id, "role": s.role} for s in transcript.speakers],
        "segments": [
            {
                "start": None if seg.start is None else round(seg.start, 3),
                "end": None if seg.end is None else round(seg.end, 3),
                "speaker": seg.speaker,
                "text": seg.text.strip(),
                "words": [
                    {"start": round(w.start, 3), "end": round(w.end, 3), "word": w.word,
                     "probability": round(w.probability, 4)}
                    for w in seg.words
                ],
            }
            for seg in transcript.segments
        ],
    }


def _rttm_file_id(file_id: str) -> str:
    """RTTM fields are whitespace-separated: a file id cannot contain spaces."""
    return re.sub(r"\s+", "_", file_id.strip()) or "audio"


def to_rttm(transcript: Transcript, file_id: str) -> str:
    file_id = _rttm_file_id(file_id)
    spans = [(t.start, t.end, t.speaker) for t in transcript.turns]
    if not spans:
        spans = [(s.start, s.end, s.speaker) for s in transcript.segments
                 if s.speaker and s.start is not None and s.end is not None]
    lines = [
        f"SPEAKER {file_id} 1 {start:.3f} {end - start:.3f} <NA> <NA> {speaker} <NA> <NA>"
        for start, end, speaker in sorted(spans) if end > start
    ]
    return "\n".join(lines) + ("\n" if lines else "")


def _timestamp(seconds: float, separator: str) -> str:
    millis = round(max(seconds, 0.0) * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _cues(transcript: Transcript, what: str) -> list[tuple[float, float, str | None, str]]:
    """(start, end, speaker name, text) of every segment with text; a missing end runs to the next start."""
    spoken = [seg for seg in transcript.segments if seg.text.strip()]
    if not is_timed(transcript):
        raise UntimedTranscript(
            f"This transcript has no timestamps (it was imported from a file without them), so it cannot be "
            f"written as {what} subtitles. Download it as DOCX or text instead.")
    names = speaker_names(transcript)
    cues = []
    for index, seg in enumerate(spoken):
        if seg.start is None:  # never: is_timed checked every segment with text
            continue
        start = seg.start
        following = spoken[index + 1].start if index + 1 < len(spoken) else None
        end = seg.end if seg.end is not None else following if following is not None else \
            max(start, transcript.duration)
        name = names.get(seg.speaker, seg.speaker) if seg.speaker else None
        cues.append((start, max(start, float(end)), name, " ".join(seg.text.split())))
    return cues


def to_srt(transcript: Transcript) -> str:
    blocks = [
        f"{number}\n{_timestamp(start, ',')} --> {_timestamp(end, ',')}\n{f'{name}: ' if name else ''}{text}\n"
        for number, (start, end, name, text) in enumerate(_cues(transcript, "SRT"), start=1)
    ]
    return "\n".join(blocks)


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(transcript: Transcript) -> str:
    blocks = ["WEBVTT\n"]
    for start, end, name, text in _cues(transcript, "WebVTT"):
        voice = _vtt_escape(name).replace("\n", " ") if name else ""
        cue = f"<v {voice}>{_vtt_escape(text)}" if name else _vtt_escape(text)
        blocks.append(f"{_timestamp(start, '.')} --> {_timestamp(end, '.')}\n{cue}\n")
    return "\n".join(blocks)


def _clock(seconds: float) -> str:
    minutes, secs = divmod(max(seconds, 0.0), 60)
    return f"{int(minutes):02d}:{secs:04.1f}"


def to_text(transcript: Transcript) -> str:
    roles = {s.id: s.role for s in transcript.speakers}
    lines = []
    for seg in transcript.segments:
        who = ""
        if seg.speaker:
            role = roles.get(seg.speaker, "unknown")
            who = f" {seg.speaker}" + (f" ({role})" if role != "unknown" else "")
        mark = " [overlap]" if seg.overlap else ""
        when = f"[{_clock(seg.start)} → {_clock(seg.end)}]" if seg.start is not None and seg.end is not None else ""
        lines.append(f"{when}{who}{mark}: {seg.text.strip()}".lstrip())
    return "\n".join(lines)


def to_timestamped_text(transcript: Transcript, newline: str = "\n") -> str:
    """`[hh:mm:ss] Name: text` per segment (no timestamp where a segment has none)."""
    names = speaker_names(transcript)
    document, _spans = write_lines(
        ((seg.start, names.get(seg.speaker, seg.speaker) if seg.speaker else None, seg.text)
         for seg in transcript.segments if seg.text.strip()), newline)
    return document


def f4_timestamp(seconds: float) -> str:
    """#hh:mm:ss-d#, d the tenths of a second: the f4transkript mark MAXQDA links to the audio."""
    tenths = round(max(seconds, 0.0) * 10)
    return f"#{clock(tenths // 10)}-{tenths % 10}#"


def to_f4_text(transcript: Transcript, newline: str = "\n") -> str:
    """One paragraph per segment, `Name: text #hh:mm:ss-d#`, the time where the turn ends.

    Paragraphs are separated by an empty line, as f4transkript writes them; a segment without
    timestamps gets no mark.
    """
    names = speaker_names(transcript)
    paragraphs = []
    for seg in transcript.segments:
        text = " ".join(seg.text.split())
        if not text:
            continue
        who = " ".join(names.get(seg.speaker, seg.speaker).replace(":", " ").split()) if seg.speaker else ""
        when = seg.end if seg.end is not None else seg.start
        paragraphs.append((f"{who}: " if who else "") + text + (f" {f4_timestamp(when)}" if when is not None else ""))
    return (newline * 2).join(paragraphs) + (newline if paragraphs else "")
