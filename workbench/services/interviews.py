"""Interviews: creation from an uploaded recording, metadata, listing with filters and pages, deletion."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from transcription.schema import AudioInfo, Transcript
from workbench import storage
from workbench.errors import Conflict, NotFound, Unprocessable, UnsupportedMedia
from workbench.models import (
    CodedUnit,
    Interview,
    InterviewStatus,
    Job,
    Rating,
    Recording,
    Speaker,
    Study,
    TranscriptSegment,
    User,
)
from workbench.services.jobs import create_job
from workbench.services.revisions import StudyCache
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
    def _empty_date(cls, value: object) -> object:
        return None if value in ("", None) else value

    @field_validator("participants", mode="before")
    @classmethod
    def _empty_count(cls, value: object) -> object:
        return None if value in ("", None) else value

    @field_validator("consent_recorded", mode="before")
    @classmethod
    def _checkbox(cls, value: object) -> bool:
        return value in (True, "true", "True", "on", "1", "yes", 1) if not isinstance(value, bool) else value


def parse_meta(raw: dict[str, Any]) -> InterviewMeta:
    """Validate metadata from a form, the API or the CLI; unknown keys are refused."""
    unknown = sorted(set(raw) - set(META_FIELDS))
    if unknown:
        raise Unprocessable(f"Unknown metadata field(s): {', '.join(unknown)}. Known fields: {', '.join(META_FIELDS)}.")
    cleaned = {k: v.strip() if isinstance(v, str) else v for k, v in raw.items() if v is not None}
    refuse_nul(cleaned)
    try:
        return InterviewMeta(**cleaned)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise Unprocessable(f"Please correct the metadata: {problems}.") from None


def refuse_nul(values: dict[str, Any]) -> None:
    """A 422 for text holding a NUL character, which PostgreSQL cannot store (SQLite would keep it silently)."""
    for name, value in values.items():
        if isinstance(value, str) and "\x00" in value:
            raise Unprocessable(f"{name}: remove the NUL character (\\x00) from the text.")


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


def find_imported_transcript(session: Session, *, study_id: int, sha256: str) -> Interview | None:
    """The study's interview imported from a transcript with this digest (a file's bytes, a REFI-QDA source's text)."""
    if not sha256:
        return None
    return session.exec(select(Interview).where(Interview.study_id == study_id, Interview.transcript_sha256 == sha256)
                        .order_by(Interview.id)).first()


def already_there(what: str, *, interview_id: int, filename: str, again: str, title: str) -> Conflict:
    """A 409 naming the interview that already holds this recording or transcript, with a link to it."""
    return Conflict(
        f"This {what} is already in the study as interview #{interview_id}"
        + (f" ('{filename}')" if filename else "") + f". Open that interview instead of {again} it again.",
        title=title, link=(f"/interviews/{interview_id}", f"Open interview #{interview_id}"),
    )


def duplicate_error(recording: Recording) -> Conflict:
    return already_there("recording", interview_id=recording.interview_id, filename=recording.original_filename,
                         again="uploading", title="Already uploaded")


def duplicate_transcript_error(interview: Interview) -> Conflict:
    return already_there("transcript", interview_id=interview.id, filename=interview.transcript_file,
                         again="importing", title="Already imported")


def store_recording(session: Session, settings: Settings, *, study: Study,
                    staged: storage.StagedFile) -> tuple[AudioInfo, str, bool]:
    """Refuse a duplicate, probe the staged file and move it into storage: (info, storage key, created here)."""
    existing = find_duplicate(session, study_id=study.id, sha256=staged.sha256)
    if existing:
        staged.discard()
        raise duplicate_error(existing)
    info = probe_staged(settings, staged)
    key, created_file = storage.store(settings, staged)
    return info, key, created_file


def add_recording(session: Session, *, interview: Interview, staged: storage.StagedFile, key: str,
                  info: AudioInfo) -> Recording:
    recording = Recording(
        interview_id=interview.id, study_id=interview.study_id, storage_key=key, original_filename=staged.filename,
        sha256=staged.sha256, size_bytes=staged.size, duration=info.duration, channels=info.channels,
        sample_rate=info.sample_rate, format=info.format[:50], codec=info.codec[:50],
    )
    session.add(recording)
    return recording


