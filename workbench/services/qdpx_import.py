"""REFI-QDA into a study: a .qdc codebook (replace or merge) or a .qdpx project from another tool.

A project's text sources become interviews with transcripts and no recording (segments read by
`transcription.text_format.read_lines`, speakers where lines name them); its codings become
analyst-accepted codes on units, one unit per transcript line a selection covers, each logged as
an analyst's "add" in the CodingEvent log (so re-coding an interview gives them back to units
with the same text); its case and source variables become interview metadata where their names
say which field (English or Italian); its codes join the codebook with their hierarchy. Nothing
is queued: the codes came from the other tool. One transaction: all of it, or nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import BinaryIO

from sqlmodel import Session, select

from coding.codebook import Code as LibraryCode
from coding.codebook import Codebook
from coding.schema import RATING_SCALES
from transcription.roles import detect_roles
from transcription.schema import Segment, Transcript
from transcription.schema import Speaker as TranscriptSpeaker
from transcription.text_format import TextLine, read_lines
from workbench.errors import BadRequest, Conflict, TooLarge, Unprocessable, UnsupportedMedia
from workbench.interop import qdpx_model as qm
from workbench.interop.qdpx_read import Limits, read_qdc, read_qdpx
from workbench.models import (
    Code,
    CodedUnit,
    CodingEvent,
    GuideQuestion,
    Interview,
    Rating,
    Speaker,
    Study,
    TranscriptSegment,
    UnitCode,
    User,
    utcnow,
)
from workbench.services import codebook as codebook_service
from workbench.services import redaction as redaction_service
from workbench.services import studies as study_service
from workbench.services.interviews import (
    add_transcribed_interview,
    find_imported_transcript,
    parse_meta,
)

MODES = ("merge", "replace")
PATH_LINE = re.compile(r"^Perché path: ([\w-]+(?:/[\w-]+)*)\s*$", re.MULTILINE)
SENTIMENT_LINE = re.compile(r"^Sentiment: (positive|negative|neutral|mixed)\s*$", re.MULTILINE)
REASON_LINE = re.compile(r"^Why: (.+)$", re.MULTILINE)

# Variable names (folded: lower case, no accents, words only) that say which interview field they fill.
FIELD_NAMES = {
    "account": {"account", "customer", "client", "company", "organisation", "organization", "cliente",
                "azienda", "societa", "ragione sociale", "impresa"},
    "respondent_name": {"respondent", "interviewee", "intervistato", "intervistata", "rispondente"},
    "respondent_role": {"role", "respondent role", "job title", "ruolo", "ruolo intervistato", "ruolo rispondente",
                        "mansione"},
    "segment": {"segment", "customer segment", "segmento", "segmento cliente"},
    "region": {"region", "area", "territory", "regione", "zona", "territorio"},
    "product_line": {"product line", "product", "linea prodotto", "linea di prodotto", "linea prodotti", "prodotto"},
    "journey_stage": {"journey stage", "stage", "journey", "customer journey", "fase", "fase del percorso",
                      "fase del customer journey", "fase journey"},
    "channel": {"channel", "interview channel", "canale"},
    "interview_date": {"date", "interview date", "data", "data intervista", "data dell intervista"},
    "interviewer_name": {"interviewer", "intervistatore", "intervistatrice", "moderator", "moderatore"},
}
# Line labels that say a speaker's role (folded); "B" is MAXQDA's Befragte/r, "D"/"R" domanda/risposta.
INTERVIEWER_NAMES = {"interviewer", "intervistatore", "intervistatrice", "moderator", "moderatore", "moderatrice",
                     "facilitator", "researcher", "ricercatore", "ricercatrice", "int", "i", "q", "d"}
RESPONDENT_NAMES = {"respondent", "interviewee", "intervistato", "intervistata", "rispondente", "customer", "client",
                    "cliente", "r", "b"}


@dataclass
class ImportSummary:
    """What an import did, and what it left out and why."""

    kind: str  # codebook or project
    filename: str
    mode: str = "merge"
    interviews: list[int] = field(default_factory=list)
    already_there: list[dict] = field(default_factory=list)  # {"source": name, "interview": id} skipped sources
    codes_added: int = 0
    codes_updated: int = 0
    codes_removed: int = 0
    codes_existing: int = 0
    units: int = 0
    codings: int = 0
    ratings: int = 0
    variables: dict[str, str] = field(default_factory=dict)  # variable name -> interview field
    ignored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    def lines(self) -> list[str]:
        """The summary in sentences, for the web page and the CLI."""
        if self.kind == "codebook":
            result = [f"Codebook {self.mode}d from {self.filename}: {self.codes_added} codes added, "
                      f"{self.codes_updated} updated" + (f", {self.codes_removed} removed" if self.mode == "replace"
                                                         else "") + "."]
        else:
            result = [(f"{len(self.interviews)} interview{'s' if len(self.interviews) != 1 else ''} imported from "
                       f"{self.filename}, with {self.units} coded units ({self.codings} codes, all accepted as an "
                       "analyst's)."),
                      f"Codebook: {self.codes_added} codes added, {self.codes_existing} already there.",
                      "No coding job was queued: the codes came from the other tool."]
            if self.variables:
                result.append("Variables used as metadata: " + ", ".join(
                    f"{name} → {target.replace('_', ' ')}" for name, target in sorted(self.variables.items())) + ".")
            if self.ratings:
                result.append(f"{self.ratings} ratings taken from rating variables.")
            result += [f"Not imported again: '{skipped['source']}' is already in the study as interview "
                       f"#{skipped['interview']}." for skipped in self.already_there]
        return result + self.notes + [f"Not imported: {item}" for item in self.ignored]


def _fold(name: str) -> str:
    name = name.rsplit(":", 1)[-1]  # NVivo writes classification attributes as "Cases:Region"
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", ascii_name).split())


def _slug(name: str) -> str:
    text = re.sub(r"[^\w]+", "-", unicodedata.normalize("NFKC", name).casefold()).strip("-_")
    return text[:60].strip("-_") or "code"


def _paths(codes: list[qm.Code]) -> tuple[list[LibraryCode], dict[str, str]]:
    """Library codes with paths from the tree (names as slugs, or the Perché path a Perché export recorded)."""
    result: list[LibraryCode] = []
    paths: dict[str, str] = {}
    taken: set[str] = set()

    def visit(code: qm.Code, parent: str) -> None:
        recorded = PATH_LINE.search(code.description)
        base = recorded.group(1).rsplit("/", 1)[-1] if recorded else _slug(code.name)
        path = f"{parent}/{base}" if parent else base
        number = 2
        while path in taken:
            path = f"{parent}/{base}-{number}" if parent else f"{base}-{number}"
            number += 1
        taken.add(path)
        paths[code.guid] = path
        description = PATH_LINE.sub("", code.description).strip()
        result.append(LibraryCode(path=path, name=" ".join(code.name.split())[:200], description=description))
        for child in code.children:
            visit(child, path)

    for code in codes:
        visit(code, "")
    return result, paths


def _merge_codes(session: Session, *, study: Study, codes: list[LibraryCode], update: bool) -> tuple[int, int, int]:
    """Add the codes the study lacks; with `update`, also take names and definitions of the ones it has
    (their examples and translations stay). Returns (added, updated, unchanged); the caller commits."""
    existing = {c.path: c for c in codebook_service.codes_of(session, study.id)}
    added = updated = unchanged = 0
    for code in codes:
        row = existing.get(code.path)
        if row is None:
            session.add(Code(study_id=study.id, path=code.path, name=code.name, description=code.description,
                             origin="import"))
            added += 1
        elif update and (row.name, row.description) != (code.name, code.description or row.description):
            row.name, row.description = code.name, code.description or row.description
            session.add(row)
            updated += 1
        else:
            unchanged += 1
    session.flush()
    return added, updated, unchanged


def import_codebook_file(session: Session, *, study: Study, content: bytes, filename: str,
                         mode: str = "merge") -> ImportSummary:
    """A .qdc codebook merged into the study's (new codes added, existing ones renamed and redefined)
    or replacing it (codes not in the file go; refused with 409 once the study is coded)."""
    if mode not in MODES:
        raise BadRequest("Import a codebook with mode=merge (add and update codes) or mode=replace.")
    try:
        codes, _ = _paths(read_qdc(content))
    except qm.QdpxError as exc:
        raise Unprocessable(f"{filename}: {exc}", title="Not a REFI-QDA codebook") from None
    codebook_service._check_codes(codes)
    summary = ImportSummary(kind="codebook", filename=filename, mode=mode)
    if mode == "merge":
        try:
            summary.codes_added, summary.codes_updated, _ = _merge_codes(session, study=study, codes=codes,
                                                                        update=True)
            session.commit()
        except Exception:
            session.rollback()
            raise
        return summary
    current = {c.path: c for c in codebook_service.codes_of(session, study.id)}
    for code in codes:  # a replaced code keeps the examples the zero-shot coder learns from
        if code.path in current:
            code.examples = list(current[code.path].examples)
            code.translations = dict(current[code.path].translations)
    try:
        summary.codes_added, summary.codes_updated, summary.codes_removed = codebook_service.replace_codebook(
            session, study=study, codebook=Codebook(codes, name=study.name), recode=False)
    except Conflict:
        raise Conflict("The study's interviews are already coded, so its codebook cannot be replaced by a file: "
                       "merge the codebook instead (mode=merge), or replace it through PUT "
                       "/api/studies/{id}/codebook?recode=true, which codes every interview again."
                       .replace("{id}", str(study.id)), title="Codebook in use") from None
    return summary


# --- projects ------------------------------------------------------------------------------------

def _date(value: qm.VariableValue) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(text[:10], pattern).date()
        except ValueError:
            continue
    return None


def _rating_scale(name: str) -> str | None:
    folded = _fold(name)
    return next((scale for scale in RATING_SCALES if folded == scale or folded.startswith(f"{scale} ")), None)


class _Variables:
    """What each variable of the project means here: an interview field, a rating scale, or nothing."""

    def __init__(self, project: qm.Project, summary: ImportSummary) -> None:
        self.fields: dict[str, str] = {}
        self.scales: dict[str, str] = {}
        self.names = {v.guid: v.name for v in project.variables}
        used = {value.variable_guid for case in project.cases for value in case.values} | {
            value.variable_guid for source in project.sources for value in source.values}
        for variable in project.variables:
            folded = _fold(variable.name)
            target = next((f for f, names in FIELD_NAMES.items() if folded in names), None)
            scale = _rating_scale(variable.name) if target is None else None
            if target is not None:
                self.fields[variable.guid] = target
                summary.variables[variable.name] = target
            elif scale is not None:
                self.scales[variable.guid] = scale
            elif variable.guid in used:
                summary.ignored.append(f"variable '{variable.name}': no interview field of that name (Perché "
                                       "keeps account, respondent, role, segment, region, product line, journey "
                                       "stage, channel, date, interviewer and NPS, CSAT or CES ratings).")

    def for_source(self, project: qm.Project, source: qm.TextSource, summary: ImportSummary
                   ) -> tuple[dict[str, object], dict[str, float]]:
        """The source's metadata and ratings: from cases grouping several sources, then its own case, then itself."""
        grouped = [c for c in project.cases if source.guid in c.source_guids and len(c.source_guids) > 1]
        own = [c for c in project.cases if c.source_guids == [source.guid]]
        meta: dict[str, object] = {}
        ratings: dict[str, float] = {}
        for value in [v for case in grouped + own for v in case.values] + source.values:
            name = self.names.get(value.variable_guid, "?")
            if value.variable_guid in self.fields:
                target = self.fields[value.variable_guid]
                if target == "interview_date":
                    parsed = _date(value.value)
                    if parsed is None:
                        summary.ignored.append(f"'{source.name}': {name} = '{value.value}' is not a date.")
                        continue
                    meta[target] = parsed
                else:
                    meta[target] = " ".join(str(value.value).split())
            elif value.variable_guid in self.scales:
                scale = self.scales[value.variable_guid]
                low, high = RATING_SCALES[scale]
                try:
                    number = float(str(value.value).replace(",", "."))
                except ValueError:
                    number = None
                if number is None or not low <= number <= high:
                    summary.ignored.append(f"'{source.name}': {name} = '{value.value}' is not a {scale.upper()} "
                                           f"rating ({low:g}–{high:g}).")
                    continue
                ratings[scale] = number
        return meta, ratings


