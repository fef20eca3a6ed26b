"""Word-to-speaker alignment: splitting at speaker changes, boundaries, overlaps."""

from __future__ import annotations

import itertools

import pytest

from transcription.alignment import assign_word_speakers, overlapping_regions
from transcription.schema import Segment, Turn, Word


def words(*spec: tuple[float, float, str]) -> list[Word]:
    return [Word(start=s, end=e, word=w, probability=0.9) for s, e, w in spec]


def seg(start: float, end: float, text: str, ws: list[Word] | None = None) -> Segment:
    return Segment(start=start, end=end, text=text, words=ws or [])


TURNS = [Turn(0.0, 4.0, "A"), Turn(4.0, 8.0, "B")]


def test_single_speaker_segment_keeps_text_and_times() -> None:
    s = seg(0.5, 3.0, " Hello there.", words((0.5, 1.0, " Hello"), (1.1, 3.0, " there.")))
    [out] = assign_word_speakers([s], TURNS)
    assert (out.start, out.end, out.text, out.speaker) == (0.5, 3.0, " Hello there.", "A")
    assert out.words == s.words
    assert s.speaker is None  # input untouched


def test_segment_spanning_a_speaker_change_is_split_at_the_change() -> None:
    ws = words(
        (2.0, 2.5, " How"),
        (2.5, 2.9, " are"),
        (2.9, 3.6, " you?"),
        (4.2, 4.6, " Fine,"),
        (4.6, 5.0, " thanks."),
    )
    s = seg(2.0, 5.0, " How are you? Fine, thanks.", ws)
    out = assign_word_speakers([s], TURNS)
    assert [(o.speaker, o.text, o.start, o.end) for o in out] == [
        ("A", "How are you?", 2.0, 3.6),
        ("B", "Fine, thanks.", 4.2, 5.0),
    ]
    assert [len(o.words) for o in out] == [3, 2]


def test_back_and_forth_gives_one_segment_per_run() -> None:
    turns = [Turn(0, 2, "A"), Turn(2, 3, "B"), Turn(3, 6, "A")]
    ws = words((0.5, 1.0, "uno"), (1.0, 1.5, "due"), (2.2, 2.8, "sì"), (3.2, 4.0, "tre"))
    out = assign_word_speakers([seg(0.5, 4.0, "uno due sì tre", ws)], turns)
    assert [(o.speaker, o.text) for o in out] == [("A", "uno due"), ("B", "sì"), ("A", "tre")]


def test_word_straddling_a_boundary_goes_to_the_larger_overlap() -> None:
    # 3.7-4.5 overlaps A by 0.3 s and B by 0.5 s
    ws = words((3.0, 3.6, " so"), (3.7, 4.5, " yes"))
    out = assign_word_speakers([seg(3.0, 4.5, " so yes", ws)], TURNS)
    assert [(o.speaker, o.text) for o in out] == [("A", "so"), ("B", "yes")]


def test_word_in_a_gap_goes_to_the_nearest_turn() -> None:
    turns = [Turn(0.0, 2.0, "A"), Turn(5.0, 7.0, "B")]
    ws = words((2.3, 2.6, " early"), (4.5, 4.8, " late"))
    out = assign_word_speakers([seg(2.3, 4.8, " early late", ws)], turns)
    assert [(o.speaker, o.text) for o in out] == [("A", "early"), ("B", "late")]


def test_word_after_the_last_turn_goes_to_the_last_speaker() -> None:
    out = assign_word_speakers([seg(9.0, 9.5, " bye", words((9.0, 9.5, " bye")))], TURNS)
    assert out[0].speaker == "B"


def test_zero_length_word_inside_a_turn() -> None:
    out = assign_word_speakers([seg(5.0, 5.0, "ok", words((5.0, 5.0, "ok")))], TURNS)
    assert out[0].speaker == "B"


def test_segment_without_words_takes_the_majority_speaker() -> None:
    out = assign_word_speakers([seg(3.0, 6.0, "mostly B"), seg(1.0, 4.5, "mostly A")], TURNS)
    assert [o.speaker for o in out] == ["B", "A"]
    assert out[0].text == "mostly B" and out[0].start == 3.0


def test_segment_without_words_outside_all_turns_takes_the_nearest() -> None:
    out = assign_word_speakers([seg(8.5, 9.0, "tail")], TURNS)
    assert out[0].speaker == "B"


def test_overlapping_turns_word_goes_to_longest_overlap() -> None:
    turns = [Turn(0.0, 5.0, "A"), Turn(4.0, 9.0, "B")]
    ws = words((4.1, 4.4, " mhm"), (5.5, 6.0, " right"))
    out = assign_word_speakers([seg(4.1, 6.0, " mhm right", ws)], turns)
    # both overlap "mhm" fully: tie goes to the earlier turn; "right" is B's alone
    assert [(o.speaker, o.text) for o in out] == [("A", "mhm"), ("B", "right")]


def test_words_without_leading_spaces_are_joined_with_spaces() -> None:
    ws = words((0.0, 0.5, "ciao"), (0.5, 1.0, "a"), (4.5, 5.0, "tutti"))
    out = assign_word_speakers([seg(0.0, 5.0, "ciao a tutti", ws)], TURNS)
    assert [o.text for o in out] == ["ciao a", "tutti"]


def test_no_turns_leaves_segments_unassigned() -> None:
    s = seg(0, 1, "x", words((0, 1, "x")))
    out = assign_word_speakers([s], [])
    assert out == [s] and out[0] is not s and out[0].speaker is None