@contextmanager
def undone_on_failure(session: Session, settings: Settings, *, study: Study, staged: storage.StagedFile | None,
                      key: str | None, created_file: bool) -> Iterator[None]:
    """Roll back and remove the file stored for this upload when the block fails (the block commits)."""
    try:
        yield
    except IntegrityError:
        # Two uploads of the same file raced each other: the other one won.
        session.rollback()
        if created_file and key:
            storage.remove(settings, key)
        existing = find_duplicate(session, study_id=study.id, sha256=staged.sha256) if staged else None
        raise (duplicate_error(existing) if existing
               else Conflict("The upload clashed with another; try again.")) from None
    except BaseException:
        session.rollback()
        if created_file and key:
            storage.remove(settings, key)
        raise


def create_interview(session: Session, settings: Settings, *, study: Study, staged: storage.StagedFile,
                     meta: InterviewMeta, created_by: User | None) -> tuple[Interview, Job]:
    """Probe, store and register an upload with its processing job, all or nothing."""
    info, key, created_file = store_recording(session, settings, study=study, staged=staged)
    with undone_on_failure(session, settings, study=study, staged=staged, key=key, created_file=created_file):
        interview = Interview(study_id=study.id, created_by=created_by.id if created_by else None,
                              **meta.model_dump())
        session.add(interview)
        session.flush()
        add_recording(session, interview=interview, staged=staged, key=key, info=info)
        job = create_job(session, kind="transcribe", interview_id=interview.id)
        session.commit()
    session.refresh(interview)
    session.refresh(job)
    return interview, job


def add_transcribed_interview(session: Session, *, study: Study, transcript: Transcript, meta: InterviewMeta,
                              transcript_file: str, created_by: User | None, transcript_sha256: str = "") -> Interview:
    """An interview whose transcript was made elsewhere (a file, a REFI-QDA project): no recording needed.

    Adds the interview, its speakers and segments, flushed but not committed: the caller commits once
    everything it imports is in place, or rolls back and nothing is left half-made. `transcript_sha256`
    is what `find_imported_transcript` looks for to refuse the same transcript twice.
    """
    from workbench.services.transcripts import replace_transcript

    if not transcript.segments:
        raise Unprocessable(f"'{transcript_file}' holds no transcript text.", title="Empty transcript")
    interview = Interview(study_id=study.id, created_by=created_by.id if created_by else None,
                          transcript_file=transcript_file[:255], transcript_sha256=transcript_sha256,
                          **meta.model_dump())
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


def interview_duration(session: Session, interview_id: int) -> float:
    """The recording's length, or for a transcript imported without audio the last time it gives (0 without any)."""
    recording = find_recording(session, interview_id)
    if recording is not None:
        return recording.duration
    times = session.exec(select(TranscriptSegment.start, TranscriptSegment.end)
                         .where(TranscriptSegment.interview_id == interview_id)).all()
    return max((t for pair in times for t in pair if t is not None), default=0.0)


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


STUDY_PAGE_SIZE = 50


@dataclass
class StudyInterviews:
    """One page of a study's interviews as its page lists them (newest first), with their latest jobs."""

    items: list[Interview]
    jobs: dict[int, Job]
    page: int
    pages: int
    total: int  # interviews matching the filters


