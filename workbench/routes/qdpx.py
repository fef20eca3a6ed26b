"""REFI-QDA in and out: a study as a .qdpx project, and .qdc codebooks or .qdpx projects into a study."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from workbench.deps import SessionDep, SettingsDep, require
from workbench.errors import BadRequest, Forbidden, PercheError, TooLarge
from workbench.models import Study, User
from workbench.permissions import PERMISSION_LABELS, Permission, can
from workbench.routes.api import error_responses
from workbench.services import audit, qdpx_export, qdpx_import
from workbench.services import redaction as redaction_service
from workbench.services import studies as study_service
from workbench.settings import Settings
from workbench.uploads import FORM_OVERHEAD
from workbench.web import is_htmx

router = APIRouter(tags=["interoperability"])

EXPORT_RESPONSES = {
    200: {"description": "The study as a REFI-QDA project (a zip: project.qde and sources/).",
          "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}},
    **error_responses(404, 422, notes={
        403: "Exporting needs the right to open interviews (interviewers, analysts, admins): the file holds "
             "every transcript as said, so in a study that redacts personal data it also needs the right to see "
             "personal data."}),
}
IMPORT_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": "A REFI-QDA project (.qdpx) or codebook (.qdc)."},
                   "mode": {"type": "string", "enum": ["merge", "replace"], "default": "merge",
                            "description": "For a .qdc: merge into the codebook, or replace it."}}}}}}}
IMPORT_RESPONSES = error_responses(400, 404, 409, 413, 415, 422, notes={
    403: "A codebook needs the right to edit the codebook; a project also the right to add interviews "
         "(analysts and admins).",
    409: "mode=replace on a study whose interviews are already coded: merge instead; or a project whose every "
         "text source is already in the study (`link` opens one of those interviews); nothing was imported.",
    413: "The file is larger than PERCHE_MAX_UPLOAD_MB.",
    415: "The file is neither a .qdpx project nor a .qdc codebook.",
    422: "The file is not a valid or safe REFI-QDA file (zip bomb, unsafe paths, XML entities, wrong namespace, "
         "missing project.qde, dangling GUID references, selections outside their text); nothing was imported."})


def _export(request: Request, session: Session, settings: Settings, study_id: int, audio: bool, crlf: bool,
            user: User) -> FileResponse:
    study = study_service.get_study(session, study_id)
    redaction_service.refuse_originals(study, user, what="A REFI-QDA project")
    path = qdpx_export.export_file(session, settings, study=study, audio=audio, crlf=crlf)
    audit.record_request(request, session, user=user, action="export", study_id=study_id, target=f"study:{study_id}",
                         detail={"file": "project.qdpx", "audio": audio})
    return FileResponse(path, media_type=qdpx_export.MEDIA_TYPE, filename=qdpx_export.export_filename(study),
                        background=BackgroundTask(path.unlink, missing_ok=True))


@router.get("/studies/{study_id}/export.qdpx", include_in_schema=False)
def export_qdpx_page(request: Request, study_id: int, session: SessionDep, settings: SettingsDep,
                     user: Annotated[User, require(Permission.view_interviews)], audio: bool = False,
                     crlf: bool = False) -> FileResponse:
    """Download the study as a REFI-QDA project (?audio=1 adds recordings, ?crlf=1 Windows line ends for MAXQDA)."""
    return _export(request, session, settings, study_id, audio, crlf, user)


@router.get("/api/studies/{study_id}/export.qdpx", response_class=FileResponse, responses=EXPORT_RESPONSES)
def export_qdpx(request: Request, study_id: int, session: SessionDep, settings: SettingsDep,
                user: Annotated[User, require(Permission.view_interviews)], audio: bool = False,
                crlf: bool = False) -> FileResponse:
    """The study as a REFI-QDA project for NVivo, MAXQDA, ATLAS.ti or QualCoder.

    `audio=true` adds each recording as an AudioSource with its transcript and sync points;
    `crlf=true` writes Windows line endings (MAXQDA counts offsets with them).
    """
    return _export(request, session, settings, study_id, audio, crlf, user)


async def _receive(request: Request, session: Session, settings: Settings, *, study: Study,
                   user: User) -> qdpx_import.ImportSummary:
    """Read the multipart form, check size and rights, and import: a .qdc needs `code`, a .qdpx `upload` too."""
    declared = request.headers.get("content-length")
    too_large = settings.max_upload_bytes + FORM_OVERHEAD
    if declared and declared.isascii() and declared.isdigit() and int(declared) > too_large:
        raise TooLarge(f"The file is larger than {settings.max_upload_mb} MB, the largest upload accepted. Export the "
                       "project without its recordings, or ask an admin to raise PERCHE_MAX_UPLOAD_MB.")
    try:
        form = await request.form(max_files=1, max_fields=10)
    except Exception as exc:  # noqa: BLE001 - malformed multipart bodies raise several kinds
        raise BadRequest(f"The upload could not be read ({exc}). Send it as multipart/form-data with a 'file' "
                         "field.") from None
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise BadRequest("Choose a REFI-QDA file to import: a .qdpx project or a .qdc codebook (the 'file' field).")
    mode = str(form.get("mode") or "merge").strip().lower()
    try:
        if upload.size is not None and upload.size > settings.max_upload_bytes:
            raise TooLarge(f"The file is larger than {settings.max_upload_mb} MB, the largest upload accepted.")
        head = await upload.read(64)
        await upload.seek(0)
        kind = qdpx_import.file_kind(upload.filename, head)
        if kind == "qdpx" and not can(user.role, Permission.upload):
            raise Forbidden(f"Your role ({user.role.value}) does not allow you to "
                            f"{PERMISSION_LABELS[Permission.upload]}, which importing a project's interviews "
                            "needs. Import a .qdc codebook instead, or ask an admin.")
        try:
            return await run_in_threadpool(qdpx_import.import_file, session, study=study, filename=upload.filename,
                                           stream=upload.file, mode=mode, user=user)
        except PercheError:
            # the import rolled back, which expires every row loaded: the error page's menu needs the user again
            await run_in_threadpool(session.refresh, user)
            raise
    finally:
        await upload.close()


SUMMARY_KEY = "import_summary"
# The summary rides in the signed session cookie until the codebook page shows it: kept well under the
# 4 KB a browser allows a cookie (JSON escapes accents, base64 adds a third).
SUMMARY_CHARS = 1800


def remember_summary(request: Request, study_id: int, lines: list[str]) -> None:
    """Keep an import's summary for the codebook page to show once (Post/Redirect/Get)."""
    kept: list[str] = []
    for number, line in enumerate(lines):
        if len(json.dumps(kept + [line])) > SUMMARY_CHARS:
            kept.append(f"…and {len(lines) - number} more lines: `perche import` and the API's answer list "
                        "everything the import left out.")
            break
        kept.append(line)
    request.session[SUMMARY_KEY] = {"study": study_id, "lines": kept}


