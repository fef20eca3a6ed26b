"""Transcripts made elsewhere (an agency's Word file, noScribe, aTrain, f4, subtitles, a spreadsheet) read as
a Transcript.

`read_transcript(data, filename, language=, guide_questions=)` picks the reader by the file's
extension, and for a .txt by what it holds (f4/MAXQDA marks, SRT or WebVTT cues, or lines):

- `read_docx`: paragraphs "Speaker: text", with a timestamp in front (`[00:01:02]`, `(00:01:02)`,
  `00:01:02`), after the name ("Speaker (00:01:02): text", "Speaker: [00:01:02] text"), or on a
  line of its own before the speaker's paragraph; a speaker's name alone (with or without a time)
  heads the paragraphs that follow; tables read as [time,] speaker, text columns.
- `read_text_lines`: the same line shapes in plain text, which covers noScribe ("[00:00:05] S01: text")
  and aTrain (a speaker line, then "[00:00:05] - text" lines).
- `read_f4`: the f4/MAXQDA end-of-turn mark `#hh:mm:ss-d#` (d = tenths); the mark is the turn's
  end, and the next turn starts there.
- `read_srt` and `read_vtt`: cues with their times; the speaker from `<v Name>`, a leading `[Name]`
  or "Name: text".
- `read_csv`: a header with speaker, start, end and text (comma, semicolon or tab; seconds or hh:mm:ss).

Text is UTF-8 (with or without BOM), UTF-16 with a BOM, or else Windows-1252. A file without
timestamps gives segments with start and end None. Speakers get ids SPEAKER_00, SPEAKER_01... in
order of appearance, with the name used in the file, and a role from their name ("Interviewer",
"I", "D" for domanda, "Moderatore"...) or else from what they say (`roles.detect_roles`).

Anything that cannot be read raises TranscriptFileError naming the file, the line (or paragraph,
or table row) and what was expected there.
"""

from __future__ import annotations

import codecs
import csv
import html
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import PurePath
from typing import TYPE_CHECKING

from .errors import TranscriptFileError
from .roles import detect_roles
from .schema import Segment, Speaker, Transcript
from .text_format import read_lines

if TYPE_CHECKING:
    from docx.table import Table

MAX_DOCX_EXPANDED = 100 * 1024 * 1024  # a .docx's parts as their headers say (python-docx reads them all)
EXTENSIONS = (".docx", ".txt", ".srt", ".vtt", ".csv")
FORMATS = ("DOCX (Speaker: text paragraphs), TXT ([hh:mm:ss] Speaker: text lines, or f4/MAXQDA #hh:mm:ss-d# "
           "marks), SRT, WebVTT (.vtt) or CSV (speaker,start,end,text)")

