"""REFI-QDA in and out: a study as a .qdpx project, and .qdc codebooks or .qdpx projects into a study."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from workbench.deps import SessionDep, SettingsDep, require
from workbench.errors import BadRequest, Forbidden, TooLarge
from workbench.models import Study, User
from workbench.permissions import PERMISSION_LABELS, Permission, can
from workbench.routes.api import error_responses
from workbench.routes.coding import codebook_page
from workbench.services import qdpx_export, qdpx_import
from workbench.services import studies as study_service
from workbench.settings import Settings
from workbench.uploads import FORM_OVERHEAD

router = APIRouter(tags=["interoperability"])

EXPORT_RESPONSES = {
    200: {"description": "The study as a REFI-QDA project (a zip: project.qde and sources/).",
          "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}},
    **error_responses(404, 422, notes={
        403: "Exporting needs the right to open interviews (interviewers, analysts, admins): the file holds "
             "every transcript."}),
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
    409: "mode=replace on a study whose interviews are already coded: merge instead.",
    413: "The file is larger than PERCHE_MAX_UPLOAD_MB.",
    415: "The file is neither a .qdpx project nor a .qdc codebook.",
    422: "The file is not a valid or safe REFI-QDA file (zip bomb, unsafe paths, XML entities, wrong namespace, "
         "missing project.qde, dangling GUID references, selections outside their text); nothing was imported."})


def _export(session, settings: Settings, study_id: int, audio: bool, crlf: bool) -> FileResponse:
    study = study_service.get_study(session, study_id)
    path = qdpx_export.export_file(session, settings, study=study, audio=audio, crlf=crlf)
    return FileResponse(path, media_type=qdpx_export.MEDIA_TYPE, filename=qdpx_export.export_filename(study),
                        background=BackgroundTask(path.unlink, missing_ok=True))


@router.get("/studies/{study_id}/export.qdpx", include_in_schema=False)
def export_qdpx_page(study_id: int, session: SessionDep, settings: SettingsDep,
                     user: Annotated[User, require(Permission.view_interviews)], audio: bool = False,
                     crlf: bool = False) -> FileResponse:
    """Download the study as a REFI-QDA project (?audio=1 adds recordings, ?crlf=1 Windows line ends for MAXQDA)."""
    return _export(session, settings, study_id, audio, crlf)


@router.get("/api/studies/{study_id}/export.qdpx", response_class=FileResponse, responses=EXPORT_RESPONSES)
def export_qdpx(study_id: int, session: SessionDep, settings: SettingsDep,
                user: Annotated[User, require(Permission.view_interviews)], audio: bool = False,
                crlf: bool = False) -> FileResponse:
    """The study as a REFI-QDA project for NVivo, MAXQDA, ATLAS.ti or QualCoder.

    `audio=true` adds each recording as an AudioSource with its transcript and sync points;
    `crlf=true` writes Windows line endings (MAXQDA counts offsets with them).
    """
    return _export(session, settings, study_id, audio, crlf)


async def _receive(request: Request, session, settings: Settings, *, study: Study, user: User):
    """Read the multipart form, check size and rights, and import: a .qdc needs `code`, a .qdpx `upload` too."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > settings.max_upload_bytes + FORM_OVERHEAD:
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
        return await run_in_threadpool(qdpx_import.import_file, session, study=study, filename=upload.filename,
                                       stream=upload.file, mode=mode, user=user)
    finally:
        await upload.close()


@router.post("/studies/{study_id}/import", include_in_schema=False)
async def import_page(request: Request, study_id: int, session: SessionDep, settings: SettingsDep,
                      user: Annotated[User, require(Permission.code)]):
    """Import a .qdc codebook or a .qdpx project from the codebook page; the page shows what was imported."""
    study = study_service.get_study(session, study_id)
    summary = await _receive(request, session, settings, study=study, user=user)
    return codebook_page(request, session, study, import_summary=summary.lines())


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
