"""REST API (token auth): the same services as the web pages."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from workbench import coding_jobs
from workbench.deps import SessionDep, SettingsDep, require
from workbench.errors import UnsupportedMedia
from workbench.models import User
from workbench.permissions import Permission
from workbench.services import codebook as codebook_service
from workbench.services import coding as coding_service
from workbench.services import interviews as interview_service
from workbench.services import jobs as job_service
from workbench.services import studies as study_service
from workbench.services import transcripts as transcript_service
from workbench.uploads import receive_upload

router = APIRouter(prefix="/api", tags=["api"])


class ErrorPublic(BaseModel):
    """Every error the API answers has this shape (workbench/app.py's handlers write it)."""

    error: str = Field(description="A short title, e.g. 'Not found'.")
    detail: str = Field(description="What went wrong and what to do about it.")
    status: int = Field(description="The HTTP status again, for clients that lose it.")
    link: str | None = Field(None, description="Where to go next, when there is somewhere (e.g. the interview "
                                               "a duplicate upload already created).")


ERROR_MEANINGS = {
    400: "The request could not be read; the detail says what to send.",
    401: "No valid credentials: send `Authorization: Bearer <token>` (create one with `perche token create EMAIL`).",
    403: "Your role does not allow this; the detail names what it would need.",
    404: "Nothing has that id (an id beyond the database's integer range included).",
    409: "The request clashes with the current state; the detail says what to do first.",
    413: "What was sent is larger than the limit.",
    415: "The body's media type is not one this route reads.",
    422: "A parameter or the body is malformed or out of range; the detail names the field.",
}


def error_responses(*statuses: int, notes: dict[int, str] | None = None,
                    signed_in: bool = True) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of an API route: each error status it can answer, documented with ErrorPublic.

    Signed-in routes always add 401 and 403 (the token is checked, then the role's permission).
    `notes` replaces the general meaning of a status with what it means on this route.
    """
    wanted = sorted(set(statuses) | ({401, 403} if signed_in else set()))
    unknown = [s for s in wanted if s not in ERROR_MEANINGS]
    if unknown:
        raise ValueError(f"No meaning written for status {unknown}; add it to ERROR_MEANINGS.")
    notes = notes or {}
    return {status: {"model": ErrorPublic, "description": notes.get(status, ERROR_MEANINGS[status])}
            for status in wanted}


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


@router.post("/studies", status_code=201, response_model=Created, responses=error_responses(422))
def create_study(data: study_service.StudyIn, session: SessionDep,
                 user: Annotated[User, require(Permission.create_study)]) -> Created:
    """Create a study with its interview guide."""
    study = study_service.create_study(session, data=data, created_by=user)
    return Created(id=study.id)


@router.get("/studies", response_model=list[StudyPublic], responses=error_responses())
def read_studies(session: SessionDep, user: Annotated[User, require(Permission.view_studies)]) -> list[StudyPublic]:
    """All studies with their guides."""
    return [_study_public(session, s) for s in study_service.list_studies(session)]


@router.get("/studies/{study_id}", response_model=StudyPublic, responses=error_responses(404, 422))
def read_study(study_id: int, session: SessionDep,
               user: Annotated[User, require(Permission.view_studies)]) -> StudyPublic:
    """One study with its guide."""
    return _study_public(session, study_service.get_study(session, study_id))


def _study_public(session, study) -> StudyPublic:
    guide = [study_service.GuideQuestionIn(text=q.text, kind=q.kind, scale=q.scale, scale_min=q.scale_min,
                                           scale_max=q.scale_max)
             for q in study_service.get_guide(session, study.id)]
    return StudyPublic(id=study.id, name=study.name, language=study.language,
                       interview_type=study.interview_type, guide=guide)


@router.post("/studies/{study_id}/interviews", status_code=202, response_model=Accepted,
             responses=error_responses(400, 404, 409, 413, 415, 422, notes={
                 409: "This recording is already in the study; `link` opens that interview."}),
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


@router.get("/jobs/{job_id}", response_model=JobPublic, responses=error_responses(404, 422))
def read_job(job_id: int, session: SessionDep, user: Annotated[User, require(Permission.view_interviews)]) -> JobPublic:
    """A job's status and progress (0..1)."""
    job = job_service.get_job(session, job_id)
    return JobPublic(id=job.id, kind=job.kind, status=job.status.value, progress=job.progress, step=job.step,
                     error=job.error)


@router.get("/interviews/{interview_id}/transcript", responses=error_responses(404, 422))
def read_transcript(interview_id: int, session: SessionDep,
                    user: Annotated[User, require(Permission.view_interviews)]) -> dict:
    """The interview's transcript: language, duration, speakers and segments."""
    interview = interview_service.get_interview(session, interview_id)
    recording = interview_service.get_recording(session, interview_id)
    return transcript_service.transcript_json(session, interview=interview, duration=recording.duration)


class CodePublic(BaseModel):
    code: str = Field(description="The code's path in the codebook, e.g. delivery/late-shipments.")
    name: str
    sentiment: str | None = Field(description="positive, negative, neutral or mixed, towards this code.")
    confidence: float = Field(description="The model's confidence, 0..1 (1 for codes an analyst added).")
    status: Literal["suggested", "accepted", "rejected"] = Field(
        description="suggested by the model and not reviewed yet, or accepted or rejected by an analyst.")
    source: Literal["model", "analyst"]


class UnitPublic(BaseModel):
    id: int
    start: float | None = Field(description="Seconds into the recording.")
    end: float | None
    speaker: str | None = Field(description="The speaker's id in the transcript (SPEAKER_01).")
    text: str
    question: str | None = Field(description="The guide question this unit answers, or null.")
    sentiment: str | None
    reason: str | None = Field(description="Why, in the respondent's words, when they said it.")
    codes: list[CodePublic]


class RatingPublic(BaseModel):
    scale: str = Field(description="nps, csat, ces or custom.")
    value: float
    question: str | None = Field(description="The guide question the rating answers, or null.")
    source: Literal["model", "analyst"] = Field(description="heard in the answer, or typed by an analyst.")


class CodingPublic(BaseModel):
    coding_status: Literal["queued", "running", "done", "failed"] | None = Field(
        description="Where the interview's last coding job stands; `done` only once it finished. "
                    "null when the interview was never coded.")
    ratings: list[RatingPublic] = Field(description="Every rating of the interview, the headline first.")
    units: list[UnitPublic]


class CodebookReplaced(BaseModel):
    added: int
    updated: int
    removed: int
    recode_job_ids: list[int] = Field(description="Coding jobs queued to code the study again (with ?recode=true).")


@router.get("/interviews/{interview_id}/coding", response_model=CodingPublic, responses=error_responses(404, 422))
def read_coding(interview_id: int, session: SessionDep,
                user: Annotated[User, require(Permission.view_interviews)]) -> CodingPublic:
    """The interview's coded units with their codes, sentiment and reasons, its ratings and coding status."""
    interview = interview_service.get_interview(session, interview_id)
    questions = {q.id: q.text for q in study_service.get_guide(session, interview.study_id)}
    speakers = {s.id: s.label for s in transcript_service.speakers_of(session, interview_id=interview_id)}
    units = [UnitPublic(
        id=view.unit.id, start=view.unit.start, end=view.unit.end, speaker=speakers.get(view.unit.speaker_id),
        text=view.unit.text, question=questions.get(view.unit.question_id), sentiment=view.unit.sentiment,
        reason=view.unit.reason,
        codes=[CodePublic(code=code.path, name=code.name, sentiment=link.sentiment, confidence=link.confidence,
                          status=link.status, source=link.source) for link, code in view.links])
        for view in coding_service.units_of(session, interview_id=interview_id)]
    ratings = [RatingPublic(scale=r.scale, value=r.value, question=questions.get(r.question_id), source=r.source)
               for r in coding_service.interview_ratings(session, interview=interview)]
    return CodingPublic(coding_status=job_service.coding_status(session, interview_id=interview_id),
                        ratings=ratings, units=units)


_CODEBOOK_BODY = {"type": "object", "required": ["codes"], "properties": {
    "name": {"type": "string"}, "language": {"type": "string"},
    "codes": {"type": "array", "items": {"type": "object", "required": ["path"], "properties": {
        "path": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"},
        "examples": {"type": "array", "items": {"type": "string"}}}}}}}


@router.put("/studies/{study_id}/codebook", response_model=CodebookReplaced,
            responses=error_responses(404, 409, 415, 422, notes={
                409: "The study's units are coded; send ?recode=true to replace anyway.",
                415: "The body is neither application/yaml nor application/json.",
                422: "The codebook is malformed; the detail names the entry to fix."}),
            openapi_extra={"requestBody": {"required": True, "content": {
                "application/yaml": {"schema": _CODEBOOK_BODY}, "application/json": {"schema": _CODEBOOK_BODY}}}})
async def replace_codebook(request: Request, study_id: int, session: SessionDep, settings: SettingsDep,
                           user: Annotated[User, require(Permission.code)],
                           recode: bool = False) -> CodebookReplaced:
    """Replace the study's codebook with one in the shape of the codebook export (YAML or JSON).

    Answers 409 once the study's units are coded, unless `recode=true`: then the codebook is replaced
    and every coded interview is queued to be coded again.
    """
    study = study_service.get_study(session, study_id)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media in ("application/json",) or media.endswith("+json"):
        fmt = "json"
    elif media in ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"):
        fmt = "yaml"
    else:
        raise UnsupportedMedia(f"Send the codebook as application/yaml or application/json, not '{media or 'nothing'}'.",
                               title="Not a codebook format")
    codebook = codebook_service.parse_codebook(await request.body(), fmt=fmt)
    added, updated, removed = codebook_service.replace_codebook(session, study=study, codebook=codebook,
                                                                recode=recode)
    job_ids: list[int] = []
    if recode:
        job_ids = coding_jobs.queue_coding(session, study_id=study_id,
                                           interview_ids=interview_service.transcribed_ids(session, study_id=study_id))
        coding_jobs.enqueue_all(job_ids)
    return CodebookReplaced(added=added, updated=updated, removed=removed, recode_job_ids=job_ids)


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


@router.get("/studies/{study_id}/report", response_model=ReportPublic, responses=error_responses(404, 422))
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
