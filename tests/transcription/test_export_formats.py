"""Transcript exports for analysts and clients, opened back with the libraries that read them."""

from __future__ import annotations

import io

import pytest
import webvtt
from docx import Document

from transcription.export import (
    TranscriptHeader,
    UntimedTranscript,
    f4_timestamp,
    to_f4_text,
    to_srt,
    to_timestamped_text,
    to_vtt,
)
from transcription.export_docx import to_docx
from transcription.schema import Segment, Speaker, Transcript
from transcription.text_format import read_lines


def timed() -> Transcript:
    return Transcript(
        language="it", duration=70.0,
        segments=[
            Segment(0.5, 5.34, " Com'è andata la consegna? ", "SPEAKER_00"),
            Segment(61.0, 65.96, "Bene, ma <tardi> & con 2 colli: rotti.", "SPEAKER_01"),
            Segment(66.0, 67.0, "   ", "SPEAKER_01"),
        ],
        speakers=[Speaker("SPEAKER_00", "interviewer", name="Giulia Bianchi"),
                  Speaker("SPEAKER_01", "respondent", name="")],
    )


def untimed() -> Transcript:
    return Transcript(language="en", duration=0.0, segments=[
        Segment(None, None, "How was it?", "A"), Segment(None, None, "Fine, thanks.", "B")],
        speakers=[Speaker("A", "interviewer", name="Interviewer"), Speaker("B", "respondent", name="Anna Rossi")])


def test_srt_prefixes_each_cue_with_the_speakers_name() -> None:
    srt = to_srt(timed())
    assert srt.startswith("1\n00:00:00,500 --> 00:00:05,340\nGiulia Bianchi: Com'è andata la consegna?\n")
    assert "2\n00:01:01,000 --> 00:01:05,960\nSPEAKER_01: Bene, ma <tardi> & con 2 colli: rotti.\n" in srt
    assert "3\n" not in srt  # the empty segment is no cue


def test_vtt_has_voice_tags_that_webvtt_reads_back() -> None:
    captions = webvtt.from_buffer(io.StringIO(to_vtt(timed()))).captions
    assert [c.voice for c in captions] == ["Giulia Bianchi", "SPEAKER_01"]
    assert captions[0].start == "00:00:00.500" and captions[1].end == "00:01:05.960"
    assert captions[1].text == "Bene, ma &lt;tardi&gt; &amp; con 2 colli: rotti."  # escaped, so no stray tag


def test_subtitles_of_an_untimed_transcript_say_why_not() -> None:
    for writer in (to_srt, to_vtt):
        with pytest.raises(UntimedTranscript, match="no timestamps.*DOCX or text"):
            writer(untimed())


def test_a_missing_end_runs_to_the_next_start() -> None:
    transcript = Transcript(language="en", duration=9.0, segments=[
        Segment(1.0, None, "One.", "A"), Segment(4.0, None, "Two.", "A")], speakers=[Speaker("A")])
    captions = webvtt.from_buffer(io.StringIO(to_vtt(transcript))).captions
    assert [(c.start, c.end) for c in captions] == [("00:00:01.000", "00:00:04.000"), ("00:00:04.000", "00:00:09.000")]


def test_timestamped_text_reads_back_with_names_and_times() -> None:
    text = to_timestamped_text(timed())
    assert text.splitlines() == ["[00:00:00] Giulia Bianchi: Com'è andata la consegna?",
                                 "[00:01:01] SPEAKER_01: Bene, ma <tardi> & con 2 colli: rotti."]
    lines = read_lines(text)
    assert [(line.speaker, line.start, line.text) for line in lines] == [
        ("Giulia Bianchi", 0.0, "Com'è andata la consegna?"),
        ("SPEAKER_01", 61.0, "Bene, ma <tardi> & con 2 colli: rotti.")]
    assert to_timestamped_text(untimed()).splitlines() == ["Interviewer: How was it?", "Anna Rossi: Fine, thanks."]


