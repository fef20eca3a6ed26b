"""Transcripts made elsewhere: each format read into segments and speakers, and a malformed file names its line."""

import codecs
import io
import zipfile

import docx
import pytest

from transcription import transcript_files
from transcription.errors import TranscriptFileError, TranscriptionError
from transcription.transcript_files import read_transcript


def _docx(paragraphs=(), table=None, title="Intervista 3 – Rossi Srl") -> bytes:
    document = docx.Document()
    if title:
        document.add_heading(title, 1)
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=0, cols=len(table[0]))
        for values in table:
            for cell, value in zip(grid.add_row().cells, values, strict=True):
                cell.text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _rows(transcript):
    names = {s.id: s.name for s in transcript.speakers}
    return [(s.start, s.end, names.get(s.speaker), s.text) for s in transcript.segments]


def _fails(data, filename, *expected):
    with pytest.raises(TranscriptFileError) as caught:
        read_transcript(data if isinstance(data, bytes) else data.encode(), filename)
    message = str(caught.value)
    assert f"'{filename}'" in message
    for part in expected:
        assert part in message, message
    return caught.value


# --- DOCX ------------------------------------------------------------------------------------------

def test_docx_speaker_paragraphs_without_timestamps():
    data = _docx(["INTERVISTATORE: Come valuta il servizio?", "ROSSI: Bene, però le consegne sono lente.",
                  "Molto lente, a volte.", "INTERVISTATORE: Perché?", "ROSSI: Il corriere cambia spesso."])
    transcript = read_transcript(data, "rossi.docx", language="it")
    assert _rows(transcript) == [
        (None, None, "INTERVISTATORE", "Come valuta il servizio?"),
        (None, None, "ROSSI", "Bene, però le consegne sono lente."),
        (None, None, "ROSSI", "Molto lente, a volte."),  # a paragraph without a name continues the turn
        (None, None, "INTERVISTATORE", "Perché?"),
        (None, None, "ROSSI", "Il corriere cambia spesso."),
    ]
    assert [(s.id, s.name, s.role) for s in transcript.speakers] == [
        ("SPEAKER_00", "INTERVISTATORE", "interviewer"), ("SPEAKER_01", "ROSSI", "respondent")]
    assert transcript.language == "it" and transcript.duration == 0.0


def test_docx_timestamps_in_the_shapes_agencies_write():
    data = _docx(["00:00:05", "Interviewer: How is it going?",  # a timestamp line before the speaker's paragraph
                  "00:00:09", "Anna: Fine.",
                  "[00:00:15] Interviewer: Why fine?",
                  "Anna (00:00:20): Because deliveries are on time.",
                  "Interviewer: [00:00:25] Thank you."])
    assert _rows(read_transcript(data, "anna.docx")) == [
        (5.0, 9.0, "Interviewer", "How is it going?"), (9.0, 15.0, "Anna", "Fine."),
        (15.0, 20.0, "Interviewer", "Why fine?"), (20.0, 25.0, "Anna", "Because deliveries are on time."),
        (25.0, 25.0, "Interviewer", "Thank you.")]


def test_docx_name_headings_and_tab_separated_names():
    headed = _docx(["Speaker 1  0:03", "How is it going?", "Speaker 2  0:07", "Fine, but the delivery was late."])
    assert _rows(read_transcript(headed, "otter.docx")) == [
        (3.0, 7.0, "Speaker 1", "How is it going?"), (7.0, 7.0, "Speaker 2", "Fine, but the delivery was late.")]
    tabbed = _docx(["I\tWie geht's?", "B\tGut."], title="")
    assert _rows(read_transcript(tabbed, "tab.docx")) == [(None, None, "I", "Wie geht's?"), (None, None, "B", "Gut.")]


def test_docx_table_of_time_speaker_and_text():
    data = _docx(table=[["Time", "Speaker", "Text"], ["00:00:01", "Moderatore", "Benvenuti a tutti."],
                        ["00:00:05", "Giulia", "Grazie."], ["00:00:09", "Paolo", "Buongiorno."]])
    transcript = read_transcript(data, "focus.docx")
    assert _rows(transcript) == [(1.0, 5.0, "Moderatore", "Benvenuti a tutti."), (5.0, 9.0, "Giulia", "Grazie."),
                                 (9.0, 9.0, "Paolo", "Buongiorno.")]
    assert [s.role for s in transcript.speakers] == ["interviewer", "participant", "participant"]


def test_docx_table_of_interview_data_is_not_speech():
    document = docx.Document()
    grid = document.add_table(rows=0, cols=2)
    for key, value in [("Account", "Rossi Srl"), ("Date", "3 March 2026"), ("Interviewer", "Giulia")]:
        cells = grid.add_row().cells
        cells[0].text, cells[1].text = key, value
    for text in ["[00:00:02] Giulia: Com'è andata?", "[00:00:05] Mario: Bene."]:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    assert _rows(read_transcript(buffer.getvalue(), "header.docx")) == [(2.0, 5.0, "Giulia", "Com'è andata?"),
                                                                      (5.0, 5.0, "Mario", "Bene.")]