def test_order_and_count_are_preserved_across_segments() -> None:
    segs = [
        seg(0.0, 1.0, " a", words((0.0, 1.0, " a"))),
        seg(3.5, 4.5, " b c", words((3.5, 3.9, " b"), (4.1, 4.5, " c"))),
        seg(6.0, 7.0, " d", words((6.0, 7.0, " d"))),
    ]
    out = assign_word_speakers(segs, TURNS)
    assert [(o.speaker, o.text) for o in out] == [("A", " a"), ("A", "b"), ("B", "c"), ("B", " d")]
    assert all(a.start <= b.start for a, b in itertools.pairwise(out))


def test_overlapping_regions() -> None:
    turns = [
        Turn(0.0, 5.0, "A"),
        Turn(4.0, 6.0, "B"),  # overlaps A on 4-5
        Turn(5.5, 7.0, "A"),  # overlaps B on 5.5-6
        Turn(7.0, 9.0, "B"),  # touches A: no overlap
        Turn(8.0, 8.5, "B"),  # same speaker twice: no overlap
    ]
    assert overlapping_regions(turns) == [(4.0, 5.0), (5.5, 6.0)]


def test_overlapping_regions_merges_three_way_overlap() -> None:
    turns = [Turn(0, 4, "A"), Turn(1, 2, "B"), Turn(2, 3, "C")]
    assert overlapping_regions(turns) == [(1, 3)]
    assert overlapping_regions([]) == []
    assert overlapping_regions([Turn(0, 1, "A")]) == []


@pytest.mark.parametrize("turn", [Turn(1.25, 3.5, "SPEAKER_00"), Turn(0.0, 0.0, "x")])
def test_turn_round_trips_through_dict(turn: Turn) -> None:
    assert Turn.from_dict(turn.to_dict()) == turn
    assert turn.to_dict() == {"start": turn.start, "end": turn.end, "speaker": turn.speaker}


def test_lone_word_straddling_into_the_previous_turn_stays_with_its_sentence() -> None:
    # "On" starts inside A's turn (VAD padding) but the sentence is B's.
    turns = [Turn(0.0, 10.1, "A"), Turn(10.05, 14.0, "B")]
    ws = words((9.9, 10.2, " On"), (10.3, 10.6, " Monday"), (10.7, 11.0, " we"), (11.1, 11.5, " called."))
    out = assign_word_speakers([seg(9.9, 11.5, " On Monday we called.", ws)], turns)
    assert [(o.speaker, o.text) for o in out] == [("B", " On Monday we called.")]


def test_lone_word_well_inside_its_own_turn_is_kept_apart() -> None:
    turns = [Turn(0.0, 2.0, "A"), Turn(2.0, 6.0, "B")]
    ws = words((1.0, 1.5, " Right."), (2.2, 2.6, " So"), (2.7, 3.0, " we"), (3.1, 3.5, " start."))
    out = assign_word_speakers([seg(1.0, 3.5, " Right. So we start.", ws)], turns)
    assert [(o.speaker, o.text) for o in out] == [("A", "Right."), ("B", "So we start.")]


def test_mark_overlaps_flags_segments_spoken_over() -> None:
    from transcription.alignment import mark_overlaps

    turns = [Turn(0.0, 5.0, "A"), Turn(4.0, 9.0, "B"), Turn(12.0, 14.0, "A")]
    segments = [seg(0.0, 3.5, "a"), seg(3.8, 6.0, "b"), seg(12.0, 13.0, "c")]
    out = mark_overlaps(segments, turns)
    assert [o.overlap for o in out] == [False, True, False]
    assert not any(s.overlap for s in segments)  # input untouched


def test_mark_overlaps_ignores_a_graze() -> None:
    from transcription.alignment import mark_overlaps

    turns = [Turn(0.0, 5.0, "A"), Turn(4.9, 9.0, "B")]
    [out] = mark_overlaps([seg(0.0, 5.0, "long answer")], turns)
    assert out.overlap is False


def test_a_sentence_cut_after_a_dangling_word_stays_one_speakers() -> None:
    from transcription.alignment import join_cut_sentences

    segments = [
        Segment(0.0, 2.0, "How likely are you to recommend us?", speaker="A"),
        Segment(2.5, 3.4, "Honestly, a", speaker="B"),
        Segment(3.6, 3.9, "4.", speaker="A"),  # the diarization boundary moved it
        Segment(4.5, 5.5, "Direi un", speaker="B"),
        Segment(5.8, 6.1, "otto.", speaker="B"),  # a pause cut it
        Segment(7.0, 8.0, "Thank you, and the", speaker="A"),
        Segment(8.2, 10.0, "sorry, the deliveries were late again last week", speaker="B"),
    ]
    joined = join_cut_sentences(segments)
    assert [(s.speaker, s.text) for s in joined] == [
        ("A", "How likely are you to recommend us?"),
        ("B", "Honestly, a 4."),
        ("B", "Direi un otto."),
        ("A", "Thank you, and the"),  # a long reply by the other speaker is an interruption
        ("B", "sorry, the deliveries were late again last week"),
    ]
    assert joined[1].start == 2.5 and joined[1].end == 3.9
    assert join_cut_sentences([Segment(0.0, 1.0, "Eight out of ten.", speaker="B"),
                               Segment(1.2, 1.5, "Okay.", speaker="A")])[1].speaker == "A"
