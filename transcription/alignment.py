"""Give transcript words their speakers: merge Whisper segments with diarization turns.

Pure functions, no models:

- ``assign_word_speakers(segments, turns) -> list[Segment]``: every word goes to the
  speaker whose turns overlap it most (the nearest turn when none overlaps it). A
  segment whose words belong to several speakers is split at each change into
  consecutive segments, their text rebuilt from the words and their times taken from
  the words. A segment left whole keeps its text and times. Segments without word
  timestamps go whole to the speaker who overlaps them most. The input is not
  modified; with no turns the segments come back unchanged (speaker None). A lone word
  at a change that straddles two turns (Whisper's word times and diarization boundaries
  each drift by a few hundred milliseconds) stays with the neighbouring words instead
  of becoming a one-word segment.
- ``mark_overlaps(segments, turns, min_seconds=0.3, min_share=0.25) -> list[Segment]``:
  flags segments spoken while another speaker talks, for at least ``min_seconds`` or
  ``min_share`` of the segment.
- ``join_cut_sentences(segments, max_gap=1.5) -> list[Segment]``: a sentence cut after a
  word that cannot end it ("Honestly, a" | "4.", "Direi un" | "otto") is one speaker's:
  the piece after the cut goes to the speaker of the piece before it (a pause or a
  diarization boundary moved it) and the two become one segment. A piece of another
  speaker's longer than ``MAX_MOVED_WORDS`` words is an interruption and stays theirs.
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
            if segment.start is None or segment.end is None:  # untimed (imported): nothing to align
                result.append(replace(segment, words=[]))
                continue
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
        runs = _absorb_stray_words(runs, turns)
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


def _coverage(word: Word, speaker: str, turns: Sequence[Turn]) -> float:
    """Share of the word's span inside `speaker`'s turns (1.0 for a zero-length word inside one)."""
    span = word.end - word.start
    covered = sum(_overlap(word.start, word.end, t.start, t.end) for t in turns if t.speaker == speaker)
    if span <= 0:
        return 1.0 if any(t.start <= word.start <= t.end for t in turns if t.speaker == speaker) else 0.0
    return min(1.0, covered / span)


def _absorb_stray_words(runs: list[tuple[str, list[Word]]], turns: Sequence[Turn]) -> list[tuple[str, list[Word]]]:
    """Give a lone word at a change to the neighbouring run when the assignment is not clear-cut.

    A one-word run joins a neighbouring run of two or more words when that neighbour's
    turns also touch the word and its own speaker covers less than 80 % of it: the
    typical "On | we had a problem" glitch where a word's start drifts into the previous
    speaker's turn. Words in a gap between turns, or two one-word runs, are left alone.
    """
    if len(runs) < 2:
        return runs
    speakers = [speaker for speaker, _ in runs]
    for index, (speaker, words) in enumerate(runs):
        if len(words) != 1 or _coverage(words[0], speaker, turns) >= 0.8:
            continue
        candidates = [runs[i][0] for i in (index - 1, index + 1)
                      if 0 <= i < len(runs) and len(runs[i][1]) >= 2
                      and _coverage(words[0], runs[i][0], turns) > 0]
        if candidates:
            speakers[index] = max(candidates, key=lambda s: _coverage(words[0], s, turns))
    merged: list[tuple[str, list[Word]]] = []
    for speaker, (_, words) in zip(speakers, runs, strict=True):
        if merged and merged[-1][0] == speaker:
            merged[-1][1].extend(words)
        else:
            merged.append((speaker, list(words)))
    return merged


def mark_overlaps(segments: Sequence[Segment], turns: Sequence[Turn], *, min_seconds: float = 0.3,
                  min_share: float = 0.25) -> list[Segment]:
    """Segments with `overlap` set where another speaker talks at the same time."""
    regions = overlapping_regions(turns)
    result: list[Segment] = []
    for segment in segments:
        if segment.start is None or segment.end is None:  # untimed (imported): no overlap to find
            result.append(replace(segment, words=list(segment.words)))
            continue
        length = max(segment.end - segment.start, 1e-6)
        shared = sum(_overlap(segment.start, segment.end, start, end) for start, end in regions)
        overlapped = shared >= min_seconds or shared / length >= min_share
        result.append(replace(segment, overlap=overlapped and shared > 0, words=list(segment.words)))
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


# Words a sentence cannot end on: articles, prepositions, conjunctions (English and Italian).
_DANGLING = frozenset((
    "a", "an", "the", "of", "to", "for", "with", "from", "by", "at", "in", "on", "and", "or",
    "but", "nor", "than", "as", "is", "are", "was", "were", "my", "our", "your", "their", "its",
    "his", "her", "un", "una", "uno", "il", "lo", "la", "i", "gli", "le", "di", "del", "della",
    "dei", "delle", "da", "dal", "con", "su", "sul", "per", "tra", "fra", "e", "ed", "o", "ma",
    "che", "se", "come", "al", "alla", "ai", "alle", "nel", "nella", "nei", "è", "sono", "era",
    "mio",
))


def _last_word(text: str) -> str:
    words = text.replace("’", "'").split()
    return words[-1].strip(",;:-–—\"'«»()").casefold() if words else ""


def _ends_cut(text: str) -> bool:
    stripped = text.rstrip()
    if not stripped or stripped[-1] in ".?!…":
        return False
    return _last_word(stripped) in _DANGLING or stripped.endswith(("un'", "l'", "dell'"))


MAX_MOVED_WORDS = 4  # a longer piece by another speaker is an interruption, not the ending


def join_cut_sentences(segments: Sequence[Segment], *, max_gap: float = 1.5) -> list[Segment]:
    """Segments with every sentence cut after a dangling word made whole again (see above)."""
    out: list[Segment] = []
    for segment in segments:
        previous = out[-1] if out else None
        if (previous is not None and previous.speaker is not None and _ends_cut(previous.text)
                and segment.start is not None and previous.end is not None
                and segment.start - previous.end <= max_gap
                and (segment.speaker == previous.speaker
                     or len(segment.text.split()) <= MAX_MOVED_WORDS)):
            text = f"{previous.text.rstrip()} {segment.text.lstrip()}"
            end = previous.end if segment.end is None else max(previous.end, segment.end)
            out[-1] = replace(previous, end=end, text=text,
                              words=[*previous.words, *segment.words],
                              overlap=previous.overlap or segment.overlap)
            continue
        out.append(replace(segment, words=list(segment.words)))
    return out