_CLOCK = r"(?:(\d{1,2}):)?(\d{1,3}):(\d{2})(?:[.,](\d{1,3}))?"
_CLOCK_ONLY = re.compile(rf"^{_CLOCK}$")
_BRACKETED = rf"[\[(]\s*{_CLOCK}\s*[\])]"
_BARE = r"(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d{1,3}))?"  # hh:mm:ss: a bare mm:ss could be "at 10:30"
_NAME = r"[^\W\d_][\w .'’&/-]{0,38}?"  # a short label: a letter first, no sentence punctuation
_TIME_LINE = re.compile(rf"^(?:{_BRACKETED}|{_CLOCK})$")
_LEADING_TIME = re.compile(rf"^(?:{_BRACKETED}|{_BARE})(?:\s*[-–—]\s+|\s+|$)")
_TIMEISH = re.compile(r"^[\[(]\s*\d{1,3}\s*[:.][^\])\s]*\s*[\])]")  # looks like a timestamp: it must parse
_DASHED_TIMES = re.compile(rf"{_BRACKETED}\s+-\s+")  # aTrain: "[00:00:05] - text", several on a MAXQDA line
_HEADER = re.compile(rf"^(?P<name>{_NAME})\s*(?:(?P<time>{_BRACKETED}|{_BARE}|\d{{1,3}}:\d{{2}}))?\s*(?P<colon>:)?$")
_NAME_THEN_TIME = re.compile(rf"^(?P<name>{_NAME})\s*(?P<time>{_BRACKETED})\s*:\s*(?P<text>.+)$")
_NAME_COLON_TIME = re.compile(rf"^(?P<name>{_NAME})\s*:\s*(?P<time>{_BRACKETED})\s*(?P<text>.+)$")
_SPEAKER_ID = re.compile(r"^(?:SPEAKER[ _]?\d+|S\d{1,3}|Speaker \d+|Sprecher \d+|Parlante \d+)$", re.IGNORECASE)
_F4_MARK = re.compile(r"#(\d{1,2}):(\d{2}):(\d{2})-(\d)#")
_F4_LIKE = re.compile(r"#\d{1,2}:\d[\d:.,-]*#")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f]")
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1b\x7f]")
_TAG = re.compile(r"<[^>]*>")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)*\s+([^>]*)>")
_BRACKET_SPEAKER = re.compile(rf"^\[(?P<name>{_NAME})\]\s*:?\s*(?P<text>.+)$")
_CUE_TIME = r"(?:(\d{1,2}):)?(\d{2}):(\d{2})[.,](\d{1,3})"
_CUE_TIMING = re.compile(rf"^\s*{_CUE_TIME}\s*-->\s*{_CUE_TIME}(?:\s+.*)?$")
_INTERVIEWER_NAMES = frozenset(
    "i int interviewer intervistatore intervistatrice moderator moderatore moderatrice facilitator "
    "d domanda q question ricercatore ricercatrice researcher".split()
)
_TABLE_HEADER_WORDS = frozenset(
    "speaker sprecher parlante interlocutore name nome who chi text testo transcript trascrizione "
    "time tempo zeit timestamp start inizio minutaggio".split()
)


@dataclass
class Utterance:
    """One utterance read from a file; `where` says where it stood ("line 12", "paragraph 4")."""

    where: str
    text: str
    speaker: str | None = None
    start: float | None = None
    end: float | None = None


def read_transcript(data: bytes, filename: str, *, language: str | None = None,
                    guide_questions: Sequence[str] = ()) -> Transcript:
    """The transcript in `data`, read by the reader its file name (and, for .txt, its content) calls for."""
    name = PurePath(filename or "").name or "transcript"
    suffix = PurePath(name).suffix.lower()
    if suffix not in EXTENSIONS:
        hint = " Save it from Word as .docx." if suffix in (".doc", ".rtf", ".odt") else ""
        raise TranscriptFileError(
            f"'{name}' is not a transcript format Perché reads ({suffix or 'no extension'}). "
            f"Accepted: {FORMATS}.{hint}",
            filename=name)
    if not data.strip():
        raise TranscriptFileError(f"'{name}' is empty: expected a transcript, one utterance per line or paragraph.",
                                  filename=name, line=1)
    if suffix == ".docx":
        utterances, kind = read_docx(data, name), "docx"
    else:
        text = decode_text(data, name)
        kind = suffix[1:] if suffix != ".txt" else sniff_text(text)
        reader: dict[str, Callable[[str, str], list[Utterance]]] = {
            "f4": read_f4, "srt": read_srt, "vtt": read_vtt, "csv": read_csv, "lines": read_text_lines}
        utterances = reader[kind](text, name)
    return build_transcript(utterances, filename=name, language=language, guide_questions=guide_questions,
                            engine=f"imported {kind}")