def study_interview_page(session: Session, *, study_id: int, filters: dict[str, str] | None = None, page: int = 1,
                         per_page: int = STUDY_PAGE_SIZE) -> StudyInterviews:
    """`list_interviews` a page at a time (a page past the end shows the last), each with its latest job."""
    if page < 1:
        raise Unprocessable("Pages are numbered from 1.")
    conditions = [Interview.study_id == study_id]
    for name, value in (filters or {}).items():
        if name in FILTERS and value:
            conditions.append(getattr(Interview, name) == value)
    total = session.exec(select(func.count()).select_from(Interview).where(*conditions)).one()
    pages = max(1, -(-total // per_page))
    page = min(page, pages)
    items = list(session.exec(select(Interview).where(*conditions)
                              .order_by(Interview.interview_date.desc(), Interview.id.desc())
                              .offset((page - 1) * per_page).limit(per_page)))
    return StudyInterviews(items=items, jobs=latest_jobs(session, [i.id for i in items]), page=page, pages=pages,
                           total=total)


def latest_jobs(session: Session, interview_ids: list[int]) -> dict[int, Job]:
    """Each interview's newest job (of any kind), in one query."""
    found: dict[int, Job] = {}
    for job in session.exec(select(Job).where(Job.interview_id.in_(interview_ids or [0])).order_by(Job.id)):
        found[job.interview_id] = job
    return found


def interviews_by_id(session: Session, interview_ids: set[int] | list[int]) -> dict[int, Interview]:
    return {i.id: i for i in session.exec(select(Interview).where(Interview.id.in_(list(interview_ids) or [0])))}


def counts_by_study(session: Session) -> dict[int, int]:
    """How many interviews each study has (studies without any are left out)."""
    return dict(session.exec(select(Interview.study_id, func.count()).group_by(Interview.study_id)).all())


FILTER_OPTIONS = StudyCache(maxsize=16)


def filter_options(session: Session, *, study_id: int) -> dict[str, list[str]]:
    """The distinct values present in a study, for its filter drop-downs (kept until the study's data changes)."""
    found = FILTER_OPTIONS.get_or_build(session, study_id, "filter options",
                                        lambda: _filter_options(session, study_id=study_id))
    return {name: list(values) for name, values in found.items()}


def _filter_options(session: Session, *, study_id: int) -> dict[str, list[str]]:
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


# --- the REST API's listing and deletion ---------------------------------------------------------

PAGE_FILTERS = {"segment": Interview.segment, "region": Interview.region, "product_line": Interview.product_line,
                "journey_stage": Interview.journey_stage, "channel": Interview.channel,
                "account": Interview.account, "interviewer": Interview.interviewer_name}
MAX_PAGE = 200


@dataclass
class InterviewPage:
    """One page of a study's interviews, newest first; `next_cursor` is None on the last page."""

    items: list[Interview]
    next_cursor: str | None
    total: int


def page_interviews(session: Session, *, study_id: int, filters: dict[str, str] | None = None,
                    status: InterviewStatus | None = None, date_from: date | None = None,
                    date_to: date | None = None, limit: int = 50, cursor: str | None = None) -> InterviewPage:
    """A page of the study's interviews matching every filter given (exact metadata values, dates inclusive).

    Pages run by id, newest first; the cursor is the last id of the previous page, so interviews added
    meanwhile never shift a page and none is seen twice. `total` counts every match, not just this page.
    """
    if not 1 <= limit <= MAX_PAGE:
        raise Unprocessable(f"limit must be between 1 and {MAX_PAGE}.")
    conditions = [Interview.study_id == study_id]
    refuse_nul(filters or {})
    for name, value in (filters or {}).items():
        if name not in PAGE_FILTERS:
            raise Unprocessable(f"Unknown filter '{name}'. Filter by: {', '.join(PAGE_FILTERS)}.")
        if value:
            conditions.append(PAGE_FILTERS[name] == value)
    if status is not None:
        conditions.append(Interview.status == status)
    if date_from is not None:
        conditions.append(Interview.interview_date >= date_from)
    if date_to is not None:
        conditions.append(Interview.interview_date <= date_to)
    total = session.exec(select(func.count()).select_from(Interview).where(*conditions)).one()
    query = select(Interview).where(*conditions)
    if cursor is not None:
        query = query.where(Interview.id < _cursor_id(cursor))
    rows = list(session.exec(query.order_by(Interview.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    items = rows[:limit]
    return InterviewPage(items=items, next_cursor=str(items[-1].id) if more else None, total=total)


def interview_counts(session: Session, *, interview_id: int) -> dict[str, int]:
    """How many speakers, transcript segments, coded units and ratings the interview has."""
    return {name: session.exec(select(func.count()).select_from(table)
                               .where(table.interview_id == interview_id)).one()
            for name, table in (("speakers", Speaker), ("segments", TranscriptSegment), ("units", CodedUnit),
                                ("ratings", Rating))}


def _cursor_id(cursor: str) -> int:
    if not (cursor.isascii() and cursor.isdigit()) or int(cursor) >= 2**63:
        raise Unprocessable("The cursor is not one this API gave; use the `next` value of the previous page, "
                            "or leave it out for the first page.")
    return int(cursor)


def delete_interview(session: Session, settings: Settings, *, interview: Interview) -> None:
    """Remove the interview and every trace of it (workbench.services.erasure); all or nothing.

    Refused (409) while one of its jobs runs: the worker would write rows for an interview that is gone.
    The analysts' logged decisions on it go too (the log copies each unit's text).
    """
    from workbench.services.erasure import erase_interviews

    erase_interviews(session, settings, interviews=[interview])


def transcribed_ids(session: Session, *, study_id: int) -> list[int]:
    """Interviews of the study that have a transcript (so they can be coded)."""
    return list(session.exec(select(Interview.id).where(Interview.study_id == study_id,
                                                        Interview.status == InterviewStatus.transcribed)))