def take_summary(request: Request, study_id: int) -> list[str] | None:
    """The summary of the import just made into this study, once; None when there is none."""
    remembered = request.session.get(SUMMARY_KEY)
    if not isinstance(remembered, dict) or remembered.get("study") != study_id:
        return None
    del request.session[SUMMARY_KEY]
    return [str(line) for line in remembered.get("lines", [])]


@router.post("/studies/{study_id}/import", include_in_schema=False)
async def import_page(request: Request, study_id: int, session: SessionDep, settings: SettingsDep,
                      user: Annotated[User, require(Permission.code)]) -> Response:
    """Import a .qdc codebook or a .qdpx project from the codebook page, then show it there with what was imported.

    Post/Redirect/Get, so reloading the page does not import the file again: the summary waits in the
    session; htmx gets HX-Redirect (its 4xx messages go to the form's error slot), a plain form a 303.
    """
    study = study_service.get_study(session, study_id)
    summary = await _receive(request, session, settings, study=study, user=user)
    remember_summary(request, study.id, summary.lines())
    target = f"/studies/{study.id}/codebook"
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


@router.post("/api/studies/{study_id}/import", responses=IMPORT_RESPONSES, openapi_extra=IMPORT_BODY)
async def import_refi(request: Request, study_id: int, session: SessionDep, settings: SettingsDep,
                      user: Annotated[User, require(Permission.code)]) -> dict:
    """Import a REFI-QDA codebook (.qdc: `mode` merge or replace) or project (.qdpx) into the study.

    A project's text sources become interviews (no recording, no coding job: their codes come from the
    other tool), its codings analyst-accepted codes, its variables interview metadata where the names
    match. All or nothing; the answer says what was imported and what was left out, and why.
    """
    study = study_service.get_study(session, study_id)
    summary = await _receive(request, session, settings, study=study, user=user)
    return {**summary.to_dict(), "summary": summary.lines()}