def test_f4_text_marks_the_end_of_each_turn_in_tenths() -> None:
    assert f4_timestamp(5.34) == "#00:00:05-3#" and f4_timestamp(3725.96) == "#01:02:06-0#"
    paragraphs = to_f4_text(timed()).split("\n\n")
    assert paragraphs == ["Giulia Bianchi: Com'è andata la consegna? #00:00:05-3#",
                          "SPEAKER_01: Bene, ma <tardi> & con 2 colli: rotti. #00:01:06-0#\n"]
    assert to_f4_text(untimed(), newline="\r\n") == "Interviewer: How was it?\r\n\r\nAnna Rossi: Fine, thanks.\r\n"


def test_docx_has_title_header_table_and_one_paragraph_per_segment() -> None:
    header = TranscriptHeader(title="Acme S.p.A. — Satisfaction 2026", account="Acme S.p.A.",
                              respondent="Anna Rossi", role="Head of logistics", date="2026-03-04",
                              interviewer="Giulia Bianchi", segment="Enterprise", region="", language="Italian",
                              duration="00:01:10")
    document = Document(io.BytesIO(to_docx(timed(), header)))
    assert document.core_properties.title == "Acme S.p.A. — Satisfaction 2026"
    paragraphs = [p for p in document.paragraphs if p.text]
    assert paragraphs[0].text == "Acme S.p.A. — Satisfaction 2026" and paragraphs[0].style.name == "Heading 1"
    rows = [[cell.text for cell in row.cells] for row in document.tables[0].rows]
    assert rows == [["Account", "Acme S.p.A."], ["Respondent", "Anna Rossi"], ["Role", "Head of logistics"],
                    ["Date", "2026-03-04"], ["Interviewer", "Giulia Bianchi"], ["Segment", "Enterprise"],
                    ["Language", "Italian"], ["Duration", "00:01:10"]]  # empty fields left out
    first, second = paragraphs[1:]
    assert first.text == "[00:00:00] Giulia Bianchi: Com'è andata la consegna?"
    stamp, name = first.runs[0], first.runs[1]
    assert stamp.font.color.rgb is not None and str(stamp.font.color.rgb) == "808080" and not stamp.bold
    assert name.text == "Giulia Bianchi" and name.bold
    assert second.text == "[00:01:01] SPEAKER_01: Bene, ma <tardi> & con 2 colli: rotti."


def test_docx_of_an_untimed_transcript_shows_no_timestamps() -> None:
    document = Document(io.BytesIO(to_docx(untimed())))
    assert document.paragraphs[0].text == "Transcript" and not document.tables
    body = [p.text for p in document.paragraphs[1:] if p.text]
    assert body == ["Interviewer: How was it?", "Anna Rossi: Fine, thanks."]


@pytest.mark.parametrize("filename, write", [
    ("call.srt", lambda t: to_srt(t).encode()), ("call.vtt", lambda t: to_vtt(t).encode()),
    ("call.txt", lambda t: to_timestamped_text(t).encode()), ("call.f4.txt", lambda t: to_f4_text(t).encode()),
    ("call.docx", to_docx),
])
def test_every_export_reads_back_as_the_same_turns(filename, write) -> None:
    from transcription.transcript_files import read_transcript

    original = timed()
    original.segments[1].text = "Bene, ma tardi & con 2 colli: rotti."  # '<tardi>' would be a tag in SRT
    back = read_transcript(write(original), filename)
    names = {s.id: s.name for s in back.speakers}
    assert [(names[s.speaker], s.text) for s in back.segments] == [
        ("Giulia Bianchi", "Com'è andata la consegna?"), ("SPEAKER_01", "Bene, ma tardi & con 2 colli: rotti.")]
    assert back.segments[1].start == pytest.approx(61.0 if not filename.endswith("f4.txt") else 5.3)


def test_docx_drops_characters_word_cannot_hold() -> None:
    transcript = Transcript(language="en", duration=2.0, segments=[Segment(0.0, 1.0, "Bell\x07 rang\x0b twice", "A")],
                            speakers=[Speaker("A", name="Ann\x01")])
    document = Document(io.BytesIO(to_docx(transcript, TranscriptHeader(account="Acme\x1f"))))
    assert [p.text for p in document.paragraphs if p.text][1] == "[00:00:00] Ann: Bell rang twice"
    assert document.tables[0].rows[0].cells[1].text == "Acme"
