"""REST API (token auth): the same services as the web pages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, create_model
from sqlmodel import Session

from transcription.schema import SPEAKER_ROLES, Transcript
from workbench import jobs
from workbench.deps import SessionDep, SettingsDep, read_body, require
from workbench.errors import Conflict, Unprocessable, UnsupportedMedia
from workbench.models import Interview, InterviewStatus, Job, JobStatus, StoryRecord, Study, User
from workbench.permissions import Permission, can
from workbench.services import audit
from workbench.services import codebook as codebook_service
from workbench.services import coding as coding_service
from workbench.services import erasure as erasure_service
from workbench.services import interviews as interview_service
from workbench.services import jobs as job_service
from workbench.services import redaction as redaction_service
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
BODY_UNREADABLE = {400: "The body could not be read as JSON (or is not UTF-8)."}


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


@router.post("/studies", status_code=201, response_model=Created,
             responses=error_responses(400, 422, notes=BODY_UNREADABLE))
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


def _study_public(session: Session, study: Study) -> StudyPublic:
    guide = [study_service.GuideQuestionIn(text=q.text, kind=q.kind, scale=q.scale, scale_min=q.scale_min,
                                           scale_max=q.scale_max)
             for q in study_service.get_guide(session, study.id)]
    return StudyPublic(id=study.id, name=study.name, language=study.language,
                       interview_type=study.interview_type, guide=guide)


@router.post("/studies/{study_id}/interviews", status_code=202, response_model=Accepted,
             responses={201: {"model": Created, "description": "A transcript was imported and there is nothing left "
                                                               "to run (coding after transcription is off)."},
                        **error_responses(400, 404, 409, 413, 415, 422, notes={
                            409: "This recording or transcript file is already in the study; `link` opens that "
                                 "interview.",
                            413: "The recording is over PERCHE_MAX_UPLOAD_MB, or the transcript over 20 MB.",
                            422: "Metadata that does not validate, a recording over the length limit, or a "
                                 "transcript file that cannot be read (the detail names the file and the line)."})},
             openapi_extra={"requestBody": {"content": {"multipart/form-data": {"schema": {
                 "type": "object",
                 "description": "A recording (`file`), or a transcript made elsewhere (`transcript`) with or "
                                "without its recording (`file`); at least one of the two.",
                 "anyOf": [{"required": ["file"]}, {"required": ["transcript"]}],
                 "properties": {
                     "file": {"type": "string", "format": "binary",
                              "description": "The recording: mp3, m4a, wav, ogg, opus, flac or mp4."},
                     "transcript": {"type": "string", "format": "binary",
                                    "description": "A transcript: .docx, .txt ([hh:mm:ss] Speaker: text lines, "
                                                   "or f4/MAXQDA #hh:mm:ss-d# marks), .srt, .vtt or .csv "
                                                   "(speaker,start,end,text)."},
                     **{name: {"type": "string"} for name in interview_service.META_FIELDS}}}}}}})
async def create_interview(request: Request, study_id: int, session: SessionDep, settings: SettingsDep,
                           user: Annotated[User, require(Permission.upload)]) -> JSONResponse:
    """Upload a recording, or a transcript made elsewhere (with or without its recording), with its metadata.

    A recording is transcribed by the job returned (202). An imported transcript is stored at once and
    coded by the job returned (202), or, when coding after transcription is off, there is no job (201)."""
    study = study_service.get_study(session, study_id)
    interview, job = await receive_upload(request, session, settings, study=study, user=user)
    if job is None:
        return JSONResponse({"id": interview.id}, status_code=201)
    return JSONResponse({"id": interview.id, "job_id": job.id}, status_code=202)


@router.get("/jobs/{job_id}", response_model=JobPublic, responses=error_responses(404, 422))
def read_job(job_id: int, session: SessionDep, user: Annotated[User, require(Permission.view_interviews)]) -> JobPublic:
    """A job's status and progress (0..1)."""
    job = job_service.get_job(session, job_id)
    return JobPublic(id=job.id, kind=job.kind, status=job.status.value, progress=job.progress, step=job.step,
                     error=job.error)