def decode_text(data: bytes, filename: str) -> str:
    """UTF-8 (BOM or not), UTF-16 with a BOM, else Windows-1252; binary content is refused."""
    control = None if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else _CONTROL_BYTES.search(data)
    if control:
        line = data[:control.start()].count(b"\n") + 1
        raise _error(filename, f"line {line}", "holds binary data, not text",
                     "a text transcript (export it from your tool as .txt, .srt, .vtt, .csv or .docx)")
    try:
        if data.startswith(codecs.BOM_UTF8):
            text = data[len(codecs.BOM_UTF8):].decode("utf-8")
        elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = data.decode("utf-16")
        else:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise _error(filename, f"line {line}", "holds bytes that are not text",
                     "a text file saved as UTF-8 (or UTF-16, or Windows-1252)") from None
    for number, text_line in enumerate(text.splitlines(), start=1):
        if _CONTROL.search(text_line):
            raise _error(filename, f"line {number}", "holds binary data, not text",
                         "a text transcript (export it from your tool as .txt, .srt, .vtt, .csv or .docx)")
    return text


def sniff_text(text: str) -> str:
    """What a .txt holds: "f4" (#hh:mm:ss-d# marks), "vtt", "srt", or "lines"."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return "lines"
    if lines[0].startswith("WEBVTT"):
        return "vtt"
    if len(lines) > 1 and lines[0].isdigit() and "-->" in lines[1]:
        return "srt"
    return "f4" if _F4_LIKE.search(text) else "lines"


# --- line-based text: DOCX paragraphs and TXT lines -------------------------------------------------

def read_text_lines(text: str, filename: str) -> list[Utterance]:
    """A plain-text transcript: [hh:mm:ss] Speaker: text lines and their variants (noScribe, aTrain)."""
    rows = [(f"line {number}", line) for number, line in enumerate(text.splitlines(), start=1)]
    if rows and re.match(r"^Transcription for \S+$", rows[0][1].strip()):  # aTrain's first line
        rows = rows[1:]
    return _resolve_speakers(_read_rows(rows, filename))


def read_docx(data: bytes, filename: str) -> list[Utterance]:
    """A Word transcript: its paragraphs read like text lines, its tables as [time,] speaker, text rows."""
    try:
        import docx
        from docx.table import Table
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise TranscriptFileError(f"Reading '{filename}' needs python-docx ({exc}).", filename=filename) from None
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise TranscriptFileError(
            f"'{filename}' is not a Word .docx file (a .docx is a zip archive; this one is not). "
            "Open it in Word and save it as .docx, or export the transcript as .txt.", filename=filename)
    _check_docx_archive(data, filename)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - python-docx raises KeyError, ValueError, BadZipFile...
        raise TranscriptFileError(
            f"'{filename}' could not be opened as a Word document ({type(exc).__name__}: {exc}). "
            "Open it in Word and save it again as .docx.", filename=filename) from None
    rows: list[tuple[str, str]] = []
    paragraphs = tables = 0
    parts: list[Utterance | list[tuple[str, str]]] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            tables += 1
            if rows:
                parts.append(rows)
                rows = []
            parts.extend(_table_rows(block, tables, filename))
        else:
            paragraphs += 1
            style = (block.style.name if block.style is not None else "") or ""
            if style.startswith(("Heading", "Title", "Subtitle")):
                continue  # the document's title and section headings are not speech
            rows.extend((f"paragraph {paragraphs}", piece) for piece in block.text.split("\n"))
    if rows:
        parts.append(rows)
    utterances: list[Utterance] = []
    for part in parts:
        utterances.extend(_read_rows(part, filename) if isinstance(part, list) else [part])
    return _resolve_speakers(utterances)


def _check_docx_archive(data: bytes, filename: str) -> None:
    """Refuse, before python-docx loads every part, a .docx that would expand past `MAX_DOCX_EXPANDED`
    (a zip bomb) or whose XML declares a DTD or entities (read with defusedxml, as no Word file has them)."""
    from xml.etree.ElementTree import ParseError  # nosec B405  # only the exception class; defusedxml parses

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            expanded = sum(info.file_size for info in infos)
            if expanded > MAX_DOCX_EXPANDED:
                raise TranscriptFileError(
                    f"'{filename}' would expand to {expanded // 1024**2} MB, more than the "
                    f"{MAX_DOCX_EXPANDED // 1024**2} MB a transcript document may hold (a zip bomb?); it was not "
                    "opened. Save the transcript again from Word, without embedded media.", filename=filename)
            for info in infos:
                if info.filename.lower().endswith((".xml", ".rels")):
                    try:
                        fromstring(archive.read(info), forbid_dtd=True, forbid_entities=True, forbid_external=True)
                    except DefusedXmlException:
                        raise TranscriptFileError(
                            f"'{filename}' declares a DTD or XML entities in {info.filename[:80]}, which Word never "
                            "writes; it was not read. Save it again from Word as .docx.", filename=filename) from None
                    except ParseError:
                        pass  # python-docx says what is wrong if it needs that part
    except TranscriptFileError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, zlib.error) as exc:
        raise TranscriptFileError(
            f"'{filename}' could not be opened as a Word document ({type(exc).__name__}: {exc}). "
            "Open it in Word and save it again as .docx.", filename=filename) from None


def _table_rows(table: Table, number: int, filename: str) -> list[Utterance]:
    """Rows of [time,] speaker, text cells; a first row of column titles is skipped.

    A table with no time, no column titles and no speaker twice is the interview's data (Account | Acme,
    Date | 3 March), not the conversation, and gives nothing.
    """
    result: list[Utterance] = []
    titled = False
    for index, row in enumerate(table.rows, start=1):
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:  # a merged cell is repeated once per grid column
            if id(cell._tc) not in seen:
                seen.add(id(cell._tc))
                cells.append(" ".join(cell.text.split()))
        cells = [c for c in cells if c]
        if not cells:
            continue
        where = f"table {number}, row {index}"
        if index == 1 and all(len(c.split()) <= 3 for c in cells) and any(
                c.lower().strip(":") in _TABLE_HEADER_WORDS for c in cells):
            titled = True
            continue
        start = None
        if len(cells) >= 2 and _TIME_LINE.match(cells[0]):
            start = _seconds(cells[0], filename, where)
            cells = cells[1:]
        if len(cells) == 1:
            result.append(Utterance(where, cells[0], start=start))
        else:
            speaker = cells[0].rstrip(":").strip()
            result.append(Utterance(where, " ".join(cells[1:]), speaker=speaker or None, start=start))
    speakers = [u.speaker.casefold() for u in result if u.speaker]
    if not titled and all(u.start is None for u in result) and len(set(speakers)) == len(speakers):
        return []
    return result


def _read_rows(rows: list[tuple[str, str]], filename: str) -> list[Utterance]:
    """Lines or paragraphs to utterances: timestamps and speaker headings taken out, inline names left in."""
    cleaned = [(where, re.sub(r"[^\S\t]+", " ", raw).strip()) for where, raw in rows]
    cleaned = [(where, text) for where, text in cleaned if text]
    result: list[Utterance] = []
    heading: str | None = None
    pending: float | None = None
    for index, (where, text) in enumerate(cleaned):
        _check_timestamp(text, filename, where)
        if _TIME_LINE.match(text):  # a timestamp on its own line times the paragraph after it
            pending = _seconds(text, filename, where)
            continue
        start, text = _leading_time(text, filename, where)
        following = cleaned[index + 1][1] if index + 1 < len(cleaned) else ""
        header = _heading(text, following)
        if header is not None:
            heading, time = header
            pending = time if time is not None else (start if start is not None else pending)
            continue
        start = start if start is not None else pending
        pending = None
        speaker = heading
        for pattern in (_NAME_THEN_TIME, _NAME_COLON_TIME):
            match = pattern.match(text)
            if match and start is None:
                start = _seconds(match.group("time"), filename, where)
                text = f"{match.group('name').strip()}: {match.group('text')}"
                break
        if "\t" in text:  # "Name<TAB>text", as agencies often type it
            name, _, rest = text.partition("\t")
            name = name.strip().rstrip(":").strip()
            rest = " ".join(rest.split())
            if rest and re.fullmatch(_NAME, name) and len(name.split()) <= 4:
                text, speaker = rest, name
            else:
                text = " ".join(text.split())
        pieces = _DASHED_TIMES.split(text)
        if len(pieces) > 1 and not pieces[0].strip():  # "[t] - a [t] - b": aTrain's MAXQDA export
            for offset in range(1, len(pieces), 5):
                piece_start = _clock_groups(pieces[offset:offset + 4])
                result.append(Utterance(where, pieces[offset + 4].strip(), speaker=speaker, start=piece_start))
            continue
        result.append(Utterance(where, text, speaker=speaker, start=start))
    return [u for u in result if u.text]


def _heading(text: str, following: str) -> tuple[str, float | None] | None:
    """(name, time) when the line is a speaker's name heading what follows, else None."""
    match = _HEADER.match(text)
    if not match or len(match.group("name").split()) > 4:
        return None
    name = match.group("name").strip()
    time = _clock_value(match.group("time")) if match.group("time") else None
    capitalised = all(word[:1].isupper() or word[:1].isdigit() for word in name.split())
    if match.group("colon"):
        return name, time
    if match.group("time") and (capitalised or _SPEAKER_ID.match(name)):
        return name, time  # Otter: "Speaker 1  0:03"
    if _SPEAKER_ID.match(name) or (capitalised and _DASHED_TIMES.match(following)):
        return name, None  # aTrain: "SPEAKER_00", then "[00:00:05] - text" lines
    return None


