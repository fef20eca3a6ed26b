"""REST API (token auth): the same services as the web pages."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
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


# --- the study report as data (helper "report") ---------------------------------------------------


class ReportPublic(BaseModel):
    """The management report as JSON: the same values as the web report (storytelling.Report.to_dict()).

    Shares are fractions (0-1) and every figure carries its n and the interview or unit ids behind it.
    `summary.rating.interval` is the 90 % interval of the headline score; `summary.rating.indicative`
    (and `indicative` on each secondary scale) is true when fewer than `indicative_below` interviews
    are rated. Only codes an analyst gave or accepted, or model codes at or above
    `confidence_threshold`, count.
    """

    study: dict[str, Any]
    language: Literal["it", "en"]
    generated_on: date
    filters: dict[str, str]
    indicative_below: int
    confidence_threshold: float
    summary: dict[str, Any]
    other_ratings: list[dict[str, Any]]
    rating_groups: list[dict[str, Any]]
    themes: list[dict[str, Any]]
    drivers: dict[str, Any]
    segments: dict[str, Any]
    trend: list[dict[str, Any]]
    stories: list[dict[str, Any]]
    close_the_loop: list[dict[str, Any]]
    methodology: dict[str, Any]


@router.get("/studies/{study_id}/report", response_model=ReportPublic)
def read_report_data(study_id: int, session: SessionDep, user: Annotated[User, require(Permission.view_reports)],
                     segment: str | None = None, region: str | None = None, product_line: str | None = None,
                     journey_stage: str | None = None, interviewer: str | None = None,
                     date_from: Annotated[str | None, Query(description="YYYY-MM-DD, inclusive")] = None,
                     date_to: Annotated[str | None, Query(description="YYYY-MM-DD, inclusive")] = None,
                     lang: Annotated[Literal["it", "en"] | None, Query(
                         description="Language of names and labels (default: the study's)")] = None) -> ReportPublic:
    """The study's management report as data, with the web report's filters as query parameters."""
    from storytelling.schema import INDICATIVE_BELOW
    from workbench.services import reports as report_service

    study = study_service.get_study(session, study_id)
    raw = {"segment": segment, "region": region, "product_line": product_line, "journey_stage": journey_stage,
           "interviewer": interviewer, "date_from": date_from, "date_to": date_to}
    filters = report_service.clean_filters({k: v for k, v in raw.items() if v is not None})
    language = report_service.report_language(session, study=study, requested=lang)
    report = report_service.build_study_report(session, study=study, filters=filters, language=language)
    data = report.to_dict()
    data["summary"]["rating"]["indicative"] = report.summary.rating.indicative
    for item, scale in zip(data["other_ratings"], report.other_ratings, strict=True):
        item["indicative"] = scale.indicative
    return ReportPublic(**data, indicative_below=INDICATIVE_BELOW,
                        confidence_threshold=report.study.confidence_threshold)
