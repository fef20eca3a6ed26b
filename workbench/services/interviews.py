"""Interviews: creation from an uploaded recording, metadata, listing with filters."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from transcription.schema import AudioInfo, Transcript
from workbench import storage
from workbench.errors import Conflict, NotFound, Unprocessable, UnsupportedMedia
from workbench.models import Interview, InterviewStatus, Job, Recording, Study, User
from workbench.services.jobs import create_job
from workbench.settings import Settings

JOURNEY_STAGES = ["onboarding", "delivery", "support", "billing", "credit collection", "renewal", "other"]
CHANNELS = ["phone", "video call", "in person", "focus group"]
META_FIELDS = ["account", "respondent_name", "respondent_role", "segment", "region", "product_line",
               "journey_stage", "channel", "interview_date", "interviewer_name", "consent_recorded", "language",
               "participants"]
MAX_PARTICIPANTS = 20
FILTERS = ["segment", "region", "journey_stage", "status"]


class InterviewMeta(BaseModel):
    """What an interviewer says about a conversation; every field optional but the language."""

    account: str = Field("", max_length=200)
    respondent_name: str = Field("", max_length=200)
    respondent_role: str = Field("", max_length=200)
    segment: str = Field("", max_length=100)
    region: str = Field("", max_length=100)
    product_line: str = Field("", max_length=100)
    journey_stage: str = Field("", max_length=100)
    channel: str = Field("", max_length=50)
    interview_date: date | None = None
    interviewer_name: str = Field("", max_length=200)
    consent_recorded: bool = False
    language: str = "auto"
    participants: int | None = Field(None, ge=1, le=MAX_PARTICIPANTS)

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        value = (value or "auto").strip().lower()
        if value not in ("auto", "it", "en"):
            raise ValueError("language must be auto, it or en")
        return value

    @field_validator("interview_date", mode="before")
    @classmethod
    def _empty_date(cls, value: Any) -> Any:
        return None if value in ("", None) else value

    @field_validator("participants", mode="before")
    @classmethod
    def _empty_count(cls, value: Any) -> Any:
        return None if value in ("", None) else value

    @field_validator("consent_recorded", mode="before")
    @classmethod
    def _checkbox(cls, value: Any) -> Any:
        return value in (True, "true", "True", "on", "1", "yes", 1) if not isinstance(value, bool) else value


def parse_meta(raw: dict[str, Any]) -> InterviewMeta:
    """Validate metadata from a form, the API or the CLI; unknown keys are refused."""
    unknown = sorted(set(raw) - set(META_FIELDS))
    if unknown:
        raise Unprocessable(f"Unknown metadata field(s): {', '.join(unknown)}. Known fields: {', '.join(META_FIELDS)}.")
    cleaned = {k: v.strip() if isinstance(v, str) else v for k, v in raw.items() if v is not None}
    try:
        return InterviewMeta(**cleaned)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise Unprocessable(f"Please correct the metadata: {problems}.") from None


def probe_staged(settings: Settings, staged: storage.StagedFile) -> AudioInfo:
    """Check the staged file really is audio within the limits; discard it otherwise."""
    from transcription import TranscriptionError, probe_audio
    from transcription.audio import count_duration

    try:
        info = probe_audio(staged.path)
    except TranscriptionError as exc:
        staged.discard()
        raise UnsupportedMedia(str(exc).replace(staged.path.name, staged.filename)) from None
    limit = settings.max_duration_minutes * 60
    if info.duration > limit:
        staged.discard()
        raise Unprocessable(
            f"The recording lasts {info.duration / 60:.0f} minutes; the limit is {settings.max_duration_minutes:g}. "
            "Split it into parts, or ask an admin to raise PERCHE_MAX_DURATION_MINUTES.",
            title="Recording too long",
        )
    # A header can understate the length (chained Ogg streams give only the last one's), so
    # the packets are counted too; cheap, and it stops as soon as the limit is passed.
    counted = count_duration(staged.path, stop_after=limit)
    if counted > limit:
        staged.discard()
        raise Unprocessable(
            f"The recording lasts more than {settings.max_duration_minutes:g} minutes, the limit, although its "
            f"header says {info.duration / 60:.1f}. Split it into parts, or ask an admin to raise "
            "PERCHE_MAX_DURATION_MINUTES.",
            title="Recording too long",
        )
    if counted > info.duration + 1.0:
        info.duration = round(counted, 3)
    return info


def find_duplicate(session: Session, *, study_id: int, sha256: str) -> Recording | None:
    return session.exec(
        select(Recording).where(Recording.study_id == study_id, Recording.sha256 == sha256)
    ).first()


def duplicate_error(recording: Recording) -> Conflict:
    return Conflict(
        f"This recording is already in the study as interview #{recording.interview_id} "
        f"('{recording.original_filename}'). Open that interview instead of uploading it again.",
        title="Already uploaded",
        link=(f"/interviews/{recording.interview_id}", f"Open interview #{recording.interview_id}"),
    )


def create_interview(session: Session, settings: Settings, *, study: Study, staged: storage.StagedFile,
                     meta: InterviewMeta, created_by: User | None) -> tuple[Interview, Job]:
    """Probe, store and register an upload with its processing job, all or nothing."""
    existing = find_duplicate(session, study_id=study.id, sha256=staged.sha256)
    if existing:
        staged.discard()
        raise duplicate_error(existing)
    info = probe_staged(settings, staged)
    key, created_file = storage.store(settings, staged)
    try:
        interview = Interview(study_id=study.id, created_by=created_by.id if created_by else None,
                              **meta.model_dump())
        session.add(interview)
        session.flush()
        session.add(Recording(
            interview_id=interview.id, study_id=study.id, storage_key=key, original_filename=staged.filename,
            sha256=staged.sha256, size_bytes=staged.size, duration=info.duration, channels=info.channels,
            sample_rate=info.sample_rate, format=info.format[:50], codec=info.codec[:50],
        ))
        job = create_job(session, kind="transcribe", interview_id=interview.id)
        session.commit()
    except IntegrityError:
        # Two uploads of the same file raced each other: the other one won.
        session.rollback()
        if created_file:
            storage.remove(settings, key)
        existing = find_duplicate(session, study_id=study.id, sha256=staged.sha256)
        raise duplicate_error(existing) if existing else Conflict("The upload clashed with another; try again.")
    except BaseException:
        session.rollback()
        if created_file:
            storage.remove(settings, key)
        raise
    session.refresh(interview)
    session.refresh(job)
    return interview, job


def add_transcribed_interview(session: Session, *, study: Study, transcript: Transcript, meta: InterviewMeta,
                              transcript_file: str, created_by: User | None) -> Interview:
    """An interview whose transcript was made elsewhere (a file, a REFI-QDA project): no recording needed.

    Adds the interview, its speakers and segments, flushed but not committed: the caller commits once
    everything it imports is in place, or rolls back and nothing is left half-made.
    """
    from workbench.services.transcripts import replace_transcript

    if not transcript.segments:
        raise Unprocessable(f"'{transcript_file}' holds no transcript text.", title="Empty transcript")
    interview = Interview(study_id=study.id, created_by=created_by.id if created_by else None,
                          transcript_file=transcript_file[:255], **meta.model_dump())
    session.add(interview)
    session.flush()
    replace_transcript(session, interview=interview, transcript=transcript)
    session.flush()
    return interview


def get_interview(session: Session, interview_id: int) -> Interview:
    interview = session.get(Interview, interview_id)
    if interview is None:
        raise NotFound(f"There is no interview #{interview_id}. Open one from its study in the studies list.")
    return interview


def find_recording(session: Session, interview_id: int) -> Recording | None:
    """The interview's recording, or None for an interview imported as a transcript without audio."""
    return session.exec(select(Recording).where(Recording.interview_id == interview_id)).first()