def _leading_time(text: str, filename: str, where: str) -> tuple[float | None, str]:
    if _DASHED_TIMES.match(text):
        return None, text  # left for the aTrain split, which may find several
    match = _LEADING_TIME.match(text)
    if not match:
        return None, text
    return _seconds(match.group(0).strip(" -–—"), filename, where), text[match.end():].strip()


def _check_timestamp(text: str, filename: str, where: str) -> None:
    match = _TIMEISH.match(text)
    if match and _clock_value(match.group(0)) is None:
        raise _error(filename, where, f"the timestamp {match.group(0)!r} could not be read",
                     "a time like [00:12:34] (hours, minutes and seconds)")


# --- f4 / MAXQDA ----------------------------------------------------------------------------------

def read_f4(text: str, filename: str) -> list[Utterance]:
    """f4/MAXQDA lines, each turn ending with its time mark #hh:mm:ss-d#; the next turn starts there."""
    result: list[Utterance] = []
    for number, line in enumerate(text.splitlines(), start=1):
        where = f"line {number}"
        body = line.strip()
        if not body:
            continue
        marks = list(_F4_MARK.finditer(body))
        for broken in _F4_LIKE.finditer(body):
            if not any(m.span() == broken.span() for m in marks):
                raise _error(filename, where, f"the time mark {broken.group(0)!r} could not be read",
                             "an f4/MAXQDA mark like #00:01:23-4# (hours:minutes:seconds-tenths)")
        times = [_f4_seconds(m, filename, where) for m in marks]
        leading = marks[0].start() == 0 if marks else False
        start = times[0] if leading else None
        end = times[-1] if marks and (not leading or len(marks) > 1) else None
        words = " ".join(_F4_MARK.sub(" ", body).split())
        if words:
            result.append(Utterance(where, words, start=start, end=end))
        elif result and end is not None and result[-1].end is None:
            result[-1].end = end  # a mark on its own line closes the turn above
    previous_end: float | None = 0.0
    for utterance in result:
        if utterance.start is None:
            utterance.start = previous_end
        previous_end = utterance.end if utterance.end is not None else utterance.start
    return _resolve_speakers(result)


