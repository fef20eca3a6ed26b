"""REST API (token auth): the same services as the web pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from workbench.deps import SessionDep, SettingsDep, require
from workbench.models import User
from workbench.permissions import Permission
from workbench.services import interviews as interview_service
from workbench.services import jobs as job_service
from workbench.services import studies as study_service
from workbench.services import transcripts as transcript_service
from workbench.uploads import receive_upload

router = APIRouter(prefix="/api", tags=["api"])


class Created(BaseModel):
    id: int


class Accepted(BaseModel):
    id: int
    job_id: int


class JobPublic(BaseModel):
    id: int
    kind: str
    status: str
    progress: float
    step: str
    error: str | None


class StudyPublic(BaseModel):
    id: int
    name: str
    language: str
    interview_type: str
    guide: list[study_service.GuideQuestionIn]


@router.post("/studies", status_code=201, response_model=Created)
def create_study(data: study_service.StudyIn, session: SessionDep,
                 user: Annotated[User, require(Permission.create_study)]) -> Created:
    """Create a study with its interview guide."""
    study = study_service.create_study(session, data=data, created_by=user)
    return Created(id=study.id)


@router.get("/studies", response_model=list[StudyPublic])
def read_studies(session: SessionDep, user: Annotated[User, require(Permission.view_studies)]) -> list[StudyPublic]:
    """All studies with their guides."""
    return [_study_public(session, s) for s in study_service.list_studies(session)]


@router.get("/studies/{study_id}", response_model=StudyPublic)
def read_study(study_id: int, session: SessionDep,
               user: Annotated[User, require(Permission.view_studies)]) -> StudyPublic:
    """One study with its guide."""
    return _study_public(session, study_service.get_study(session, study_id))


def _study_public(session, study) -> StudyPublic:  # noqa: ANN001
    guide = [study_service.GuideQuestionIn(text=q.text, kind=q.kind, scale=q.scale, scale_min=q.scale_min,
                                           scale_max=q.scale_max)
             for q in study_service.get_guide(session, study.id)]
    return StudyPublic(id=study.id, name=study.name, language=study.language,
                       interview_type=study.interview_type, guide=guide)


@router.post("/studies/{study_id}/interviews", status_code=202, response_model=Accepted,
             openapi_extra={"requestBody": {"content": {"multipart/form-data": {"schema": {
                 "type": "object", "required": ["file"],
                 "properties": {"file": {"type": "string", "format": "binary"},
                                **{name: {"type": "string"} for name in interview_service.META_FIELDS}}}}}}})
async def create_interview(request: Request, study_id: int, session: SessionDep, settings: SettingsDep,
                           user: Annotated[User, require(Permission.upload)]) -> JSONResponse:
    """Upload a recording with its metadata; processing runs as a job."""
    study = study_service.get_study(session, study_id)
    interview, job = await receive_upload(request, session, settings, study=study, user=user)
    return JSONResponse({"id": interview.id, "job_id": job.id}, status_code=202)


@router.get("/jobs/{job_id}", response_model=JobPublic)
def read_job(job_id: int, session: SessionDep, user: Annotated[User, require(Permission.view_interviews)]) -> JobPublic:
    """A job's status and progress (0..1)."""
    job = job_service.get_job(session, job_id)
    return JobPublic(id=job.id, kind=job.kind, status=job.status.value, progress=job.progress, step=job.step,
                     error=job.error)


@router.get("/interviews/{interview_id}/transcript")
def read_transcript(interview_id: int, session: SessionDep,
                    user: Annotated[User, require(Permission.view_interviews)]) -> dict:
    """The interview's transcript: language, duration, speakers and segments."""
    interview = interview_service.get_interview(session, interview_id)
    recording = interview_service.get_recording(session, interview_id)
    return transcript_service.transcript_json(session, interview=interview, duration=recording.duration)
