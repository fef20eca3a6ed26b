"""Schema values survive a JSON round trip."""

from __future__ import annotations

import json

import pytest

from transcription import AudioInfo, Segment, Speaker, Transcript, Word


def make_transcript() -> Transcript:
    words = [Word(0.0, 0.4, " Ask", 0.98), Word(0.4, 0.7, " not", 0.91)]
    return Transcript(
        language="en",
        duration=11.0,
        segments=[
            Segment(0.0, 0.7, "Ask not", words=words),
            Segment(1.0, 2.0, "Grazie.", speaker="SPEAKER_01"),
        ],
        speakers=[Speaker("SPEAKER_01", role="respondent")],
        engine="faster-whisper",
        warnings=["something to know"],
    )


def test_transcript_round_trips_through_json() -> None:
    original = make_transcript()
    restored = Transcript.from_dict(json.loads(json.dumps(original.to_dict())))
    assert restored == original


def test_audio_info_round_trips() -> None:
    info = AudioInfo("wav", "pcm_mulaw", 2.0, 1, 8000)
    assert AudioInfo.from_dict(json.loads(json.dumps(info.to_dict()))) == info


def test_defaults_are_not_shared() -> None:
    a, b = Segment(0, 1, "a"), Segment(1, 2, "b")
    a.words.append(Word(0, 1, "a", 1.0))
    assert b.words == []
    assert Transcript("en", 1.0, []).warnings == []


def test_from_dict_fills_optional_fields() -> None:
    t = Transcript.from_dict(
        {"language": "it", "duration": 3, "segments": [{"start": 0, "end": 1, "text": "Ciao"}]}
    )
    assert t.segments[0].speaker is None and t.segments[0].words == []
    assert t.speakers == [] and t.engine == ""


def test_text_joins_segments() -> None:
    assert make_transcript().text == "Ask not Grazie."


def test_speaker_role_is_checked() -> None:
    assert Speaker("A").role == "unknown"
    with pytest.raises(ValueError, match="interviewer"):
        Speaker("A", role="host")