def _f4_seconds(match: re.Match[str], filename: str, where: str) -> float:
    hours, minutes, seconds, tenths = (int(g) for g in match.groups())
    if minutes >= 60 or seconds >= 60:
        raise _error(filename, where, f"the time mark {match.group(0)!r} could not be read",
                     "minutes and seconds below 60, as in #00:01:23-4#")
    return hours * 3600 + minutes * 60 + seconds + tenths / 10


# --- subtitles --------------------------------------------------------------------------------------

def read_srt(text: str, filename: str) -> list[Utterance]:
    """SubRip cues: a number, a time line "00:00:01,000 --> 00:00:04,000", then the text."""
    result: list[Utterance] = []
    for block in _blocks(text):
        first_number, first = block[0]
        index = 1 if first.strip().isdigit() else 0
        looks_like_cue = index == 1 or "-->" in first or re.match(r"^\s*\d+:\d", first)
        if not looks_like_cue:
            if result:  # a blank line inside a cue's text
                result[-1].text += " " + " ".join(line.strip() for _, line in block)
                continue
            raise _error(filename, f"line {first_number}", "no subtitle cue starts here",
                         "a cue number, then a time line like 00:00:01,000 --> 00:00:04,000")
        if index >= len(block):
            raise _error(filename, f"line {first_number}", "the cue number is not followed by its times",
                         "a time line like 00:00:01,000 --> 00:00:04,000 after the cue number")
        number, timing = block[index]
        start, end = _cue_times(timing, filename, number, "00:00:01,000 --> 00:00:04,000")
        payload = " ".join(line.strip() for _, line in block[index + 1:] if line.strip())
        result.extend(_cue_utterances(payload, f"line {number}", start, end))
    return _resolve_speakers(result)


