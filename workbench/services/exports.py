"""Exports for analysts and clients: an interview's transcript as a document or subtitles, and a
study's coded segments, ratings and codebook as spreadsheets (XLSX and CSV).

Which codes count (the "counted in report" column, the codebook's counts) is decided by
`storytelling.trust` on the corpus `reports.build_corpus` builds, so an export and the report
never disagree. Cells a spreadsheet would run as a formula (= + - @) stay text: CSV cells get a
leading apostrophe, XLSX cells are stored as text with Excel's quote prefix.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, select

from transcription.export import (
    TranscriptHeader,
    UntimedTranscript,
    to_f4_text,
    to_srt,
    to_timestamped_text,
    to_vtt,
)
from transcription.schema import SPEAKER_ROLES, Segment, Transcript
from transcription.schema import Speaker as TranscriptSpeaker
from transcription.text_format import clock
from workbench.errors import BadRequest, Conflict
from workbench.models import (
    Code,
    CodedUnit,
    GuideQuestion,
    Interview,
    Rating,
    Speaker,
    Study,
    UnitCode,
)
from workbench.services.redaction import Redactor, passthrough

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

TRANSCRIPT_FORMATS: dict[str, tuple[str, str]] = {
    "docx": (".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "srt": (".srt", "application/x-subrip; charset=utf-8"),
    "vtt": (".vtt", "text/vtt; charset=utf-8"),
    "txt": (".txt", "text/plain; charset=utf-8"),
    "f4": (".f4.txt", "text/plain; charset=utf-8"),
}
TABLE_FORMATS: dict[str, str] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
TABLES = ("segments", "ratings", "codebook")
LANGUAGE_NAMES = {"it": "Italian", "en": "English"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_WIDTH = 60

STATUS_NOTES = [
    ("status", "suggested: proposed by the model, not reviewed yet; accepted or rejected: decided by an analyst."),
    ("assigned by", "model: the coder proposed it; analyst: an analyst added it or chose it in place of another."),
    ("counted in report", ("yes when the report and stories count this code: an analyst's or accepted code, or "
                           "a model code at or above the confidence threshold whose sentiment agrees with its "
                           "sentence. Rejected codes never count.")),
    ("rows without a code", ("units of the respondents' answers with no code at all (small talk, or nothing in "
                             "the codebook fits).")),
]


@dataclass
class Export:
    """A file ready to download or write: its bytes, media type and a readable name."""

    content: bytes
    media_type: str
    filename: str


@dataclass
class Table:
    """One sheet: a title, column headers and rows of plain values (str, int, float, date or None)."""

    title: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)


def slug(text: str, fallback: str) -> str:
    """An ASCII file-name piece: 'Soddisfazione Clienti 2026' -> 'soddisfazione-clienti-2026'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    value = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].strip("-")
    return value or fallback


# --- one interview's transcript ------------------------------------------------------------------

def interview_transcript(session: Session, *, interview: Interview, redaction: Redactor | None = None) -> Transcript:
    """The interview's transcript as stored (corrections included), speakers by their display names.

    With an active `redaction`, personal data in lines and speakers' names is shown as placeholders.
    """
    redaction = redaction or passthrough()
    from workbench.services.interviews import find_recording
    from workbench.services.transcripts import segments_of, speakers_of

    speakers = speakers_of(session, interview_id=interview.id)
    labels = {s.id: s.label for s in speakers}
    segments = [Segment(start=seg.start, end=seg.end, text=redaction.segment_text(seg),
                        speaker=labels.get(seg.speaker_id), overlap=seg.overlap)
                for seg in segments_of(session, interview_id=interview.id)]
    recording = find_recording(session, interview.id)
    ends = [seg.end for seg in segments if seg.end is not None]
    duration = recording.duration if recording is not None else max(ends, default=0.0)
    return Transcript(
        language=interview.transcript_language or interview.language, duration=float(duration), segments=segments,
        speakers=[TranscriptSpeaker(id=s.label, role=s.role if s.role in SPEAKER_ROLES else "unknown",
                                    name=redaction.speaker_name(s)) for s in speakers])