def get_recording(session: Session, interview_id: int) -> Recording:
    recording = find_recording(session, interview_id)
    if recording is None:
        raise NotFound(f"Interview #{interview_id} has no recording.")
    return recording


def list_interviews(session: Session, *, study_id: int, filters: dict[str, str] | None = None) -> list[Interview]:
    query = select(Interview).where(Interview.study_id == study_id)
    for name, value in (filters or {}).items():
        if name in FILTERS and value:
            query = query.where(getattr(Interview, name) == value)
    return list(session.exec(query.order_by(Interview.interview_date.desc(), Interview.id.desc())))


def filter_options(session: Session, *, study_id: int) -> dict[str, list[str]]:
    """The distinct values present in a study, for its filter drop-downs."""
    options: dict[str, list[str]] = {}
    for name in ("segment", "region", "journey_stage"):
        column = getattr(Interview, name)
        values = session.exec(select(column).where(Interview.study_id == study_id, column != "").distinct())
        options[name] = sorted(values)
    options["status"] = [s.value for s in InterviewStatus]
    return options


def update_metadata(session: Session, *, interview: Interview, meta: InterviewMeta) -> Interview:
    for name, value in meta.model_dump().items():
        setattr(interview, name, value)
    session.add(interview)
    session.commit()
    session.refresh(interview)
    return interview



def transcribed_ids(session: Session, *, study_id: int) -> list[int]:
    """Interviews of the study that have a transcript (so they can be coded)."""
    return list(session.exec(select(Interview.id).where(Interview.study_id == study_id,
                                                        Interview.status == InterviewStatus.transcribed)))