class TranscriptSpeakerPublic(BaseModel):
    id: str = Field(description="The id segments refer to (SPEAKER_00).")
    name: str
    role: str = Field(description="interviewer, respondent, participant or unknown.")


class TranscriptSegmentPublic(BaseModel):
    start: float | None = Field(description="Seconds; null when the transcript was imported without timestamps.")
    end: float | None
    speaker: str | None = Field(description="An id from `speakers`, or null.")
    text: str
    overlap: bool = Field(description="Another speaker talks at the same time.")


class TranscriptPublic(BaseModel):
    """The interview's transcript; PUT takes the same shape back."""

    language: str | None
    duration: float = Field(description="Seconds: the recording's length, or for a transcript imported without "
                                        "audio the last time it gives (0 without any).")
    speakers: list[TranscriptSpeakerPublic]
    segments: list[TranscriptSegmentPublic]


@router.get("/interviews/{interview_id}/transcript", response_model=TranscriptPublic,
            responses=error_responses(404, 422))
def read_transcript(request: Request, interview_id: int, session: SessionDep,
                    user: Annotated[User, require(Permission.view_interviews)]) -> dict:
    """The interview's transcript: language, duration, speakers and segments."""
    interview = interview_service.get_interview(session, interview_id)
    duration = interview_service.interview_duration(session, interview_id)  # a transcript may have no recording
    redaction = redaction_service.interview_redactor(session, interview=interview, user=user)
    body = transcript_service.transcript_json(session, interview=interview, duration=duration, redaction=redaction)
    audit.record_request(request, session, user=user, action="transcript.view", study_id=interview.study_id,
                         target=f"interview:{interview_id}", detail={"via": "api"})
    return body


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
def read_coding(request: Request, interview_id: int, session: SessionDep,
                user: Annotated[User, require(Permission.view_interviews)]) -> CodingPublic:
    """The interview's coded units with their codes, sentiment and reasons, its ratings and coding status."""
    interview = interview_service.get_interview(session, interview_id)
    questions = {q.id: q.text for q in study_service.get_guide(session, interview.study_id)}
    speakers = {s.id: s.label for s in transcript_service.speakers_of(session, interview_id=interview_id)}
    redaction = redaction_service.interview_redactor(session, interview=interview, user=user)
    units = [UnitPublic(
        id=view.unit.id, start=view.unit.start, end=view.unit.end, speaker=speakers.get(view.unit.speaker_id),
        text=redaction.unit_text(view.unit), question=questions.get(view.unit.question_id),
        sentiment=view.unit.sentiment, reason=redaction.unit_reason(view.unit) if view.unit.reason else None,
        codes=[CodePublic(code=code.path, name=code.name, sentiment=link.sentiment, confidence=link.confidence,
                          status=link.status, source=link.source) for link, code in view.links])
        for view in coding_service.units_of(session, interview_id=interview_id)]
    ratings = [RatingPublic(scale=r.scale, value=r.value, question=questions.get(r.question_id), source=r.source)
               for r in coding_service.interview_ratings(session, interview=interview)]
    audit.record_request(request, session, user=user, action="transcript.view", study_id=interview.study_id,
                         target=f"interview:{interview_id}", detail={"via": "api", "part": "coding"})
    return CodingPublic(coding_status=job_service.coding_status(session, interview_id=interview_id),
                        ratings=ratings, units=units)


_CODEBOOK_BODY = {"type": "object", "required": ["codes"], "properties": {
    "name": {"type": "string"}, "language": {"type": "string"},
    "codes": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["path"], "properties": {
        "path": {"type": "string", "maxLength": 200, "pattern": r"^[\w-]+(/[\w-]+)*$",
                 "description": "Words of letters, digits and hyphens with / between levels; unique."},
        "name": {"type": "string", "maxLength": 200, "pattern": r"\S"}, "description": {"type": "string"},
        "examples": {"type": "array", "items": {"type": "string"}}}}}}}