def transcript_header(session: Session, *, interview: Interview, transcript: Transcript,
                      redaction: Redactor | None = None) -> TranscriptHeader:
    """The interview's data for the top of a transcript document."""
    from workbench.services.studies import get_study

    redaction = redaction or passthrough()

    study = get_study(session, interview.study_id)
    title = interview.account or f"Interview #{interview.id}"
    timed = any(seg.end is not None for seg in transcript.segments)
    return TranscriptHeader(
        title=f"{title} — {study.name}", account=interview.account,
        respondent=redaction.name(interview.respondent_name),
        role=interview.respondent_role, date=interview.interview_date.isoformat() if interview.interview_date else "",
        interviewer=redaction.name(interview.interviewer_name), segment=interview.segment, region=interview.region,
        product_line=interview.product_line, journey_stage=interview.journey_stage, channel=interview.channel,
        language=LANGUAGE_NAMES.get(transcript.language, transcript.language if transcript.language != "auto" else ""),
        duration=clock(transcript.duration) if timed and transcript.duration else "")


def transcript_filename(session: Session, *, interview: Interview, fmt: str) -> str:
    from workbench.services.studies import get_study

    study = get_study(session, interview.study_id)
    parts = [slug(study.name, f"study-{study.id}"), slug(interview.account, "interview"), str(interview.id)]
    if interview.interview_date:
        parts.append(interview.interview_date.isoformat())
    return "-".join(parts) + TRANSCRIPT_FORMATS[fmt][0]


def export_transcript(session: Session, *, interview: Interview, fmt: str, redaction: Redactor | None = None) -> Export:
    """The interview's transcript as docx, srt, vtt, txt ([hh:mm:ss] lines) or f4 (MAXQDA's #hh:mm:ss-d# marks).

    An interview not transcribed yet is a Conflict, and so are subtitles of a transcript without timestamps.
    """
    if fmt not in TRANSCRIPT_FORMATS:
        raise BadRequest(f"Unknown transcript format '{fmt}'. Use one of: {', '.join(TRANSCRIPT_FORMATS)}.")
    transcript = interview_transcript(session, interview=interview, redaction=redaction)
    if not any(seg.text.strip() for seg in transcript.segments):
        raise Conflict(f"Interview #{interview.id} has no transcript yet. Download it once the transcription is done.",
                       title="No transcript yet")
    try:
        if fmt == "docx":
            from transcription.export_docx import to_docx

            content = to_docx(transcript, transcript_header(session, interview=interview, transcript=transcript,
                                                            redaction=redaction))
        else:
            writer = {"srt": to_srt, "vtt": to_vtt, "txt": to_timestamped_text, "f4": to_f4_text}[fmt]
            content = writer(transcript).encode("utf-8")
    except UntimedTranscript as exc:
        raise Conflict(str(exc), title="No timestamps") from exc
    return Export(content=content, media_type=TRANSCRIPT_FORMATS[fmt][1],
                  filename=transcript_filename(session, interview=interview, fmt=fmt))


# --- a study's tables ----------------------------------------------------------------------------

META_HEADERS = ["interview id", "account", "respondent", "segment", "region", "product line", "journey stage",
                "channel", "date", "interviewer"]


def _meta(interview: Interview, redaction: Redactor) -> list[Any]:
    return [interview.id, interview.account, redaction.name(interview.respondent_name), interview.segment,
            interview.region, interview.product_line, interview.journey_stage, interview.channel,
            interview.interview_date, redaction.name(interview.interviewer_name)]


def _interviews(session: Session, study: Study) -> dict[int, Interview]:
    rows = session.exec(select(Interview).where(Interview.study_id == study.id)
                        .order_by(Interview.interview_date, Interview.id))
    return {i.id: i for i in rows}


def _trusted(session: Session, study: Study) -> list:
    """The study's interviews with only the codes the report counts (storytelling.trust decides)."""
    from storytelling.trust import trusted_interviews
    from workbench.services.reports import build_corpus

    corpus = build_corpus(session, study)
    return trusted_interviews(corpus.interviews, corpus.study.confidence_threshold)


