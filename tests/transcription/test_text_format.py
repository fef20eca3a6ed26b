"""The timestamped text transcript: spans written are the spans read back, whatever the line endings."""

import pytest

from transcription.text_format import clock, read_lines, write_lines

UTTERANCES = [(0.0, "Interviewer", "Come valuta il servizio?"),
              (3.5, "Mario Rossi", "Bene: direi\nun otto, però… è caro."),
              (3725.2, "Cliente 😀", "Ünïcödé ok")]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_spans_round_trip(newline):
    document, spans = write_lines(UTTERANCES, newline=newline)
    lines = read_lines(document)
    assert [line.span for line in lines] == spans
    assert [document[a:b] for a, b in spans] == ["Come valuta il servizio?", "Bene: direi un otto, però… è caro.",
                                                 "Ünïcödé ok"]
    assert [line.speaker for line in lines] == ["Interviewer", "Mario Rossi", "Cliente 😀"]
    assert [line.start for line in lines] == [0.0, 3.0, 3725.0]
    assert document.splitlines()[2].startswith("[01:02:05] ")


def test_speaker_prefix_needs_to_recur_without_timestamps():
    lines = read_lines("Note: the delivery was late.\nA: hello\nB: hi\nA: so\nB: yes\n\nplain continuation\n")
    assert lines[0].speaker is None and lines[0].text == "Note: the delivery was late."
    assert [line.speaker for line in lines[1:]] == ["A", "B", "A", "B", "B"]
    assert lines[-1].line == 7


def test_long_prefix_is_text():
    (line,) = read_lines("[00:01] The thing I liked most of all: the price\n")
    assert line.speaker is None and line.text == "The thing I liked most of all: the price" and line.start == 1.0


def test_clock():
    assert clock(0) == "00:00:00" and clock(59.9) == "00:00:59" and clock(36000) == "10:00:00"
