"""Write a Transcript in the formats people and tools read: JSON, RTTM, SRT, WebVTT, plain text.

Pure functions, no models:

- ``to_json(transcript) -> dict``: {"language", "duration", "speakers": [{"id", "role"}],
  "segments": [{"start", "end", "speaker", "text", "words": [{"start", "end", "word",
  "probability"}]}]}, the public shape of `perche transcribe --json`.
- ``to_rttm(transcript, file_id) -> str``: one SPEAKER line per diarization turn (the
  segments' spans when there are no turns), for scoring with pyannote.metrics or
  dscore. Columns: type file channel start duration <NA> <NA> speaker <NA> <NA>.
- ``to_srt(transcript)`` and ``to_vtt(transcript)``: subtitles, the speaker in front
  of each line when known.
- ``to_text(transcript)``: a readable transcript, one line per segment with its time
  span and speaker (and role).
"""

from __future__ import annotations

import re
from typing import Any

from .schema import Segment, Transcript


def to_json(transcript: Transcript) -> dict[str, Any]:
    return {
        "language": transcript.language,
        "duration": transcript.duration,
        "speakers": [{"id": s.id, "role": s.role} for s in transcript.speakers],
        "segments": [
            {
                "start": round(seg.start, 3),
                "end": round(seg.end, 3),
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
        spans = [(s.start, s.end, s.speaker) for s in transcript.segments if s.speaker]
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


def _caption(seg: Segment) -> str:
    text = seg.text.strip()
    return f"[{seg.speaker}] {text}" if seg.speaker else text


def to_srt(transcript: Transcript) -> str:
    blocks = [
        f"{number}\n{_timestamp(seg.start, ',')} --> {_timestamp(seg.end, ',')}\n{_caption(seg)}\n"
        for number, seg in enumerate((s for s in transcript.segments if s.text.strip()), start=1)
    ]
    return "\n".join(blocks)


def to_vtt(transcript: Transcript) -> str:
    blocks = ["WEBVTT\n"]
    for seg in transcript.segments:
        if not seg.text.strip():
            continue
        text = seg.text.strip()
        cue = f"<v {seg.speaker}>{text}" if seg.speaker else text
        blocks.append(f"{_timestamp(seg.start, '.')} --> {_timestamp(seg.end, '.')}\n{cue}\n")
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
        lines.append(f"[{_clock(seg.start)} → {_clock(seg.end)}]{who}{mark}: {seg.text.strip()}")
    return "\n".join(lines)
