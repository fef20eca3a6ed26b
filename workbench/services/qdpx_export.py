"""A study as a REFI-QDA project (.qdpx) for NVivo, MAXQDA, ATLAS.ti and QualCoder.

What goes in:
- the users behind the study, its interviews, the analysts' decisions and approved stories;
- the codebook as nested codes (path `delivery/late-shipments` becomes `late-shipments` under
  `delivery`), with definitions and one colour per top-level theme (the workbench's colours);
- each interview as a TextSource whose text is `[hh:mm:ss] Speaker: text`, one line per segment
  (`transcription.text_format.write_lines`, LF or CRLF);
- each coded unit as PlainTextSelection(s) at the exact character offsets of its quote, with the
  codes that count, as in the report (`storytelling.trust.trusted_code`: an analyst's code, one an
  analyst accepted, or a model code at or above the confidence threshold; rejected codes never).
  A quote that runs on into the next transcript line becomes one selection per line, so each
  selection is the customer's own words with no timestamp or speaker label inside. Sentiment and
  reason go in the selection's Description;
- cases per account and per interview, with variables (metadata as Text, among them the respondent,
  their role and the interviewer; the date as Date; each rating question as Integer);
- approved stories as Notes; with `audio`, each recording as an AudioSource with its transcript
  and sync points in milliseconds.

GUIDs are uuid5 of the study and the object, so exporting an unchanged study gives the same file.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, select

from storytelling.schema import Story
from storytelling.schema import UnitCode as StoryCode
from storytelling.trust import trusted_code
from transcription.text_format import write_lines
from workbench import storage
from workbench.interop import qdpx_model as qm
from workbench.interop.qdpx_write import write_qdpx as write_archive
from workbench.models import (
    Code,
    CodedUnit,
    GuideQuestion,
    Interview,
    Recording,
    StoryRecord,
    Study,
    UnitCode,
    User,
)
from workbench.services import transcripts as transcript_service
from workbench.services.coding import code_colour, ratings_by_question
from workbench.services.interviews import find_recording
from workbench.services.reports import confidence_threshold
from workbench.settings import Settings

log = logging.getLogger("perche.qdpx")

# The workbench's theme colours (static/app.css, theme-0 … theme-7), indexed by coding.code_colour.
THEME_COLOURS = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#edc948", "#76b7b2", "#e15759", "#9c755f"]
# Variables an account's case shares when all its interviews agree, and those only an interview's case has
# (the people in it); the import reads each name back into its field.
ACCOUNT_VARIABLES = [("account", "Account"), ("segment", "Segment"), ("region", "Region"),
                     ("product_line", "Product line"), ("journey_stage", "Journey stage"), ("channel", "Channel")]
PERSON_VARIABLES = [("respondent_name", "Respondent"), ("respondent_role", "Respondent role"),
                    ("interviewer_name", "Interviewer")]
TEXT_VARIABLES = ACCOUNT_VARIABLES + PERSON_VARIABLES
DATE_VARIABLE = "Interview date"
MEDIA_TYPE = "application/zip"
_WORD = re.compile(r"\S+")


class _Guids:
    """Stable GUIDs: the same object of the same study always gets the same one."""

    def __init__(self, study_id: int) -> None:
        self.namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"perche:study:{study_id}")

    def __call__(self, *parts: object) -> str:
        return str(uuid.uuid5(self.namespace, ":".join(str(p) for p in parts)))


@dataclass
class _Line:
    """One segment as written: its raw text, its span in the document, and where its words went."""

    segment_id: int
    raw: str
    span: tuple[int, int]
    words: list[tuple[int, int, int]]  # (raw start, raw end, offset in the written text)

    def start_at(self, raw_index: int) -> int:
        """Document offset of the first written character at or after `raw_index`."""
        for start, end, written in self.words:
            if raw_index < end:
                return self.span[0] + written + max(0, raw_index - start)
        return self.span[1]

    def end_at(self, raw_index: int) -> int:
        """Document offset just after the last written character before `raw_index`."""
        for start, end, written in reversed(self.words):
            if raw_index > start:
                return self.span[0] + written + min(raw_index, end) - start
        return self.span[0]


def _line(segment_id: int, raw: str, span: tuple[int, int]) -> _Line:
    """`write_lines` joins a text's words with single spaces; keep where each word landed."""
    words, written = [], 0
    for match in _WORD.finditer(raw):
        words.append((match.start(), match.end(), written))
        written += len(match.group()) + 1
    return _Line(segment_id=segment_id, raw=raw, span=span, words=words)