def _speaker_role(name: str) -> str:
    folded = _fold(name)
    if folded in INTERVIEWER_NAMES:
        return "interviewer"
    return "respondent" if folded in RESPONDENT_NAMES else "unknown"


def _roles(segments: list[Segment], names: dict[str, str], guide: list[str]) -> dict[str, str]:
    """Each speaker's role: from the line label where it says one ("Intervistatore", "Respondent", "Cliente");
    a speaker labelled by name ("Anna") is the other one of two, a participant beside a named interviewer,
    else what `detect_roles` reads in what they say."""
    labelled = {sid: _speaker_role(name) for sid, name in names.items()}
    unnamed = [sid for sid, role in labelled.items() if role == "unknown"]
    if not unnamed:
        return labelled
    named = {role for role in labelled.values() if role != "unknown"}
    if len(names) == 2 and len(named) == 1:
        other = "respondent" if named == {"interviewer"} else "interviewer"
        return {sid: other if role == "unknown" else role for sid, role in labelled.items()}
    if "interviewer" in named:
        return {sid: "participant" if role == "unknown" else role for sid, role in labelled.items()}
    guessed = detect_roles(segments, guide)
    if named:  # respondents named among three or more: the others are participants, or the interviewer
        guessed = {sid: "interviewer" if role == "interviewer" else "participant" for sid, role in guessed.items()}
    return {sid: guessed.get(sid, "unknown") if role == "unknown" else role for sid, role in labelled.items()}


