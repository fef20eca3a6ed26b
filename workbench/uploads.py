"""Receiving an interview upload over HTTP (used by both the web form and the REST API)."""

from __future__ import annotations

from fastapi import Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from workbench import jobs, storage
from workbench.errors import BadRequest, TooLarge
from workbench.models import Interview, Job, Study, User
from workbench.services import interviews as interview_service
from workbench.settings import Settings

FORM_OVERHEAD = 1024 * 1024


async def receive_upload(request: Request, session: Session, settings: Settings, *, study: Study,
                         user: User) -> tuple[Interview, Job]:
    """Validate the multipart upload, store it, create the interview and queue its job."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > settings.max_upload_bytes + FORM_OVERHEAD:
        raise TooLarge(f"The file is larger than {settings.max_upload_mb} MB, the largest recording accepted. "
                       "Split the recording or ask an admin to raise PERCHE_MAX_UPLOAD_MB.")
    try:
        form = await request.form(max_files=1, max_fields=40)
    except Exception as exc:  # noqa: BLE001 - malformed multipart bodies raise several kinds
        raise BadRequest(f"The upload could not be read ({exc}). Send it as multipart/form-data with a 'file' field.")
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise BadRequest("Choose a recording to upload (the 'file' field is missing).")
    raw_meta = {k: v for k, v in form.items() if k not in ("file", "csrftoken") and isinstance(v, str)}
    meta = interview_service.parse_meta(raw_meta)
    try:
        staged = await run_in_threadpool(storage.stage_upload, settings, upload.file, upload.filename)
    finally:
        await upload.close()
    interview, job = await run_in_threadpool(
        interview_service.create_interview, session, settings, study=study, staged=staged, meta=meta,
        created_by=user,
    )
    jobs.enqueue(job)
    return interview, job