def test_a_malformed_docx_names_the_paragraph():
    error = _fails(_docx(["Interviewer: Hello.", "[00:1x:02] Anna: hi"]), "broken.docx",
                   "paragraph 3", "[00:1x:02]", "[00:12:34]")  # the title is paragraph 1
    assert error.line == 3


@pytest.mark.parametrize("data", [b"this is no zip", b"PK\x03\x04 truncated"])
def test_a_docx_that_is_not_a_zip_is_refused(data):
    _fails(data, "notes.docx", "not a Word .docx file")


def _with_part(data: bytes, name: str, content: bytes) -> bytes:
    """The .docx with one part replaced (or added)."""
    source, buffer = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            if info.filename != name:
                archive.writestr(info, source.read(info))
        archive.writestr(name, content)
    return buffer.getvalue()


def test_a_docx_declaring_xml_entities_is_refused():
    laughs = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
              b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p>'
              b'<w:r><w:t>Anna: &lol2;</w:t></w:r></w:p></w:body></w:document>')
    _fails(_with_part(_docx(["Anna: ciao"]), "word/document.xml", laughs), "lol.docx", "DTD or XML entities")


def test_a_docx_zip_bomb_is_refused_before_it_is_opened(monkeypatch):
    monkeypatch.setattr(transcript_files, "MAX_DOCX_EXPANDED", 1024 * 1024)
    bomb = _with_part(_docx(["Anna: ciao"]), "word/media/padding.bin", b"\0" * (2 * 1024 * 1024))
    assert len(bomb) < 100_000
    _fails(bomb, "bomb.docx", "zip bomb")


# --- TXT ---------------------------------------------------------------------------------------------

def test_txt_bracketed_speaker_lines_noscribe():
    text = ("[00:00:01] S00: How is the service?\n[00:00:05] S01: Good, but slow.\nIt could be faster.\n"
            "[00:00:12] S00: Thanks.\n")
    transcript = read_transcript(text.encode(), "noscribe.txt")
    assert _rows(transcript) == [(1.0, 5.0, "S00", "How is the service?"), (5.0, 12.0, "S01", "Good, but slow."),
                                 (None, None, "S01", "It could be faster."), (12.0, 12.0, "S00", "Thanks.")]
    assert transcript.duration == 12.0 and transcript.engine == "imported lines"


def test_txt_atrain_speaker_lines_then_timed_lines():
    text = ("Transcription for 240101-call.wa\n\n\nSPEAKER_00\n[00:00:00] - Come va il servizio?\n"
            "[00:00:04] - E la consegna?\n\nSPEAKER_01\n[00:00:08] - Bene, grazie.\n")
    assert _rows(read_transcript(text.encode(), "transcription_timestamps.txt")) == [
        (0.0, 4.0, "SPEAKER_00", "Come va il servizio?"), (4.0, 8.0, "SPEAKER_00", "E la consegna?"),
        (8.0, 8.0, "SPEAKER_01", "Bene, grazie.")]
    maxqda = "Transcription for x\n\nSPEAKER_00\n[00:00:00] - Come va? [00:00:04] - E la consegna? \n\nSPEAKER_01\n" \
             "[00:00:08] - Bene. "
    assert [r[0] for r in _rows(read_transcript(maxqda.encode(), "transcription_maxqda.txt"))] == [0.0, 4.0, 8.0]


def test_txt_without_timestamps_has_untimed_segments():
    text = "Interviewer: How is it?\nRespondent: Fine.\nInterviewer: Why?\nRespondent: Because it works.\n"
    transcript = read_transcript(text.encode(), "plain.txt")
    assert all(s.start is None and s.end is None for s in transcript.segments)
    assert [s.role for s in transcript.speakers] == ["interviewer", "respondent"]  # from what they say


def test_a_malformed_txt_names_the_line():
    _fails("[00:00:01] A: hello\n[00:00:04] B: hi\n[00:61:00] A: bye\n", "call.txt", "line 3", "[00:61:00]")


# --- f4 / MAXQDA -----------------------------------------------------------------------------------------

def test_f4_marks_end_each_turn_and_start_the_next():
    text = ("I: Wie geht's? #00:00:05-3#\n\nB: Gut, danke. Die Lieferung war spät. #00:00:09-1#\n"
            "I: Warum? #00:00:12-0#\n")
    transcript = read_transcript(text.encode(), "f4.txt")
    assert _rows(transcript) == [(0.0, 5.3, "I", "Wie geht's?"), (5.3, 9.1, "B", "Gut, danke. Die Lieferung war spät."),
                                 (9.1, 12.0, "I", "Warum?")]
    assert transcript.engine == "imported f4"
    assert [s.role for s in transcript.speakers] == ["interviewer", "respondent"]


def test_a_broken_f4_mark_names_the_line():
    _fails("I: Hallo #00:00:02-0#\nB: Tag. #00:00:5-3#\n", "f4.txt", "line 2", "#00:00:5-3#", "#00:01:23-4#")


