"""Downloads: an interview's transcript (DOCX, SRT, WebVTT, text, f4 text) and a study's spreadsheets
(coded segments, ratings, codebook), on the web pages and under /api alike.

One route per file type, so each documents its own media type and the errors it can answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from workbench.deps import SessionDep, require
from workbench.models import User
from workbench.permissions import Permission
from workbench.routes.api import error_responses
from workbench.services import audit
from workbench.services import exports as export_service
from workbench.services import interviews as interview_service
from workbench.services import redaction as redaction_service
from workbench.services import studies as study_service

router = APIRouter(tags=["exports"])

# (file suffix, format, what the file is)
TRANSCRIPT_FILES = [
    ("docx", "docx", ("a Word document: a title, the interview's data in a table, then a paragraph per segment "
                     "(`[hh:mm:ss]` in grey, the speaker's name in bold, the text)")),
    ("srt", "srt", "SubRip subtitles, each cue starting with `Name: `"),
    ("vtt", "vtt", "WebVTT subtitles with `<v Name>` voice tags"),
    ("txt", "txt", ("plain text, one `[hh:mm:ss] Name: text` line per segment (noScribe and aTrain read it); "
                   "`?format=f4` gives the f4/MAXQDA text instead")),
    ("f4.txt", "f4", ("plain text for f4transkript and MAXQDA: `Name: text #hh:mm:ss-d#` paragraphs, the time "
                     "where each turn ends, d in tenths of a second")),
]
TABLE_FILES = [("segments", "xlsx"), ("segments", "csv"), ("ratings", "xlsx"), ("ratings", "csv"),
               ("codebook", "xlsx")]
TABLE_DOCS = {
    "segments": "the study's coded segments: one row per unit and code (rejected codes included, with their "
                "status) and one per unit without a code, with the interview's data, speaker, question, text, "
                "code path and name, sentiment, reason, confidence, status, who assigned it, whether the report "
                "counts it, start and end",
    "ratings": "every rating of the study's interviews with the interview's data, scale, value, NPS group, "
               "question, source (model or analyst) and quote",
    "codebook": "the study's codebook (path, name, level, parent, description) with what the report counts per "
                "code: units, interviews, and positive, negative, neutral and mixed units",
}
TABLE_NOTES = {"xlsx": " As XLSX: the table (bold frozen header, filters) and an About sheet saying what the columns "
                       "mean.",
               "csv": " As CSV: UTF-8 with a byte-order mark, so Excel reads accents right."}


def _binary(media_type: str, description: str) -> dict:
    return {"description": description,
            "content": {media_type.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}}}


def _attachment(export: export_service.Export) -> Response:
    return Response(export.content, media_type=export.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{export.filename}"'})


def _logged(request: Request, session: Session, user: User, export: export_service.Export, *, study_id: int,
            target: str, file: str) -> Response:
    """The attachment, with the download in the audit log (the file's kind, never its name: it holds the account)."""
    audit.record_request(request, session, user=user, action="export", study_id=study_id, target=target,
                         detail={"file": file})
    return _attachment(export)


def _transcript_route(fmt: str) -> Callable[..., Response]:
    if fmt == "txt":
        def read_transcript_file(request: Request, interview_id: int, session: SessionDep,
                                 user: Annotated[User, require(Permission.view_interviews)],
                                 format: Annotated[Literal["f4"] | None, Query(
                                     description="f4: the f4/MAXQDA text (the same as transcript.f4.txt).")] = None,
                                 ) -> Response:
            interview = interview_service.get_interview(session, interview_id)
            redaction = redaction_service.interview_redactor(session, interview=interview, user=user)
            export = export_service.export_transcript(session, interview=interview, fmt=format or "txt",
                                                      redaction=redaction)
            return _logged(request, session, user, export, study_id=interview.study_id,
                           target=f"interview:{interview_id}", file=f"transcript.{format or 'txt'}")
    else:
        def read_transcript_file(request: Request, interview_id: int, session: SessionDep,  # type: ignore[misc]
                                 user: Annotated[User, require(Permission.view_interviews)]) -> Response:
            interview = interview_service.get_interview(session, interview_id)
            redaction = redaction_service.interview_redactor(session, interview=interview, user=user)
            export = export_service.export_transcript(session, interview=interview, fmt=fmt, redaction=redaction)
            return _logged(request, session, user, export, study_id=interview.study_id,
                           target=f"interview:{interview_id}", file=f"transcript.{fmt}")
    return read_transcript_file


def _table_route(table: str, fmt: str) -> Callable[..., Response]:
    def read_table_export(request: Request, study_id: int, session: SessionDep,
                          user: Annotated[User, require(Permission.view_coding)]) -> Response:
        study = study_service.get_study(session, study_id)
        redaction = redaction_service.redactor(session, study=study, user=user)
        export = export_service.export_table(session, study=study, table=table, fmt=fmt, redaction=redaction)
        return _logged(request, session, user, export, study_id=study_id, target=f"study:{study_id}",
                       file=f"{table}.{fmt}")
    return read_table_export


def _register() -> None:
    for prefix, in_schema in (("", False), ("/api", True)):
        for suffix, fmt, what in TRANSCRIPT_FILES:
            conflict = "The interview has no transcript yet." + (
                " Or the transcript has no timestamps (imported from a file without them), so it cannot be "
                "subtitles: download it as DOCX or text." if fmt in ("srt", "vtt") else "")
            router.add_api_route(
                f"{prefix}/interviews/{{interview_id}}/transcript.{suffix}", _transcript_route(fmt), methods=["GET"],
                response_class=Response, include_in_schema=in_schema,
                name=f"read_transcript_{fmt}{prefix.replace('/', '_')}",
                summary=f"Download an interview's transcript as .{suffix}",
                description=f"The transcript as an attachment: {what}. Speakers appear by their names.",
                responses={200: _binary(export_service.TRANSCRIPT_FORMATS[fmt][1], f"The .{suffix} file."),
                           **error_responses(404, 409, 422, notes={
                               404: "No interview has that id.", 409: conflict,
                               422: "The interview id is not a number" + (
                                   ", or ?format= is not f4." if fmt == "txt" else ".")})})
        for table, fmt in TABLE_FILES:
            router.add_api_route(
                f"{prefix}/studies/{{study_id}}/export/{table}.{fmt}", _table_route(table, fmt), methods=["GET"],
                response_class=Response, include_in_schema=in_schema,
                name=f"read_{table}_{fmt}{prefix.replace('/', '_')}",
                summary=f"Download the study's {table} as .{fmt}",
                description=f"As an attachment, {TABLE_DOCS[table]}.{TABLE_NOTES[fmt]}",
                responses={200: _binary(export_service.TABLE_FORMATS[fmt], f"The .{fmt} file."),
                           **error_responses(404, 422, notes={404: "No study has that id.",
                                                              422: "The study id is not a number."})})


_register()
