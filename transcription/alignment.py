"""Give transcript words their speakers: merge Whisper segments with diarization turns.

Pure functions, no models:

- ``assign_word_speakers(segments, turns) -> list[Segment]``: every word goes to the
  speaker whose turns overlap it most (the nearest turn when none overlaps it). A
  segment whose words belong to several speakers is split at each change into
  consecutive segments, their text rebuilt from the words and their times taken from
  the words. A segment left whole keeps its text and times. Segments without word
  timestamps go whole to the speaker who overlaps them most. The input is not
  modified; with no turns the segments come back unchanged (speaker None).
- ``overlapping_regions(turns) -> list[tuple[float, float]]``: the stretches where two
  or more different speakers talk at once, merged and sorted, for marking overlapped
  speech in the transcript.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from .schema import Segment, Turn, Word


def _overlap(a_start: float, a_end: float, b_start: float, b_end: float) -> float:
    return max(0.0, min(a_end, b_end) - max(a_start, b_start))


def _gap(a_start: float, a_end: float, b_start: float, b_end: float) -> float:
    """Distance between two intervals (0 when they touch or overlap)."""
    return max(0.0, b_start - a_end, a_start - b_end)


def _speaker_for(start: float, end: float, turns: Sequence[Turn]) -> str:
    """The speaker with the most overlap with [start, end]; the nearest turn's if none.

    Ties go to the speaker whose turn starts first, so results are deterministic.
    """
    totals: dict[str, float] = defaultdict(float)
    for turn in turns:
        ov = _overlap(start, end, turn.start, turn.end)
        if ov > 0:
            totals[turn.speaker] += ov
    if totals:
        return max(totals.items(), key=lambda item: item[1])[0]
    # A zero-length word (start == end) inside a turn counts as overlapping it.
    nearest = min(turns, key=lambda t: (_gap(start, end, t.start, t.end), t.start))
    return nearest.speaker


def _join_words(words: Sequence[Word]) -> str:
    """Text from words: Whisper's words carry their leading space; others get one."""
    if any(w.word[:1].isspace() for w in words[1:]):
        return "".join(w.word for w in words).strip()
    return " ".join(w.word.strip() for w in words if w.word.strip())


def assign_word_speakers(segments: Sequence[Segment], turns: Sequence[Turn]) -> list[Segment]:
    """Segments with speakers set, split wherever the speaker changes mid-segment."""
    turns = [t for t in turns if t.end > t.start]
    if not turns:
        return [replace(s, words=list(s.words)) for s in segments]
    result: list[Segment] = []
    for segment in segments:
        if not segment.words:
            speaker = _speaker_for(segment.start, segment.end, turns)
            result.append(replace(segment, speaker=speaker, words=[]))
            continue
        runs: list[tuple[str, list[Word]]] = []
        for word in segment.words:
            speaker = _speaker_for(word.start, word.end, turns)
            if runs and runs[-1][0] == speaker:
                runs[-1][1].append(word)
            else:
                runs.append((speaker, [word]))
        if len(runs) == 1:
            result.append(replace(segment, speaker=runs[0][0], words=list(segment.words)))
            continue
        for speaker, words in runs:
            result.append(
                Segment(
                    start=words[0].start,
                    end=words[-1].end,
                    text=_join_words(words),
                    speaker=speaker,
                    words=list(words),
                )
            )
    return result


def overlapping_regions(turns: Sequence[Turn]) -> list[tuple[float, float]]:
    """Sorted, merged (start, end) stretches where two or more speakers talk at once."""
    events: list[tuple[float, int, str]] = []
    for t in turns:
        if t.end > t.start:
            # at equal times, ends (-1) sort before starts (+1): touching turns do not overlap
            events.append((t.start, 1, t.speaker))
            events.append((t.end, -1, t.speaker))
    events.sort(key=lambda e: (e[0], e[1]))
    active: dict[str, int] = defaultdict(int)
    regions: list[tuple[float, float]] = []
    opened: float | None = None
    for time, delta, speaker in events:
        active[speaker] += delta
        talking = sum(1 for count in active.values() if count > 0)
        if talking >= 2 and opened is None:
            opened = time
        elif talking < 2 and opened is not None:
            if time > opened:
                if regions and regions[-1][1] >= opened:
                    regions[-1] = (regions[-1][0], time)
                else:
                    regions.append((opened, time))
            opened = None
    return regions
