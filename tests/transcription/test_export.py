"""Transcript exports: JSON shape, RTTM, SRT, WebVTT and the readable text."""

from __future__ import annotations

from transcription.export import to_json, to_rttm, to_srt, to_text, to_vtt
from transcription.schema import Segment, Speaker, Transcript, Turn, Word


def transcript(turns: list[Turn] | None = None) -> Transcript:
    return Transcript(
        language="it",
        duration=65.5,
        segments=[
            Segment(0.5, 3.25, " Che voto ci darebbe?", "SPEAKER_00",
                    [Word(0.5, 1.0, " Che", 0.91234), Word(1.0, 1.6, " voto", 0.8)]),
            Segment(61.0, 65.0, " Direi un otto.", "SPEAKER_01", overlap=True),
        ],
        speakers=[Speaker("SPEAKER_00", "interviewer"), Speaker("SPEAKER_01", "respondent")],
        turns=turns or [],
    )


def test_json_has_exactly_the_documented_shape() -> None:
    data = to_json(transcript())
    assert set(data) == {"language", "duration", "speakers", "segments"}
    assert data["speakers"] == [{"id": "SPEAKER_00", "role": "interviewer"},
                                {"id": "SPEAKER_01", "role": "respondent"}]
    first = data["segments"][0]
    assert set(first) == {"start", "end", "speaker", "text", "words"}
    assert first["text"] == "Che voto ci darebbe?"
    assert first["words"][0] == {"start": 0.5, "end": 1.0, "word": " Che", "probability": 0.9123}


def test_rttm_prefers_diarization_turns_and_uses_the_file_id() -> None:
    rttm = to_rttm(transcript([Turn(0.2, 3.4, "SPEAKER_00"), Turn(60.9, 65.2, "SPEAKER_01")]), "my call")
    assert rttm.splitlines() == [
        "SPEAKER my_call 1 0.200 3.200 <NA> <NA> SPEAKER_00 <NA> <NA>",
        "SPEAKER my_call 1 60.900 4.300 <NA> <NA> SPEAKER_01 <NA> <NA>",
    ]


def test_rttm_falls_back_to_segments() -> None:
    lines = to_rttm(transcript(), "sample").splitlines()
    assert lines[0] == "SPEAKER sample 1 0.500 2.750 <NA> <NA> SPEAKER_00 <NA> <NA>"
    assert len(lines) == 2


def test_srt_and_vtt_timestamps_and_speakers() -> None:
    srt = to_srt(transcript())
    assert "1\n00:00:00,500 --> 00:00:03,250\nSPEAKER_00: Che voto ci darebbe?\n" in srt
    assert "2\n00:01:01,000 --> 00:01:05,000\nSPEAKER_01: Direi un otto.\n" in srt
    vtt = to_vtt(transcript())
    assert vtt.startswith("WEBVTT\n")
    assert "00:01:01.000 --> 00:01:05.000\n<v SPEAKER_01>Direi un otto." in vtt


def test_readable_text_shows_time_speaker_role_and_overlap() -> None:
    lines = to_text(transcript()).splitlines()
    assert lines == [
        "[00:00.5 → 00:03.2] SPEAKER_00 (interviewer): Che voto ci darebbe?",
        "[01:01.0 → 01:05.0] SPEAKER_01 (respondent) [overlap]: Direi un otto.",
    ]


def test_transcript_round_trips_with_turns_and_overlap() -> None:
    original = transcript([Turn(0.2, 3.4, "SPEAKER_00")])
    assert Transcript.from_dict(original.to_dict()) == original
