"""Receiving an interview upload over HTTP, a recording or a transcript (used by both the web form and the REST API)."""

from __future__ import annotations

from fastapi import Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from workbench import jobs, storage
from workbench.errors import BadRequest, TooLarge
from workbench.models import Interview, Job, Study, User
from workbench.services import interviews as interview_service
from workbench.services.transcript_import import MAX_TRANSCRIPT_BYTES, import_transcript
from workbench.settings import Settings

FORM_OVERHEAD = 1024 * 1024


async def receive_upload(request: Request, session: Session, settings: Settings, *, study: Study,
                         user: User) -> tuple[Interview, Job | None]:
    """Validate the multipart upload, store it, create the interview and queue its job.

    The form carries a recording ('file'), or a transcript made elsewhere ('transcript') with or without
    its recording; 'source' (recording or transcript, sent by the web form) says which one the user chose.
    Returns the interview and the job to follow: its transcription, or the imported transcript's coding
    (None when coding after transcription is off).
    """
    declared = request.headers.get("content-length")
    limit = settings.max_upload_bytes + MAX_TRANSCRIPT_BYTES + FORM_OVERHEAD
    if declared and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"The file is larger than {settings.max_upload_mb} MB, the largest recording accepted. "
                       "Split the recording or ask an admin to raise PERCHE_MAX_UPLOAD_MB.")
    try:
        form = await request.form(max_files=2, max_fields=40)
    except Exception as exc:  # noqa: BLE001 - malformed multipart bodies raise several kinds
        raise BadRequest(f"The upload could not be read ({exc}). Send it as multipart/form-data with a 'file' field "
                         "(the recording) or a 'transcript' field.") from None
    upload, transcript = form.get("file"), form.get("transcript")
    has_audio = isinstance(upload, UploadFile) and bool(upload.filename)
    has_transcript = isinstance(transcript, UploadFile) and bool(transcript.filename)
    source = form.get("source") if isinstance(form.get("source"), str) else ""
    if source == "recording":
        has_transcript = False  # a transcript chosen before switching back to a recording stays behind
    elif source == "transcript" and not has_transcript:
        raise BadRequest("Choose the transcript file to import (DOCX, TXT, SRT, VTT or CSV).")
    if not has_audio and not has_transcript:
        raise BadRequest("Choose a recording to upload (the 'file' field is missing), or a transcript made "
                         "elsewhere (the 'transcript' field).")
    raw_meta = {k: v for k, v in form.items()
                if k not in ("file", "transcript", "source", "csrftoken") and isinstance(v, str)}
    meta = interview_service.parse_meta(raw_meta)
    if has_transcript:
        try:
            data = await transcript.read(MAX_TRANSCRIPT_BYTES + 1)
        finally:
            await transcript.close()
    staged = None
    if has_audio:
        try:
            staged = await run_in_threadpool(storage.stage_upload, settings, upload.file, upload.filename)
        finally:
            await upload.close()
    if not has_transcript:
        interview, job = await run_in_threadpool(
            interview_service.create_interview, session, settings, study=study, staged=staged, meta=meta,
            created_by=user,
        )
        jobs.enqueue(settings, [job.id])
        return interview, job
    interview, coding = await run_in_threadpool(
        import_transcript, session, settings, study=study, data=data, filename=transcript.filename, meta=meta,
        created_by=user, staged_audio=staged,
    )
    jobs.enqueue(settings, [job.id for job in coding])
    return interview, coding[0] if coding else None