def segments_table(session: Session, *, study: Study, redaction: Redactor) -> Table:
    """One row per coded unit and code (rejected codes included, with their status), and one per unit with no code."""
    interviews = _interviews(session, study)
    counted = {(int(unit.id), code.path) for data in _trusted(session, study) for unit in data.units
               for code in unit.codes}
    units = session.exec(select(CodedUnit).where(CodedUnit.interview_id.in_(list(interviews) or [0]))
                         .order_by(CodedUnit.interview_id, CodedUnit.position)).all()
    unit_ids = [u.id for u in units] or [0]
    links: dict[int, list[tuple[UnitCode, Code]]] = defaultdict(list)
    for link, code in session.exec(select(UnitCode, Code).join(Code, Code.id == UnitCode.code_id)
                                   .where(UnitCode.unit_id.in_(unit_ids))
                                   .order_by(UnitCode.unit_id, Code.path)):
        links[link.unit_id].append((link, code))
    speakers = {s.id: redaction.speaker_name(s) for s in session.exec(
        select(Speaker).where(Speaker.interview_id.in_(list(interviews) or [0])))}
    questions = {q.id: q.text for q in session.exec(select(GuideQuestion).where(GuideQuestion.study_id == study.id))}
    order = {iid: n for n, iid in enumerate(interviews)}
    table = Table("Coded segments", [
        *META_HEADERS, "unit id", "speaker", "question", "text", "code path", "code name", "sentiment", "reason",
        "confidence", "status", "assigned by", "counted in report", "start (s)", "end (s)"])
    for unit in sorted(units, key=lambda u: (order[u.interview_id], u.position)):
        head = [*_meta(interviews[unit.interview_id], redaction), unit.id, speakers.get(unit.speaker_id, ""),
                questions.get(unit.question_id, ""), redaction.unit_text(unit)]
        reason = redaction.unit_reason(unit)
        tail = [_seconds(unit.start), _seconds(unit.end)]
        if not links.get(unit.id):
            table.rows.append([*head, "", "", unit.sentiment or "", reason, round(unit.confidence, 4),
                               "", "", "", *tail])
        for link, code in links.get(unit.id, []):
            table.rows.append([*head, code.path, code.name, link.sentiment or unit.sentiment or "", reason,
                               round(link.confidence, 4), link.status, link.source,
                               "yes" if (unit.id, code.path) in counted else "no", *tail])
    return table


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def ratings_table(session: Session, *, study: Study, redaction: Redactor) -> Table:
    """Every rating of every interview: the headline scale first, an analyst's before the model's."""
    from workbench.services.coding import headline_scale, nps_group, rating_order

    interviews = _interviews(session, study)
    questions = {q.id: q for q in session.exec(select(GuideQuestion).where(GuideQuestion.study_id == study.id))}
    positions = {qid: q.position for qid, q in questions.items()}
    headline = headline_scale(session, study_id=study.id)
    order = {iid: n for n, iid in enumerate(interviews)}
    rows = session.exec(select(Rating).where(Rating.interview_id.in_(list(interviews) or [0]))).all()
    table = Table("Ratings", [*META_HEADERS, "scale", "value", "scale min", "scale max", "NPS group", "question",
                              "source", "quote"])
    for rating in sorted(rows, key=lambda r: (order[r.interview_id], rating_order(r, headline, positions))):
        question = questions.get(rating.question_id)
        table.rows.append([*_meta(interviews[rating.interview_id], redaction), rating.scale, _number(rating.value),
                           _number(rating.scale_min), _number(rating.scale_max),
                           nps_group(rating.value, rating.scale) or "", question.text if question else "",
                           "analyst" if rating.source == "analyst" else "model",
                           redaction.text(rating.quote.strip(), interview_id=rating.interview_id)])
    return table


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def codebook_table(session: Session, *, study: Study, redaction: Redactor) -> Table:
    """The codebook with what the report counts per code: units, interviews and sentiments."""
    from storytelling.trust import felt

    codes = session.exec(select(Code).where(Code.study_id == study.id).order_by(Code.path)).all()
    units: dict[str, int] = defaultdict(int)
    interviews: dict[str, set[str]] = defaultdict(set)
    sentiments: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for data in _trusted(session, study):
        for unit in data.units:
            for code in unit.codes:
                units[code.path] += 1
                interviews[code.path].add(data.id)
                sentiments[code.path][felt(unit, code.path) or "neutral"] += 1
    table = Table("Codebook", ["code path", "name", "level", "parent", "description", "units coded", "interviews",
                               "positive", "negative", "neutral", "mixed"])
    for code in codes:
        parent = code.path.rsplit("/", 1)[0] if "/" in code.path else ""
        feel = sentiments[code.path]
        table.rows.append([code.path, redaction.text(code.name), code.path.count("/") + 1, parent,
                           redaction.text(code.description),
                           units[code.path], len(interviews[code.path]), feel["positive"], feel["negative"],
                           feel["neutral"], feel["mixed"]])
    return table