@router.put("/studies/{study_id}/codebook", response_model=CodebookReplaced,
            responses=error_responses(404, 409, 413, 415, 422, notes={
                409: "The study's units are coded; send ?recode=true to replace anyway.",
                413: "The codebook is larger than 2 MB.",
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
        raise UnsupportedMedia("Send the codebook as application/yaml or application/json, "
                               f"not '{media or 'nothing'}'.", title="Not a codebook format")
    body = await read_body(request, limit=codebook_service.MAX_CODEBOOK_BYTES, what="The codebook")
    codebook = codebook_service.parse_codebook(body, fmt=fmt)
    added, updated, removed = codebook_service.replace_codebook(session, study=study, codebook=codebook,
                                                                recode=recode)
    job_ids: list[int] = []
    if recode:
        job_ids = job_service.queue_coding(session, study_id=study_id,
                                           interview_ids=interview_service.transcribed_ids(session, study_id=study_id))
        jobs.enqueue(settings, job_ids)
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


@router.get("/studies/{study_id}/report", response_model=ReportPublic, responses=error_responses(400, 404, 422, notes={
    400: "A filter cannot be applied: an interviewer where the study redacts personal data for your role.",
    422: "A date is not a calendar day written YYYY-MM-DD, or the language is neither it nor en."}))
def read_report_data(request: Request, study_id: int, session: SessionDep,
                     user: Annotated[User, require(Permission.view_reports)],
                     segment: str | None = None, region: str | None = None, product_line: str | None = None,
                     journey_stage: str | None = None, interviewer: str | None = None,
                     date_from: Annotated[date | None, Query(description="YYYY-MM-DD, inclusive")] = None,
                     date_to: Annotated[date | None, Query(description="YYYY-MM-DD, inclusive")] = None,
                     lang: Annotated[Literal["it", "en"] | None, Query(
                         description="Language of names and labels (default: the study's)")] = None) -> ReportPublic:
    """The study's management report as data, with the web report's filters as query parameters."""
    from storytelling.schema import INDICATIVE_BELOW
    from workbench.services import reports as report_service

    study = study_service.get_study(session, study_id)
    raw = {"segment": segment, "region": region, "product_line": product_line, "journey_stage": journey_stage,
           "interviewer": interviewer, "date_from": date_from and date_from.isoformat(),
           "date_to": date_to and date_to.isoformat()}
    filters = report_service.clean_filters({k: v for k, v in raw.items() if v is not None})
    language = report_service.report_language(session, study=study, requested=lang)
    report = report_service.build_study_report(session, study=study, filters=filters, language=language,
                                               redaction=report_service.redaction_for(session, study=study, user=user))
    data = report.to_dict()
    data["summary"]["rating"]["indicative"] = report.summary.rating.indicative
    for item, scale in zip(data["other_ratings"], report.other_ratings, strict=True):
        item["indicative"] = scale.indicative
    audit.record_request(request, session, user=user, action="report.view", study_id=study_id,
                         target=f"study:{study_id}", detail={"format": "api", "filtered": bool(filters)})
    return ReportPublic(**data, indicative_below=INDICATIVE_BELOW,
                        confidence_threshold=report.study.confidence_threshold)


# --- interviews: list, read, metadata, delete ------------------------------------------------------


class RecordingPublic(BaseModel):
    filename: str = Field(description="The uploaded file's name.")
    duration: float = Field(description="Seconds.")
    channels: int
    sample_rate: int
    format: str
    codec: str
    size_bytes: int


class InterviewCounts(BaseModel):
    speakers: int
    segments: int = Field(description="Transcript segments.")
    units: int = Field(description="Coded units (codable pieces of the respondents' answers).")
    ratings: int


class InterviewSummary(BaseModel):
    id: int
    study_id: int
    status: InterviewStatus = Field(description="Where transcription stands: queued, processing, transcribed "
                                                "or failed.")
    metadata: interview_service.InterviewMeta
    transcript_file: str = Field(description="The file an imported transcript came from; empty when Perché "
                                             "transcribed the recording.")
    created_at: datetime


class InterviewPublic(InterviewSummary):
    transcript_language: str | None
    recording: RecordingPublic | None = Field(description="null when the interview was imported as a transcript "
                                                          "without audio.")
    coding_status: Literal["queued", "running", "done", "failed"] | None = Field(
        description="Where the interview's last coding job stands; null when it was never coded.")
    counts: InterviewCounts


class InterviewPage(BaseModel):
    items: list[InterviewSummary] = Field(description="Newest first.")
    next: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
    total: int = Field(description="How many interviews match the filters, on every page together.")


InterviewMetaPatch = create_model(
    "InterviewMetaPatch", __config__=ConfigDict(extra="forbid"),
    __doc__="Metadata fields to change; the others keep their value. null puts a field back to its default.",
    **{name: (field.annotation | None, Field(None, description=field.description))
       for name, field in interview_service.InterviewMeta.model_fields.items()})


def _interview_summary(interview: Interview) -> dict[str, Any]:
    return {"id": interview.id, "study_id": interview.study_id, "status": interview.status,
            "metadata": {name: getattr(interview, name) for name in interview_service.META_FIELDS},
            "transcript_file": interview.transcript_file, "created_at": interview.created_at}


def _interview_public(session: Session, interview: Interview) -> InterviewPublic:
    recording = interview_service.find_recording(session, interview.id)
    facts = None if recording is None else RecordingPublic(
        filename=recording.original_filename, duration=recording.duration, channels=recording.channels,
        sample_rate=recording.sample_rate, format=recording.format, codec=recording.codec,
        size_bytes=recording.size_bytes)
    return InterviewPublic(
        **_interview_summary(interview), transcript_language=interview.transcript_language, recording=facts,
        coding_status=job_service.coding_status(session, interview_id=interview.id),
        counts=InterviewCounts(**interview_service.interview_counts(session, interview_id=interview.id)))


@router.get("/studies/{study_id}/interviews", response_model=InterviewPage, responses=error_responses(404, 422))
def read_interviews(study_id: int, session: SessionDep, user: Annotated[User, require(Permission.view_interviews)],
                    segment: str | None = None, region: str | None = None, product_line: str | None = None,
                    journey_stage: str | None = None, channel: str | None = None, account: str | None = None,
                    interviewer: Annotated[str | None, Query(description="The interviewer's name")] = None,
                    status: InterviewStatus | None = None,
                    date_from: Annotated[date | None, Query(description="Interview date, inclusive")] = None,
                    date_to: Annotated[date | None, Query(description="Interview date, inclusive")] = None,
                    limit: Annotated[int, Query(ge=1, le=interview_service.MAX_PAGE)] = 50,
                    cursor: Annotated[str | None, Query(max_length=20, description="`next` of the previous page")]
                    = None) -> InterviewPage:
    """The study's interviews, newest first, filtered by exact metadata values, status and date."""
    study_service.get_study(session, study_id)
    filters = {"segment": segment, "region": region, "product_line": product_line, "journey_stage": journey_stage,
               "channel": channel, "account": account, "interviewer": interviewer}
    page = interview_service.page_interviews(
        session, study_id=study_id, filters={k: v for k, v in filters.items() if v}, status=status,
        date_from=date_from, date_to=date_to, limit=limit, cursor=cursor)
    return InterviewPage(items=[InterviewSummary(**_interview_summary(i)) for i in page.items],
                         next=page.next_cursor, total=page.total)


@router.get("/interviews/{interview_id}", response_model=InterviewPublic, responses=error_responses(404, 422))
def read_interview(interview_id: int, session: SessionDep,
                   user: Annotated[User, require(Permission.view_interviews)]) -> InterviewPublic:
    """One interview: metadata, status, recording facts, coding status and how much it holds."""
    return _interview_public(session, interview_service.get_interview(session, interview_id))


@router.patch("/interviews/{interview_id}", response_model=InterviewPublic,
              responses=error_responses(400, 404, 422, notes=BODY_UNREADABLE))
def update_interview(interview_id: int, changes: InterviewMetaPatch, session: SessionDep,  # type: ignore[valid-type]
                     user: Annotated[User, require(Permission.edit_metadata)]) -> InterviewPublic:
    """Change some of the interview's metadata; the fields left out keep their value."""
    interview = interview_service.get_interview(session, interview_id)
    current = {name: getattr(interview, name) for name in interview_service.META_FIELDS}
    meta = interview_service.parse_meta({**current, **changes.model_dump(exclude_unset=True)})
    interview = interview_service.update_metadata(session, interview=interview, meta=meta)
    return _interview_public(session, interview)


@router.delete("/interviews/{interview_id}", status_code=204, response_class=Response,
               responses=error_responses(404, 409, 422, notes={
                   403: "Deleting loses the analysts' coding, ratings and stories of the interview, so it needs "
                        "the `code` permission (analysts and admins).",
                   409: "One of the interview's jobs is running; delete it once the job is done or failed."}))
def delete_interview(request: Request, interview_id: int, session: SessionDep, settings: SettingsDep,
                     user: Annotated[User, require(Permission.code)]) -> Response:
    """Delete the interview with every trace of it: recording, transcript, coding, the analysts' logged decisions,
    ratings, personal-data marks, stories and jobs (as an erasure does; a classifier trained on it goes stale)."""
    interview = interview_service.get_interview(session, interview_id)
    study_id = interview.study_id
    summary = erasure_service.erase_interviews(session, settings, interviews=[interview])
    audit.record_request(request, session, user=user, action="interview.delete", study_id=study_id,
                         target=f"interview:{interview_id}", detail=summary.audit_detail())
    return Response(status_code=204)


# --- the transcript, replaced ------------------------------------------------------------------------


class TranscriptSpeakerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=50, description="The id segments refer to (SPEAKER_00).")
    name: str = Field("", max_length=200, description="The name shown in the transcript.")
    role: Literal[tuple(SPEAKER_ROLES)] = "unknown"  # type: ignore[valid-type]


class TranscriptSegmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: float | None = Field(None, ge=0, allow_inf_nan=False, description="Seconds; null with end when the "
                                                                             "transcript has no timestamps.")
    end: float | None = Field(None, ge=0, allow_inf_nan=False)
    speaker: str | None = Field(None, max_length=50, description="An id from `speakers`, or null.")
    text: str = Field(min_length=1, max_length=100_000)
    overlap: bool = False


class TranscriptIn(BaseModel):
    """A transcript in the shape GET /api/interviews/{id}/transcript answers."""

    model_config = ConfigDict(extra="forbid")

    language: str | None = Field(None, pattern=r"^[a-z]{2,3}$",
                                 description="The transcript's language (it, en…); null keeps the current one.")
    duration: float | None = Field(None, description="Ignored: the recording's length is kept.")
    speakers: list[TranscriptSpeakerIn] = Field(default_factory=list, max_length=100)
    segments: list[TranscriptSegmentIn] = Field(min_length=1, max_length=50_000)


class TranscriptReplaced(BaseModel):
    segments: int
    speakers: int
    coding_job_id: int | None = Field(description="The coding job that codes the new transcript (GET "
                                                  "/api/jobs/{id}).")


def _transcript_from(body: TranscriptIn, *, interview: Interview, duration: float | None) -> Transcript:
    """The pipeline's Transcript from a checked body; a 422 names the first segment that breaks a rule."""
    from transcription.schema import Segment, Speaker

    ids = [s.id for s in body.speakers]
    for number, speaker in enumerate(body.speakers):
        interview_service.refuse_nul({f"speakers.{number}.id": speaker.id, f"speakers.{number}.name": speaker.name})
    if len(set(ids)) != len(ids):
        twice = next(i for i in ids if ids.count(i) > 1)
        raise Unprocessable(f"speakers: '{twice}' is listed twice; give each speaker one entry.")
    segments = []
    for number, seg in enumerate(body.segments):
        where = f"segments.{number}"
        interview_service.refuse_nul({f"{where}.text": seg.text, f"{where}.speaker": seg.speaker})
        text = " ".join(seg.text.split())
        if not text:
            raise Unprocessable(f"{where}: the text is blank; leave the segment out or type what was said.")
        if (seg.start is None) != (seg.end is None):
            raise Unprocessable(f"{where}: give both start and end, or neither (a transcript without timestamps).")
        if seg.start is not None and seg.end < seg.start:
            raise Unprocessable(f"{where}: it ends ({seg.end:g} s) before it starts ({seg.start:g} s).")
        if seg.end is not None and duration is not None and seg.end > duration + 1.0:
            raise Unprocessable(f"{where}: it ends at {seg.end:g} s, after the recording's end ({duration:g} s).")
        if seg.speaker is not None and seg.speaker not in ids:
            raise Unprocessable(f"{where}: speaker '{seg.speaker}' is not in `speakers`; add it there with its "
                                "name and role.")
        segments.append(Segment(start=seg.start, end=seg.end, text=text, speaker=seg.speaker, overlap=seg.overlap))
    ends = [s.end for s in segments if s.end is not None]
    language = body.language or interview.transcript_language or (
        interview.language if interview.language != "auto" else "")
    return Transcript(language=language, duration=duration if duration is not None else max(ends, default=0.0),
                      segments=segments, speakers=[Speaker(id=s.id, role=s.role, name=s.name) for s in body.speakers])


@router.put("/interviews/{interview_id}/transcript", response_model=TranscriptReplaced,
            responses=error_responses(400, 404, 409, 422, notes={
                **BODY_UNREADABLE,
                409: "The interview is being transcribed or coded; replace the transcript once that job is done.",
                422: "The transcript is malformed; the detail names the segment (segments.N, counted from 0)."}))
def replace_transcript(interview_id: int, body: TranscriptIn, session: SessionDep, settings: SettingsDep,
                       user: Annotated[User, require(Permission.edit_transcript)]) -> TranscriptReplaced:
    """Replace the interview's transcript (segments and speakers), then code it again.

    The interview's coded units go with the old transcript; the coding job queued here codes the new one
    and applies the analysts' earlier decisions to units with the same text.
    """
    interview = interview_service.get_interview(session, interview_id)
    busy = (job_service.active_job(session, kind="transcribe", interview_id=interview_id)
            or _running_coding(session, interview_id=interview_id))
    if busy is not None:
        raise Conflict(f"Interview #{interview_id} has a {busy.kind} job {busy.status.value} (job #{busy.id}); "
                       f"replace the transcript once GET /api/jobs/{busy.id} says done or failed.",
                       title="A job is running")
    recording = interview_service.find_recording(session, interview_id)
    transcript = _transcript_from(body, interview=interview, duration=recording.duration if recording else None)
    transcript_service.replace_transcript(session, interview=interview, transcript=transcript)
    queued = job_service.queue_coding(session, interview_ids=[interview_id], study_id=interview.study_id)
    waiting = job_service.queued_job(session, kind="code", interview_id=interview_id)
    job_id = queued[0] if queued else (waiting.id if waiting else None)
    jobs.enqueue(settings, queued)
    return TranscriptReplaced(segments=len(transcript.segments), speakers=len(transcript.speakers),
                              coding_job_id=job_id)


def _running_coding(session: Session, *, interview_id: int) -> Job | None:
    job = job_service.latest_job(session, interview_id=interview_id, kind="code")
    return job if job is not None and job.status == JobStatus.running else None


# --- stories ------------------------------------------------------------------------------------------


class StorySummary(BaseModel):
    id: int
    study_id: int
    interview_id: int | None = Field(description="The interview told (null for an account's story).")
    status: Literal["draft", "approved"]
    language: str
    title: str
    account: str
    rating: float | None
    rating_scale: str
    edited_at: datetime | None
    approved_at: datetime | None


class StoryPublic(StorySummary):
    text: str = Field(description="The story as plain text, quotes set on their own lines.")
    story: dict[str, Any] = Field(description="The whole story: paragraphs, quotes (with the unit ids behind "
                                              "them), pains, delights, reasons, actions and metadata.")


def _story_summary(record: StoryRecord) -> dict[str, Any]:
    data = record.data
    return {"id": record.id, "study_id": record.study_id, "interview_id": record.interview_id,
            "status": record.status, "language": record.language, "title": data.get("title", ""),
            "account": data.get("account", record.account or ""), "rating": data.get("rating"),
            "rating_scale": data.get("rating_scale", "nps"), "edited_at": record.edited_at,
            "approved_at": record.approved_at}


_STORIES_403 = {403: "Reading stories needs the `view_reports` permission."}


@router.get("/studies/{study_id}/stories", response_model=list[StorySummary],
            responses=error_responses(404, 422, notes=_STORIES_403))
def read_stories(study_id: int, session: SessionDep,
                 user: Annotated[User, require(Permission.view_reports)]) -> list[StorySummary]:
    """The study's stories an analyst edited or approved; roles that cannot edit stories see approved ones only."""
    from workbench.services import reports as report_service

    study_service.get_study(session, study_id)
    records = report_service.story_records(session, study_id=study_id,
                                           approved_only=not can(user.role, Permission.edit_stories))
    return [StorySummary(**_story_summary(r)) for r in records]


@router.get("/stories/{story_id}", response_model=StoryPublic,
            responses=error_responses(404, 422, notes={
                **_STORIES_403, 404: "No story has that id, or it is a draft and your role sees approved stories "
                                     "only."}))
def read_story(story_id: int, session: SessionDep,
               user: Annotated[User, require(Permission.view_reports)]) -> StoryPublic:
    """One story with its text and quotes; a draft answers 404 to roles that cannot edit stories."""
    from storytelling.schema import Story
    from workbench.services import reports as report_service

    record = report_service.get_story_record(session, story_id,
                                             approved_only=not can(user.role, Permission.edit_stories))
    study = study_service.get_study(session, record.study_id)
    redaction = report_service.redaction_for(session, study=study, user=user,
                                             interview_ids=[record.interview_id] if record.interview_id else None)
    story = report_service.redact_story(session, Story.from_dict(record.data), redaction)
    return StoryPublic(**_story_summary(record), text=story.text, story=story.to_dict())


# --- the codebook, read -------------------------------------------------------------------------------


class CodebookCodePublic(BaseModel):
    path: str = Field(description="The code's place in the hierarchy, e.g. delivery/late-shipments.")
    name: str
    description: str
    examples: list[str]
    translations: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Name, description and examples per other language (it, en).")


class CodebookPublic(BaseModel):
    """The study's codebook in the shape PUT /api/studies/{id}/codebook accepts."""

    name: str
    language: str
    codes: list[CodebookCodePublic]


@router.get("/studies/{study_id}/codebook", response_model=CodebookPublic, responses=error_responses(404, 422))
def read_codebook(study_id: int, session: SessionDep,
                  user: Annotated[User, require(Permission.view_coding)]) -> CodebookPublic:
    """The study's codebook as JSON, ready to edit and send back with PUT."""
    study = study_service.get_study(session, study_id)
    redaction = redaction_service.redactor(session, study=study, user=user, interview_ids=None)
    return CodebookPublic(**redaction.codebook_dict(codebook_service.library_codebook(session, study).to_dict()))