# --- SRT and WebVTT --------------------------------------------------------------------------------------

def test_srt_with_bracketed_and_inline_speakers():
    text = ("1\n00:00:01,000 --> 00:00:04,000\n[Interviewer] How are you?\n\n"
            "2\n00:00:04,500 --> 00:00:08,000\nAnna: Fine, <i>thanks</i>.\n\n"
            "3\n00:00:08,000 --> 00:00:09,250\nAnna: Really.\n")
    assert _rows(read_transcript(text.encode(), "call.srt")) == [
        (1.0, 4.0, "Interviewer", "How are you?"), (4.5, 8.0, "Anna", "Fine, thanks."), (8.0, 9.25, "Anna", "Really.")]


def test_a_broken_srt_time_line_names_the_line():
    _fails("1\n00:00:01,000 --> 00:00:04,000\nhi\n\n2\n00:00:05,000 -> 00:00:08,000\nho\n", "call.srt",
           "line 6", "00:00:01,000 --> 00:00:04,000")


def test_vtt_voice_tags_name_the_speakers():
    text = ("WEBVTT\n\nNOTE made by hand\n\n1\n00:01.000 --> 00:04.000\n"
            "<v Anna Bianchi>Ciao &amp; <i>benvenuti</i></v>\n\n"
            "00:00:05.000 --> 00:00:07.000 align:start\n<v.loud Marco>Grazie</v>\n")
    assert _rows(read_transcript(text.encode(), "call.vtt")) == [
        (1.0, 4.0, "Anna Bianchi", "Ciao & benvenuti"), (5.0, 7.0, "Marco", "Grazie")]


def test_a_malformed_vtt_names_the_line():
    _fails("WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nhi\n\ncue-2\nno timing here\n", "call.vtt", "line 7")
    _fails("hello\n\n00:00:01.000 --> 00:00:04.000\nhi\n", "call.vtt", "line 1", "WEBVTT")


def test_a_txt_holding_subtitles_is_read_as_subtitles():
    text = "1\n00:00:01,000 --> 00:00:02,000\nAnna: hi\n"
    assert read_transcript(text.encode(), "export.txt").engine == "imported srt"


# --- CSV ---------------------------------------------------------------------------------------------

def test_csv_with_semicolons_a_bom_and_clock_times():
    text = "\ufeffSpeaker;Start;End;Text\nAnna;0;2,5;Buongiorno\nMarco;00:00:03;;\"Salve; come va?\"\n"
    assert _rows(read_transcript(text.encode(), "turns.csv")) == [
        (0.0, 2.5, "Anna", "Buongiorno"), (3.0, 3.0, "Marco", "Salve; come va?")]


def test_csv_missing_a_column_or_with_a_bad_time_names_the_line():
    _fails("speaker,start,text\nA,1,hi\n", "turns.csv", "line 1", "end", "speaker,start,end,text")
    _fails("speaker,start,end,text\nA,1,2,hi\nB,soon,3,ho\n", "turns.csv", "line 3", "'soon'")
    _fails("speaker,start,end,text\nA,1,2,hi, there\n", "turns.csv", "line 2", "double quotes")


# --- encodings and files that are no transcript ------------------------------------------------------------

@pytest.mark.parametrize("encode", [
    lambda text: text.encode("utf-8"),
    lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
    lambda text: text.encode("utf-16"),  # with its BOM
    lambda text: text.encode("cp1252"),
])
def test_encodings(encode):
    text = "Anna: Sì, è così.\r\nMarco: Però no.\r\nAnna: Perché?\r\nMarco: Costa più.\r\n"
    transcript = read_transcript(encode(text), "call.txt")
    assert [s.text for s in transcript.segments] == ["Sì, è così.", "Però no.", "Perché?", "Costa più."]


@pytest.mark.parametrize(("data", "filename", "expected"), [
    (b"", "empty.txt", "empty"),
    (b"   \n\n", "blank.srt", "empty"),
    (bytes(range(256)) * 4, "garbage.txt", "line 1"),
    (b"Anna: hi\nBob: \x00\x01\x02\x03\n", "nul.txt", "line 2"),
    (b"%PDF-1.7", "transcript.pdf", "Accepted: DOCX"),
    (b"{\\rtf1}", "transcript.doc", "save it from word as .docx"),
])
def test_files_that_are_no_transcript(data, filename, expected):
    with pytest.raises(TranscriptFileError) as caught:
        read_transcript(data, filename)
    assert expected.lower() in str(caught.value).lower() and filename in str(caught.value)
    assert isinstance(caught.value, TranscriptionError)


def test_a_header_before_the_first_speaker_is_left_out_with_a_warning():
    transcript = read_transcript(b"Intervista del 3 marzo\nA: Buongiorno.\nB: Salve.\nA: Come va?\nB: Bene.\n",
                                 "header.txt")
    assert transcript.segments[0].text == "Buongiorno."
    assert "Intervista del 3 marzo" in transcript.warnings[0]