def _pieces(unit: CodedUnit, lines: list[_Line], index: dict[int, int]) -> list[tuple[int, int, str]] | None:
    """The unit's quote as (start, end, text) stretches of the document, one per transcript line.

    The coding job points a unit at the segment where it starts; a quote that runs on continues
    with the next segment's words (the turn joined them with a space). None when the text no
    longer matches (a line corrected after coding): the highlight on the interview page skips those too.
    """
    position = index.get(unit.segment_id or -1)
    if position is None:
        return None
    line = lines[position]
    first = line.raw[unit.start_char:min(unit.end_char, len(line.raw))]
    if not first.strip() or not unit.text.startswith(first):
        return None
    pieces = [(line.start_at(unit.start_char), line.end_at(unit.start_char + len(first)), first)]
    rest = unit.text[len(first):]
    while rest.strip():
        position += 1
        if position >= len(lines):
            return None
        line = lines[position]
        stripped = rest.lstrip()
        own = line.raw.strip()
        piece = stripped[:len(own)]
        if not own.startswith(piece.rstrip()) or not piece.strip():
            return None
        lead = len(line.raw) - len(line.raw.lstrip())
        pieces.append((line.start_at(lead), line.end_at(lead + len(piece.rstrip())), piece.rstrip()))
        rest = stripped[len(piece):]
    return pieces


def _description(unit: CodedUnit, links: list[tuple[UnitCode, Code]]) -> str:
    lines = []
    if unit.sentiment:
        lines.append(f"Sentiment: {unit.sentiment}")
    own = [f"{code.name} ({link.sentiment})" for link, code in links if link.sentiment
           and link.sentiment != unit.sentiment]
    if own:
        lines.append(f"Sentiment per code: {', '.join(own)}")
    if unit.reason:
        lines.append(f"Why: {' '.join(unit.reason.split())}")
    return "\n".join(lines)


def _codes_tree(codes: list[Code], guid: _Guids) -> tuple[list[qm.Code], dict[int, str]]:
    """Nested codes from paths; a parent missing from the codebook is added as a non-codable folder."""
    by_path: dict[str, qm.Code] = {}
    roots: list[qm.Code] = []
    guids: dict[int, str] = {}
    rows = {c.path: c for c in codes}

    def node(path: str) -> qm.Code:
        if path in by_path:
            return by_path[path]
        row = rows.get(path)
        top = path.split("/", 1)[0]
        # the path rides along in the definition, so a re-import (even after another tool) keeps it
        description = "\n\n".join(p for p in (row.description.strip() if row else "", f"Perché path: {path}") if p)
        made = qm.Code(guid=guid("code", path), name=row.name if row else path.rsplit("/", 1)[-1],
                       description=description, codable=row is not None,
                       color=THEME_COLOURS[code_colour(top) % len(THEME_COLOURS)])
        by_path[path] = made
        parent, _, _ = path.rpartition("/")
        (node(parent).children if parent else roots).append(made)
        return made

    for row in sorted(codes, key=lambda c: c.path):
        guids[row.id] = node(row.path).guid
    return roots, guids


def _user_name(user: User) -> str:
    return user.name or user.email


