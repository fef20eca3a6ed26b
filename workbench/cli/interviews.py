"""`perche upload`: recordings, or a transcript made elsewhere, into a study as interviews."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from workbench.cli.common import console, database, err
from workbench.cli.common import fail as _fail
from workbench.cli.follow import follow_jobs
from workbench.errors import PercheError

if TYPE_CHECKING:
    from sqlmodel import Session

    from workbench.services.interviews import InterviewMeta
    from workbench.settings import Settings


def _parse_meta(pairs: list[str]) -> dict[str, str]:
    meta = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            _fail(f"--meta takes key=value, got '{pair}'.", code=2)
        meta[key.strip()] = value
    return meta



def upload(study_id: int,
           files: Annotated[list[Path] | None, typer.Argument(
               help="Recordings to add; with --transcript, at most one: the transcript's audio.")] = None,
           meta: Annotated[list[str] | None, typer.Option("--meta", help="Metadata as key=value (repeatable): "
                                                                   "account, segment, region, language…")] = None,
           transcript: Annotated[Path | None, typer.Option(
               help="A transcript made elsewhere, imported as the interview instead of transcribing: .docx "
                    "(Speaker: text paragraphs), .txt (\\[hh:mm:ss] Speaker: text lines, or f4/MAXQDA #hh:mm:ss-d# "
                    "marks), .srt, .vtt or .csv (speaker,start,end,text). Timestamps are optional.")] = None,
           wait: Annotated[bool, typer.Option(help="Follow the jobs until they finish.")] = True,
           process: Annotated[bool, typer.Option(help="Transcribe here instead of leaving it to a worker.")] = False,
           ) -> None:
    """Add recordings to a study; each becomes an interview that is transcribed as a job.

    With --transcript FILE, the interview is made from a transcript made elsewhere (an agency's Word file,
    noScribe, aTrain, f4, subtitles, a spreadsheet), with its recording if you give one, and coded like any
    interview: perche upload 3 --transcript focus-group.docx [focus-group.mp3]
    """
    from workbench import jobs, storage
    from workbench.services import interviews as interview_service
    from workbench.services import studies as study_service

    settings, scope = database()
    metadata = interview_service.parse_meta(_parse_meta(meta or []))
    files = files or []
    if transcript is not None:
        _import_transcript(settings, scope, study_id, transcript, files, metadata, wait=wait, process=process)
        return
    if not files:
        _fail("Give the recordings to upload, or a transcript with --transcript FILE.", code=2)
    job_ids: dict[int, str] = {}
    failures = 0
    with scope as session:
        try:
            study = study_service.get_study(session, study_id)
        except PercheError as exc:
            _fail(exc.message)
        for path in files:
            if not path.is_file():
                err.print(f"[red]{path}: no such file.[/]")
                failures += 1
                continue
            try:
                with path.open("rb") as handle:
                    staged = storage.stage_upload(settings, handle, path.name)
                interview, job = interview_service.create_interview(
                    session, settings, study=study, staged=staged, meta=metadata, created_by=None)
            except PercheError as exc:
                err.print(f"[red]{path.name}: {exc.message}[/]")
                failures += 1
                continue
            if not process:
                jobs.enqueue(settings, [job.id])
            job_ids[job.id] = path.name
            console.print(f"{path.name}: interview #{interview.id}, job #{job.id}")
    if job_ids and (wait or process) and not follow_jobs(settings, job_ids, process_here=process):
        failures += 1
    if failures:
        raise typer.Exit(1)


def _import_transcript(settings: Settings, scope: AbstractContextManager[Session], study_id: int, transcript: Path,
                       files: list[Path], metadata: InterviewMeta, *, wait: bool, process: bool) -> None:
    """`perche upload --transcript`: one interview from a transcript file, with its audio when given."""
    from workbench import jobs, storage
    from workbench.services import studies as study_service
    from workbench.services.transcript_import import import_transcript

    if len(files) > 1:
        _fail("With --transcript, give at most one recording: the audio of that transcript.", code=2)
    for path in [transcript, *files]:
        if not path.is_file():
            _fail(f"{path}: no such file.")
    with scope as session:
        try:
            study = study_service.get_study(session, study_id)
            staged = None
            if files:
                with files[0].open("rb") as handle:
                    staged = storage.stage_upload(settings, handle, files[0].name)
            interview, coding = import_transcript(
                session, settings, study=study, data=transcript.read_bytes(), filename=transcript.name,
                meta=metadata, created_by=None, staged_audio=staged)
        except PercheError as exc:
            _fail(f"{transcript.name}: {exc.message}")
        audio = f", with {files[0].name}" if files else ", no recording"
        console.print(f"{transcript.name}: interview #{interview.id} imported{audio}"
                      + (f", coding job #{coding[0].id}" if coding else ""))
        job_ids = {job.id: f"{transcript.name} (coding)" for job in coding}
        if not process:
            jobs.enqueue(settings, list(job_ids))
    if job_ids and (wait or process) and not follow_jobs(settings, job_ids, process_here=process):
        raise typer.Exit(1)



def register(app: typer.Typer) -> None:
    """Add `upload` to the `perche` app."""
    app.command()(upload)
