"""The post-filter that drops silence hallucinations and repetition loops."""

from __future__ import annotations

from transcription.engines import RawSegment, drop_hallucinations, is_silence_hallucination
from transcription.schema import Segment


def raw(text: str, start: float = 0.0, no_speech: float = 0.1, logprob: float = -0.3) -> RawSegment:
    return RawSegment(
        Segment(start, start + 1, text), no_speech_prob=no_speech, avg_logprob=logprob
    )


def texts(segments: list[Segment]) -> list[str]:
    return [s.text for s in segments]


def test_keeps_ordinary_speech() -> None:
    kept = drop_hallucinations([raw("Hello."), raw("We ship late."), raw("Hello.")])
    assert texts(kept) == ["Hello.", "We ship late.", "Hello."]


def test_silence_rule_needs_both_signals() -> None:
    assert is_silence_hallucination(0.9, -1.5)
    assert not is_silence_hallucination(0.9, -0.2)  # confident text over a quiet window
    assert not is_silence_hallucination(0.2, -1.5)  # hard to decode, but speech


def test_drops_silence_hallucination() -> None:
    kept = drop_hallucinations([raw("Real."), raw("Thank you.", no_speech=0.95, logprob=-1.4)])
    assert texts(kept) == ["Real."]


def test_two_repeats_are_kept_three_collapse_to_one() -> None:
    two = [raw("Yes."), raw("yes")]
    assert texts(drop_hallucinations(two)) == ["Yes.", "yes"]
    loop = [
        raw("Okay."),
        raw("Thanks for the call."),
        raw("Thanks for the call"),
        raw("thanks for the call!"),
        raw("thanks for the call."),
        raw("Bye."),
    ]
    assert texts(drop_hallucinations(loop)) == ["Okay.", "Thanks for the call.", "Bye."]


def test_loop_at_the_end_is_collapsed() -> None:
    loop = [raw("A.")] + [raw("So so so.")] * 4
    assert texts(drop_hallucinations(loop)) == ["A.", "So so so."]


def test_drops_empty_and_punctuation_only_text() -> None:
    assert drop_hallucinations([raw(""), raw(" ... "), raw("Ok")]) == [Segment(0.0, 1.0, "Ok")]


def test_hallucination_between_repeats_does_not_break_the_run() -> None:
    items = [raw("Again."), raw("Again."), raw("noise", no_speech=0.9, logprob=-2.0), raw("Again.")]
    assert texts(drop_hallucinations(items)) == ["Again."]