def build_project(session: Session, *, study: Study, audio: bool = False, crlf: bool = False,
                  settings: Settings | None = None) -> qm.Project:
    """The study as a REFI-QDA project (no database writes). `audio` needs `settings` to find recordings."""
    if audio and settings is None:
        raise ValueError("build_project needs settings to add recordings")
    guid = _Guids(study.id)
    newline = "\r\n" if crlf else "\n"
    threshold = confidence_threshold()
    perche_user = guid("user", "perche")
    users: dict[int | None, str] = {None: perche_user}
    user_names = {perche_user: "Perché (automatic coding)"}

    def user_guid(user_id: int | None) -> str:
        if user_id not in users:
            row = session.get(User, user_id)
            if row is None:
                return perche_user
            users[user_id] = guid("user", user_id)
            user_names[users[user_id]] = _user_name(row)
        return users[user_id]

    project = qm.Project(name=study.name, origin="Perché", creating_user=user_guid(study.created_by),
                         created=study.created_at)
    code_rows = list(session.exec(select(Code).where(Code.study_id == study.id).order_by(Code.path)))
    project.codes, code_guids = _codes_tree(code_rows, guid)
    codes_by_id = {c.id: c for c in code_rows}

    interviews = list(session.exec(select(Interview).where(Interview.study_id == study.id)
                                   .order_by(Interview.interview_date, Interview.id)))
    questions = list(session.exec(select(GuideQuestion).where(GuideQuestion.study_id == study.id,
                                                              GuideQuestion.kind == "rating")
                                  .order_by(GuideQuestion.position)))
    ratings = ratings_by_question(session, study_id=study.id)
    variables = {field: qm.Variable(guid=guid("variable", field), name=label, kind="Text")
                 for field, label in TEXT_VARIABLES}
    variables["interview_date"] = qm.Variable(guid=guid("variable", "interview_date"), name=DATE_VARIABLE,
                                              kind="Date")
    scales = [q.scale or "nps" for q in questions]
    for number, question in enumerate(questions, start=1):
        scale = (question.scale or "nps").upper()
        name = scale if scales.count(question.scale or "nps") == 1 else f"{scale} (question {number})"
        variables[f"rating:{question.id}"] = qm.Variable(guid=guid("variable", "rating", question.id), name=name,
                                                         kind="Integer", description=question.text)
    used_variables: set[str] = set()
    skipped = 0
    by_account: dict[str, list[tuple[Interview, list[qm.Value], str]]] = defaultdict(list)

    for interview in interviews:
        segments = [s for s in transcript_service.segments_of(session, interview_id=interview.id) if s.text.strip()]
        if not segments:
            continue  # not transcribed yet: nothing to analyse
        speakers = {s.id: s.display_name or s.label
                    for s in transcript_service.speakers_of(session, interview_id=interview.id)}
        text, spans = write_lines([(s.start, speakers.get(s.speaker_id), s.text) for s in segments], newline)
        lines = [_line(s.id, s.text, span) for s, span in zip(segments, spans, strict=True)]
        index = {line.segment_id: position for position, line in enumerate(lines)}
        source_guid = guid("interview", interview.id)
        title = " · ".join(p for p in (interview.account, interview.respondent_name) if p)
        source = qm.TextSource(guid=source_guid, name=f"Interview {interview.id}" + (f" – {title}" if title else ""),
                               text=text, creating_user=user_guid(interview.created_by), created=interview.created_at)
        units = list(session.exec(select(CodedUnit).where(CodedUnit.interview_id == interview.id)
                                  .order_by(CodedUnit.position)))
        links: dict[int, list[tuple[UnitCode, Code]]] = defaultdict(list)
        for link in session.exec(select(UnitCode).where(UnitCode.unit_id.in_([u.id for u in units] or [0]),
                                                        UnitCode.status != "rejected").order_by(UnitCode.id)):
            if link.code_id in codes_by_id:
                links[link.unit_id].append((link, codes_by_id[link.code_id]))
        for unit in units:
            counted = [(link, code) for link, code in links.get(unit.id, []) if trusted_code(StoryCode(
                path=code.path, name=code.name, sentiment=link.sentiment,
                assigned_by="analyst" if link.source == "analyst" else "model",
                confirmed=link.status == "accepted", confidence=link.confidence), threshold)]
            if not counted:
                continue
            pieces = _pieces(unit, lines, index)
            # each selection must be exactly the quoted words (write_lines joins a line's words with one space)
            if pieces is None or any(text[start:end] != " ".join(quoted.split()) for start, end, quoted in pieces):
                skipped += 1
                continue
            description = _description(unit, counted)
            for number, (start, end, _) in enumerate(pieces):
                decided = [link.decided_by for link, _ in counted if link.decided_by]
                by = unit.reviewed_by or (decided[0] if decided else None)
                project_selection = qm.Selection(
                    guid=guid("unit", unit.id, number), start=start, end=end, description=description,
                    name=text[start:end][:60], creating_user=user_guid(by), created=unit.reviewed_at or
                    interview.created_at,
                    codings=[qm.Coding(guid=guid("coding", unit.id, number, code.id), code_guid=code_guids[code.id],
                                       creating_user=user_guid(link.decided_by if link.source == "analyst"
                                                               or link.status == "accepted" else None),
                                       created=link.decided_at or unit.reviewed_at or interview.created_at)
                             for link, code in counted])
                source.selections.append(project_selection)
        values: list[qm.Value] = []
        for field, _ in TEXT_VARIABLES:
            value = getattr(interview, field)
            if value:
                values.append(qm.Value(variables[field].guid, value))
                used_variables.add(field)
        if interview.interview_date:
            values.append(qm.Value(variables["interview_date"].guid, interview.interview_date))
            used_variables.add("interview_date")
        for question in questions:
            rating = ratings.get((interview.id, question.id))
            if rating is not None:
                values.append(qm.Value(variables[f"rating:{question.id}"].guid, round(rating.value)))
                used_variables.add(f"rating:{question.id}")
        project.sources.append(source)
        project.cases.append(qm.Case(guid=guid("case", "interview", interview.id), name=source.name,
                                     values=values, source_guids=[source_guid]))
        by_account[interview.account.strip()].append((interview, values, source_guid))
        if audio:
            recording = find_recording(session, interview.id)
            media = _recording_path(settings, recording) if recording is not None else None
            if media is not None:
                points = []
                for segment, line in zip(segments, lines, strict=True):
                    for at, position in ((segment.start, line.span[0]), (segment.end, line.span[1])):
                        if at is not None:
                            points.append(qm.SyncPoint(guid=guid("sync", segment.id, position),
                                                       time_ms=round(at * 1000), position=position))
                project.audio.append(qm.AudioSource(
                    guid=guid("recording", interview.id), name=recording.original_filename or f"{source.name} audio",
                    media=media, transcript_guid=guid("audio-transcript", interview.id), transcript_text=text,
                    sync_points=points, creating_user=source.creating_user, created=interview.created_at))

    for account, members in sorted(by_account.items()):
        if not account:
            continue
        shared = [v for v in members[0][1] if all(v in other for _, other, _ in members[1:])
                  and v.variable_guid in {variables[f].guid for f, _ in ACCOUNT_VARIABLES}]
        project.cases.append(qm.Case(guid=guid("case", "account", account), name=account, values=shared,
                                     source_guids=[g for _, _, g in members],
                                     description=f"{len(members)} interview{'s' if len(members) > 1 else ''}"))
    project.variables = [v for key, v in variables.items() if key in used_variables]
    project.notes = _story_notes(session, study=study, guid=guid, user_guid=user_guid, newline=newline)
    project.users = [qm.User(guid=g, name=user_names[g]) for g in dict.fromkeys(users.values())]
    project.description = f"Perché study #{study.id}: {len(project.sources)} interview transcripts."
    if skipped:
        project.description += (f" {skipped} coded unit{'s were' if skipped > 1 else ' was'} left out: the "
                                "transcript line was corrected after coding; re-code the interview to include it.")
        log.info("Study %s export: %s units left out (lines corrected after coding)", study.id, skipped)
    return project