def read_vtt(text: str, filename: str) -> list[Utterance]:
    """WebVTT cues, with the speaker from <v Name> voice tags."""
    blocks = _blocks(text)
    if not blocks or not blocks[0][0][1].lstrip("\ufeff").startswith("WEBVTT"):
        number = blocks[0][0][0] if blocks else 1
        raise _error(filename, f"line {number}", "the file does not start as WebVTT",
                     "a first line reading WEBVTT")
    result: list[Utterance] = []
    for block in blocks[1:]:
        first_number, first = block[0]
        if first.startswith(("NOTE", "STYLE", "REGION")) and "-->" not in first:
            continue
        timing_at = next((i for i, (_, line) in enumerate(block[:2]) if "-->" in line), None)
        if timing_at is None:
            number = block[1][0] if len(block) > 1 and not re.match(r"^\s*\d+:\d", first) else first_number
            raise _error(filename, f"line {number}", "no cue timing was found",
                         "a timing line like 00:00:01.000 --> 00:00:04.000 (after an optional cue name)")
        number, timing = block[timing_at]
        start, end = _cue_times(timing, filename, number, "00:00:01.000 --> 00:00:04.000")
        payload = " ".join(line.strip() for _, line in block[timing_at + 1:] if line.strip())
        result.extend(_cue_utterances(payload, f"line {number}", start, end))
    return _resolve_speakers(result)


def _blocks(text: str) -> list[list[tuple[int, str]]]:
    """Runs of non-blank lines with their 1-based line numbers."""
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            current.append((number, line))
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _cue_times(line: str, filename: str, number: int, example: str) -> tuple[float, float]:
    match = _CUE_TIMING.match(line)
    if not match:
        raise _error(filename, f"line {number}", f"the time line {line.strip()!r} could not be read",
                     f"start and end like {example}")
    start, end = _clock_groups(match.groups()[:4]), _clock_groups(match.groups()[4:])
    if start is None or end is None:
        raise _error(filename, f"line {number}", f"the time line {line.strip()!r} has minutes or seconds "
                     "of 60 or more", f"start and end like {example}")
    if end < start:
        raise _error(filename, f"line {number}", "the cue ends before it starts", f"start before end, as in {example}")
    return start, end