def _transcript(lines: list[TextLine], language: str, guide: list[str]) -> Transcript:
    labels: dict[str, str] = {}
    for line in lines:
        if line.speaker and line.speaker not in labels:
            labels[line.speaker] = f"SPEAKER_{len(labels):02d}"
    segments = []
    for index, line in enumerate(lines):
        following = lines[index + 1].start if index + 1 < len(lines) else None
        end = following if following is not None and line.start is not None and following >= line.start \
            else line.start
        segments.append(Segment(start=line.start, end=end, text=line.text,
                                speaker=labels.get(line.speaker) if line.speaker else None))
    roles = _roles(segments, {label: name for name, label in labels.items()}, guide)
    speakers = [TranscriptSpeaker(id=label, role=roles[label], name=name[:200]) for name, label in labels.items()]
    duration = max((s.end or s.start or 0.0 for s in segments), default=0.0)
    return Transcript(language=language, duration=float(duration), segments=segments, speakers=speakers,
                      engine="REFI-QDA import")


def text_sha256(text: str) -> str:
    """A source's digest, the same whatever line endings the tool wrote (MAXQDA's CRLF, another's LF)."""
    return hashlib.sha256(text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")).hexdigest()


def _language(study: Study, text: str) -> str:
    if study.language in ("it", "en"):
        return study.language
    from coding.language import detect_language

    return detect_language(text, default="en")


def _selection_notes(selection: qm.Selection) -> tuple[str | None, str | None, bool]:
    """(sentiment, reason) from a Perché description; whether the description was something else."""
    text = selection.description.strip()
    sentiment = SENTIMENT_LINE.search(text)
    reason = REASON_LINE.search(text)
    return (sentiment.group(1) if sentiment else None, reason.group(1).strip() if reason else None,
            bool(text) and not (sentiment or reason))


def _code_units(session: Session, *, study: Study, interview: Interview, source: qm.TextSource,
                lines: list[TextLine], paths: dict[str, str], codes: dict[str, Code], user: User | None,
                summary: ImportSummary) -> None:
    """Units and accepted analyst codes for the source's coded selections, each code logged as an "add"."""
    segments = list(session.exec(select(TranscriptSegment).where(TranscriptSegment.interview_id == interview.id)
                                 .order_by(TranscriptSegment.position)))
    pieces: dict[tuple[int, int, int], dict] = {}
    uncovered = memos = 0
    for selection in source.selections:
        if not selection.codings:
            continue
        sentiment, reason, memo = _selection_notes(selection)
        memos += memo
        covered = False
        for index, line in enumerate(lines):
            begin, end = max(selection.start, line.span[0]), min(selection.end, line.span[1])
            if begin >= end:
                continue
            text = segments[index].text
            start_char, end_char = begin - line.span[0], end - line.span[0]
            piece = text[start_char:end_char]
            start_char += len(piece) - len(piece.lstrip())
            end_char -= len(piece) - len(piece.rstrip())
            if start_char >= end_char:
                continue
            covered = True
            entry = pieces.setdefault((index, start_char, end_char), {"codes": [], "sentiment": None, "reason": None})
            entry["codes"] += [paths[c.code_guid] for c in selection.codings
                               if paths[c.code_guid] not in entry["codes"]]
            entry["sentiment"] = entry["sentiment"] or sentiment
            entry["reason"] = entry["reason"] or reason
        uncovered += not covered
    if uncovered:
        summary.ignored.append(f"'{source.name}': {uncovered} coded selection{'s' if uncovered > 1 else ''} "
                               "covering no transcript text (a timestamp, a speaker label or a blank line).")
    if memos:
        summary.notes.append(f"'{source.name}': {memos} selection memo{'s were' if memos > 1 else ' was'} not "
                             "kept (Perché keeps a unit's sentiment and reason, not free memos).")
    now = utcnow()
    user_id = user.id if user else None
    for position, ((index, start_char, end_char), entry) in enumerate(sorted(pieces.items())):
        segment = segments[index]
        unit = CodedUnit(interview_id=interview.id, segment_id=segment.id, speaker_id=segment.speaker_id,
                         position=position, start_char=start_char, end_char=end_char,
                         text=segment.text[start_char:end_char], start=segment.start, end=segment.end,
                         language=interview.transcript_language or "en", sentiment=entry["sentiment"],
                         reason=entry["reason"], confidence=1.0, reviewed_by=user_id, reviewed_at=now)
        session.add(unit)
        session.flush()
        for path in entry["codes"]:
            session.add(UnitCode(unit_id=unit.id, code_id=codes[path].id, confidence=1.0, source="analyst",
                                 status="accepted", decided_by=user_id, decided_at=now))
            session.add(CodingEvent(study_id=study.id, interview_id=interview.id, unit_id=unit.id, unit_text=unit.text,
                                    user_id=user_id, action="add", new_code=path, created_at=now))
            summary.codings += 1
        summary.units += 1
    session.flush()


def _add_ratings(session: Session, *, study: Study, interview: Interview, ratings: dict[str, float]) -> int:
    questions = session.exec(select(GuideQuestion).where(GuideQuestion.study_id == study.id,
                                                         GuideQuestion.kind == "rating")
                             .order_by(GuideQuestion.position)).all()
    for scale, value in ratings.items():
        question = next((q for q in questions if (q.scale or "nps") == scale), None)
        low, high = RATING_SCALES[scale]
        session.add(Rating(interview_id=interview.id, question_id=question.id if question else None, value=value,
                           scale=scale, scale_min=low, scale_max=high, source="analyst"))
    return len(ratings)


def import_project(session: Session, *, study: Study, content: bytes | BinaryIO, filename: str, user: User | None,
                   limits: Limits | None = None) -> ImportSummary:
    """A .qdpx project's text sources, codes, codings and variables into the study, all or nothing.

    A source whose text is already in the study (imported before, from this file or another) is skipped
    and named in the summary; a project whose every source is there is a 409 and nothing is imported.
    Its codes are merged by path, so importing it again adds none twice.
    """
    try:
        project = read_qdpx(content, limits or Limits())
    except qm.QdpxError as exc:
        raise Unprocessable(f"{filename}: {exc}", title="Not a readable REFI-QDA project") from None
    summary = ImportSummary(kind="project", filename=filename, ignored=list(project.ignored))
    library_codes, paths = _paths(project.codes)
    codebook_service._check_codes(library_codes)
    if project.notes:
        summary.ignored.append(f"{len(project.notes)} note{'s' if len(project.notes) > 1 else ''} (memos): Perché "
                               "has no place for them.")
    variables = _Variables(project, summary)
    guide = [q.text for q in study_service.get_guide(session, study.id)]
    try:
        summary.codes_added, _, summary.codes_existing = _merge_codes(session, study=study, codes=library_codes,
                                                                      update=False)
        codes = {c.path: c for c in codebook_service.codes_of(session, study.id)}
        for source in project.sources:
            lines = read_lines(source.text)
            if not lines:
                summary.ignored.append(f"'{source.name}': the source has no text.")
                continue
            digest = text_sha256(source.text)
            existing = find_imported_transcript(session, study_id=study.id, sha256=digest)
            if existing is not None:
                summary.already_there.append({"source": source.name, "interview": existing.id})
                continue
            raw_meta, ratings = variables.for_source(project, source, summary)
            try:
                meta = parse_meta(raw_meta)
            except Unprocessable as exc:
                raise Unprocessable(f"'{source.name}': {exc.message}") from None
            transcript = _transcript(lines, _language(study, source.text), guide)
            interview = add_transcribed_interview(session, study=study, transcript=transcript, meta=meta,
                                                  transcript_file=f"{filename}: {source.name}", created_by=user,
                                                  transcript_sha256=digest)
            interview.coded_elsewhere = True
            _code_units(session, study=study, interview=interview, source=source, lines=lines, paths=paths,
                        codes=codes, user=user, summary=summary)
            summary.ratings += _add_ratings(session, study=study, interview=interview, ratings=ratings)
            summary.interviews.append(interview.id)
            # no coding job runs for an interview coded elsewhere: its personal data is found here
            redaction_service.detect_for_interview(session, interview=interview, commit=False)
        if not summary.interviews and summary.already_there:
            raise _already_imported(filename, summary.already_there)
        if not summary.interviews:
            raise Unprocessable(f"{filename} holds no text source Perché can import"
                                + (f" ({'; '.join(summary.ignored)})" if summary.ignored else "") + ".",
                                title="Nothing to import")
        session.commit()
    except Exception:
        session.rollback()
        raise
    return summary


def _already_imported(filename: str, already_there: list[dict]) -> Conflict:
    """409: every text source of the project is in the study already (the same text, whatever its line endings)."""
    ids = list(dict.fromkeys(skipped["interview"] for skipped in already_there))
    listed = ("interview " if len(ids) == 1 else "interviews ") + ", ".join(f"#{number}" for number in ids)
    return Conflict(f"Every text source of {filename} is already in the study, as {listed}; nothing was imported. "
                    "Open those interviews instead of importing the project again.", title="Already imported",
                    link=(f"/interviews/{ids[0]}", f"Open interview #{ids[0]}"))


MAX_CODEBOOK_BYTES = 20 * 1024 * 1024


def file_kind(filename: str, head: bytes) -> str:
    """"qdc" or "qdpx", by the file's name or, failing that, its first bytes; 415 for anything else."""
    suffix = Path(filename or "").suffix.lower()
    if suffix in (".qdpx", ".qdc"):
        return suffix[1:]
    if head[:4] == b"PK\x03\x04":
        return "qdpx"
    if head.lstrip()[:1] == b"<" or head[:3] == b"\xef\xbb\xbf":
        return "qdc"
    raise UnsupportedMedia(f"'{filename}' is neither a REFI-QDA project (.qdpx) nor a REFI-QDA codebook (.qdc). "
                           "Export one of those from NVivo, MAXQDA, ATLAS.ti or QualCoder.",
                           title="Not a REFI-QDA file")


def import_file(session: Session, *, study: Study, filename: str, stream: BinaryIO, mode: str = "merge",
                user: User | None = None) -> ImportSummary:
    """A .qdc codebook or a .qdpx project (a seekable binary stream), told apart by name or content."""
    head = stream.read(64)
    stream.seek(0)
    if not head:
        raise BadRequest("The file is empty. Choose a .qdpx project or a .qdc codebook.")
    if file_kind(filename, head) == "qdc":
        content = stream.read(MAX_CODEBOOK_BYTES + 1)
        if len(content) > MAX_CODEBOOK_BYTES:
            raise TooLarge(f"A codebook larger than {MAX_CODEBOOK_BYTES // 1024**2} MB is not a codebook.")
        return import_codebook_file(session, study=study, content=content, filename=filename, mode=mode)
    if mode not in MODES:
        raise BadRequest("mode is merge or replace (it applies to .qdc codebooks; a project's codes are merged).")
    return import_project(session, study=study, content=stream, filename=filename, user=user)


def row_counts(session: Session, study_id: int) -> dict[str, int]:
    """How many rows of each kind the study has (interviews, segments, speakers, units, codes, events, ratings)."""
    from sqlalchemy import func

    interview_ids = select(Interview.id).where(Interview.study_id == study_id)
    unit_ids = select(CodedUnit.id).where(CodedUnit.interview_id.in_(interview_ids))
    queries = {
        "interviews": select(func.count()).select_from(Interview).where(Interview.study_id == study_id),
        "segments": select(func.count()).select_from(TranscriptSegment)
        .where(TranscriptSegment.interview_id.in_(interview_ids)),
        "speakers": select(func.count()).select_from(Speaker).where(Speaker.interview_id.in_(interview_ids)),
        "units": select(func.count()).select_from(CodedUnit).where(CodedUnit.interview_id.in_(interview_ids)),
        "unit_codes": select(func.count()).select_from(UnitCode).where(UnitCode.unit_id.in_(unit_ids)),
        "codes": select(func.count()).select_from(Code).where(Code.study_id == study_id),
        "events": select(func.count()).select_from(CodingEvent).where(CodingEvent.study_id == study_id),
        "ratings": select(func.count()).select_from(Rating).where(Rating.interview_id.in_(interview_ids)),
    }
    return {name: session.exec(query).one() for name, query in queries.items()}