BUILDERS = {"segments": segments_table, "ratings": ratings_table, "codebook": codebook_table}
TABLE_NAMES = {"segments": "coded-segments", "ratings": "ratings", "codebook": "codebook"}


def export_table(session: Session, *, study: Study, table: str, fmt: str, today: dt.date | None = None,
                 redaction: Redactor | None = None) -> Export:
    """One of the study's tables (segments, ratings, codebook) as XLSX or CSV; personal data as `redaction` says."""
    if table not in BUILDERS:
        raise BadRequest(f"Unknown table '{table}'. Export one of: {', '.join(TABLES)}.")
    if fmt not in TABLE_FORMATS:
        raise BadRequest(f"Unknown format '{fmt}'. Export as {' or '.join(TABLE_FORMATS)}.")
    data = BUILDERS[table](session, study=study, redaction=redaction or passthrough())
    now = dt.datetime.now().replace(microsecond=0)
    content = to_xlsx(data, about=about_rows(study, data, now)) if fmt == "xlsx" else to_csv(data)
    filename = f"{slug(study.name, f'study-{study.id}')}-{TABLE_NAMES[table]}-{(today or now.date()).isoformat()}.{fmt}"
    return Export(content=content, media_type=TABLE_FORMATS[fmt], filename=filename)


def about_rows(study: Study, table: Table, exported: dt.datetime) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = [("Study", study.name), ("Study id", study.id), ("Exported", exported),
                                   ("Table", table.title), ("Rows", len(table.rows))]
    if table.title == "Coded segments":
        rows += STATUS_NOTES
    elif table.title == "Codebook":
        rows.append(("counts", ("units and interviews the report counts: an analyst's or accepted codes, and "
                                "model codes at or above the confidence threshold whose sentiment agrees with the "
                                "sentence.")))
    elif table.title == "Ratings":
        rows.append(("source", "model: heard in the answer; analyst: typed or corrected by an analyst (it wins)."))
    return rows


# --- writers ---------------------------------------------------------------------------------------

def risky(value: object) -> bool:
    """Whether a spreadsheet could read this text cell as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def to_csv(table: Table) -> bytes:
    """UTF-8 with a byte-order mark (so Excel reads accents right); formula-like text gets a leading apostrophe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow(["" if v is None else f"'{v}" if risky(v) else v.isoformat()
                         if isinstance(v, dt.date) else v for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(table: Table, *, about: list[tuple[str, Any]]) -> bytes:
    """A workbook with the table (bold frozen header, filters, widths to fit) and an "About" sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table.title[:31]
    _fill(sheet, [table.headers, *table.rows])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    if table.rows:
        sheet.auto_filter.ref = sheet.dimensions
    about_sheet = workbook.create_sheet("About")
    _fill(about_sheet, [list(row) for row in about])
    for cell in about_sheet["A"]:
        cell.font = Font(bold=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _fill(sheet: Worksheet, rows: list[list[Any]]) -> None:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.utils import get_column_letter

    widths: dict[int, int] = defaultdict(int)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters an XLSX cannot hold
            cell = sheet.cell(row=r, column=c, value=value)
            if risky(value):
                cell.data_type = "s"  # openpyxl would store '=…' as a formula
                cell.quotePrefix = True  # and Excel keeps it text if someone edits the cell
            elif isinstance(value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(value, float):
                cell.number_format = "0.00##"
            if r <= 500:  # widths from the first rows are enough, and cheap
                shown = 16 if isinstance(value, dt.date) else len(str(value)) if value is not None else 0
                widths[c] = max(widths[c], shown)
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 8), MAX_WIDTH)