def _cue_utterances(payload: str, where: str, start: float, end: float) -> list[Utterance]:
    """A cue's text, one utterance per voice (<v Name>), tags and entities removed."""
    pieces = _VOICE.split(payload)
    result = []
    lead = html.unescape(_TAG.sub("", pieces[0])).strip()
    if lead:
        match = _BRACKET_SPEAKER.match(lead)
        speaker, lead = (match.group("name").strip(), match.group("text")) if match else (None, lead)
        result.append(Utterance(where, " ".join(lead.split()), speaker=speaker, start=start, end=end))
    for name, words in zip(pieces[1::2], pieces[2::2], strict=True):
        words = " ".join(html.unescape(_TAG.sub("", words)).split())
        if words:
            result.append(Utterance(where, words, speaker=" ".join(name.split()) or None, start=start, end=end))
    return result


# --- spreadsheets ---------------------------------------------------------------------------------

def read_csv(text: str, filename: str) -> list[Utterance]:
    """A header naming speaker, start, end and text (any order, more columns allowed), one row per utterance."""
    header_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(",;\t", key=header_line.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    expected = "a header line with the columns speaker,start,end,text (comma, semicolon or tab separated)"
    try:
        header = next((row for row in reader if any(cell.strip() for cell in row)), [])
        columns = [cell.strip().lower() for cell in header]
        missing = [name for name in ("speaker", "start", "end", "text") if name not in columns]
        if missing:
            raise _error(filename, f"line {reader.line_num}", f"the header lacks the column(s) {', '.join(missing)}",
                         expected)
        where = {name: columns.index(name) for name in ("speaker", "start", "end", "text")}
        result: list[Utterance] = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            line = f"line {reader.line_num}"
            if len(row) != len(columns):
                raise _error(filename, line, f"the row has {len(row)} fields where the header has {len(columns)}",
                             f"{len(columns)} fields; put a text that holds {delimiter!r} in double quotes")
            times = [_csv_time(row[where[name]], filename, line, name, delimiter) for name in ("start", "end")]
            speaker = row[where["speaker"]].strip() or None
            result.append(Utterance(line, " ".join(row[where["text"]].split()), speaker=speaker,
                                    start=times[0], end=times[1]))
    except csv.Error as exc:
        raise _error(filename, f"line {reader.line_num}", f"the row could not be read ({exc})",
                     "comma-separated values with quoted texts") from None
    return [u for u in result if u.text]


def _csv_time(value: str, filename: str, where: str, column: str, delimiter: str) -> float | None:
    value = value.strip()
    if not value:
        return None
    number = value.replace(",", ".") if delimiter != "," else value
    if re.fullmatch(r"\d+(?:\.\d+)?", number):
        return float(number)
    seconds = _clock_value(value)
    if seconds is None:
        raise _error(filename, where, f"the {column} time {value!r} could not be read",
                     "seconds (12.5) or hh:mm:ss(.mmm) (00:00:12.500)")
    return seconds


# --- shared ---------------------------------------------------------------------------------------

def _resolve_speakers(utterances: list[Utterance]) -> list[Utterance]:
    """Speakers named inline ("Name: text") found by text_format.read_lines; named ones kept.

    Every utterance is one line of a document read by read_lines, so its rules apply (a short name; in
    an untimed file, one that opens two lines or more; a line without a name continues the speaker before).
    """
    utterances = [u for u in utterances if u.text]
    document = "\n".join(
        (f"[{_stamp(u.start)}] " if u.start is not None else "")
        + (f"{u.speaker.replace(':', ' ')}: " if u.speaker else "") + u.text.replace("\n", " ")
        for u in utterances)
    lines = {line.line: line for line in read_lines(document)}
    result = []
    for number, utterance in enumerate(utterances, start=1):
        line = lines.get(number)
        if utterance.speaker or line is None:
            result.append(utterance)
        else:
            result.append(replace(utterance, speaker=line.speaker, text=line.text))
    return result


def build_transcript(utterances: list[Utterance], *, filename: str, language: str | None = None,
                     guide_questions: Sequence[str] = (), engine: str = "imported") -> Transcript:
    """Utterances as a Transcript: speaker ids in order of appearance, ends filled in, roles suggested."""
    utterances = [u for u in utterances if u.text.strip()]
    warnings = []
    first = next((i for i, u in enumerate(utterances) if u.speaker or u.start is not None), 0)
    if first and any(u.speaker for u in utterances):
        # untimed lines before the first speaker: a title, a date, the list of participants
        warnings.append(f"Left out {first} line(s) before the first speaker, read as the file's header: "
                        + " / ".join(u.text[:60] for u in utterances[:first]))
        utterances = utterances[first:]
    if not utterances:
        raise TranscriptFileError(f"'{filename}' holds no transcript text: expected lines like "
                                  "'Speaker: what they said'.", filename=filename)
    starts = [u.start for u in utterances]
    ids: dict[str, str] = {}
    names: dict[str, str] = {}
    segments = []
    for position, utterance in enumerate(utterances):
        end = utterance.end
        if end is None and utterance.start is not None:
            later = next((s for s in starts[position + 1:] if s is not None and s >= utterance.start), None)
            end = later if later is not None else utterance.start
        speaker = None
        if utterance.speaker:
            key = utterance.speaker.casefold()
            speaker = ids.setdefault(key, f"SPEAKER_{len(ids):02d}")
            names.setdefault(speaker, utterance.speaker)
        segments.append(Segment(start=utterance.start, end=end, text=utterance.text.strip(), speaker=speaker))
    roles = _roles(segments, names, guide_questions)
    speakers = [Speaker(id=sid, role=roles.get(sid, "unknown"), name=name) for sid, name in names.items()]
    duration = max((t for s in segments for t in (s.start, s.end) if t is not None), default=0.0)
    return Transcript(language=language or "", duration=duration, segments=segments, speakers=speakers,
                      engine=engine, warnings=warnings)


def _roles(segments: list[Segment], names: dict[str, str], guide_questions: Sequence[str]) -> dict[str, str]:
    """The interviewer by name when exactly one speaker is called so ("I", "Intervistatore"), else by what they say."""
    named = [sid for sid, name in names.items() if name.casefold().strip(". ") in _INTERVIEWER_NAMES]
    if len(named) == 1 and len(names) > 1:
        other = "respondent" if len(names) == 2 else "participant"
        return {sid: "interviewer" if sid == named[0] else other for sid in names}
    return detect_roles(segments, guide_questions)


def _stamp(seconds: float) -> str:
    whole = int(seconds)
    millis = round((seconds - whole) * 1000)
    if millis == 1000:
        whole, millis = whole + 1, 0
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}.{millis:03d}"


def _clock_groups(groups: Sequence[str | None]) -> float | None:
    hours, minutes, seconds, fraction = groups
    if minutes is None or seconds is None or int(seconds) >= 60 or (hours is not None and int(minutes) >= 60):
        return None
    value = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
    return value + (float(f"0.{fraction}") if fraction else 0.0)


def _clock_value(text: str) -> float | None:
    """Seconds of "00:01:02", "[1:02]", "(00:01:02.5)"; None when it is no valid time."""
    match = _CLOCK_ONLY.match(text.strip().strip("[]()").strip())
    return _clock_groups(match.groups()) if match else None


def _seconds(text: str, filename: str, where: str) -> float:
    value = _clock_value(text)
    if value is None:
        raise _error(filename, where, f"the timestamp {text.strip()!r} could not be read",
                     "a time like [00:12:34] (hours, minutes and seconds)")
    return value


def _error(filename: str, where: str, problem: str, expected: str) -> TranscriptFileError:
    number = re.search(r"(\d+)$", where)
    return TranscriptFileError(f"'{filename}', {where}: {problem}; expected {expected}.", filename=filename,
                               line=int(number.group(1)) if number else None)