def _recording_path(settings: Settings | None, recording: Recording) -> storage.StoredRecording | None:
    """The recording to copy into the archive (read from the store as the archive is written), if still stored."""
    if not storage.recording_exists(settings, recording.storage_key):
        return None
    return storage.StoredRecording(settings, recording.storage_key)


def _story_notes(session: Session, *, study: Study, guid: _Guids, user_guid: Callable[[int | None], str],
                 newline: str) -> list[qm.Note]:
    records = session.exec(select(StoryRecord).where(StoryRecord.study_id == study.id,
                                                     StoryRecord.status == "approved")
                           .order_by(StoryRecord.approved_at, StoryRecord.id)).all()
    notes = []
    for record in records:
        story = Story.from_dict(record.data)
        text = f"{story.title}\n\n{story.text}".strip() + "\n"
        subject = f"account {record.account}" if record.account else f"interview {record.interview_id}"
        notes.append(qm.Note(guid=guid("story", record.id), name=f"Story: {story.title}"[:200],
                             text=newline.join(text.split("\n")), description=f"Approved customer story ({subject})",
                             creating_user=user_guid(record.approved_by or record.edited_by),
                             created=record.approved_at or record.edited_at))
    return notes


def write_qdpx(session: Session, settings: Settings, *, study: Study, out: Path, audio: bool = False,
               crlf: bool = False) -> None:
    """Write the study's .qdpx to `out` atomically (a temporary file in the same folder, then a rename)."""
    project = build_project(session, study=study, audio=audio, crlf=crlf, settings=settings)
    out = Path(out)
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            write_archive(project, stream)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def export_file(session: Session, settings: Settings, *, study: Study, audio: bool = False,
                crlf: bool = False) -> Path:
    """The study's .qdpx in a temporary file (the caller streams it, then deletes it)."""
    folder = settings.data_dir / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix="export-", suffix=".qdpx", dir=folder)
    os.close(handle)
    path = Path(name)
    try:
        write_qdpx(session, settings, study=study, out=path, audio=audio, crlf=crlf)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def qdpx_bytes(session: Session, settings: Settings, *, study: Study, audio: bool = False,
               crlf: bool = False) -> bytes:
    """The study's .qdpx in memory (small studies, tests); `export_file` for anything with audio."""
    path = export_file(session, settings, study=study, audio=audio, crlf=crlf)
    try:
        return path.read_bytes()
    finally:
        path.unlink(missing_ok=True)


def export_filename(study: Study) -> str:
    slug = re.sub(r"[^\w-]+", "-", study.name.lower()).strip("-")[:60] or "study"
    return f"{slug}-{study.id}-{dt.date.today():%Y%m%d}.qdpx"
