"""Database tables (SQLModel). Every change to them comes with an Alembic migration."""

from __future__ import annotations

import enum
from datetime import date, datetime, timezone

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Role(str, enum.Enum):
    admin = "admin"
    interviewer = "interviewer"
    analyst = "analyst"
    manager = "manager"


class JobStatus(str, enum.Enum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class InterviewStatus(str, enum.Enum):
    queued = "queued"
    processing = "processing"
    transcribed = "transcribed"
    failed = "failed"


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(index=True, unique=True, max_length=254)
    name: str = Field(default="", max_length=200)
    role: Role = Field(default=Role.interviewer)
    password_hash: str
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class ApiToken(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(index=True, unique=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None


class Study(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    language: str = Field(default="auto", max_length=8)  # it, en or auto
    interview_type: str = Field(default="phone", max_length=20)  # phone or focus_group
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class GuideQuestion(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True)
    position: int
    text: str
    kind: str = Field(default="open", max_length=10)  # open or rating
    scale: str | None = Field(default=None, max_length=10)  # nps, csat, ces or custom
    scale_min: int | None = None
    scale_max: int | None = None


class Interview(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True)
    account: str = Field(default="", max_length=200)
    respondent_name: str = Field(default="", max_length=200)
    respondent_role: str = Field(default="", max_length=200)
    segment: str = Field(default="", max_length=100, index=True)
    region: str = Field(default="", max_length=100, index=True)
    product_line: str = Field(default="", max_length=100)
    journey_stage: str = Field(default="", max_length=100, index=True)
    channel: str = Field(default="", max_length=50)
    interview_date: date | None = None
    interviewer_name: str = Field(default="", max_length=200)
    consent_recorded: bool = False
    language: str = Field(default="auto", max_length=8)
    transcript_language: str | None = Field(default=None, max_length=8)
    status: InterviewStatus = Field(default=InterviewStatus.queued, index=True)
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class Recording(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("study_id", "sha256", name="uq_recording_study_sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    interview_id: int = Field(foreign_key="interview.id", unique=True)
    study_id: int = Field(foreign_key="study.id", index=True)
    storage_key: str = Field(max_length=300)
    original_filename: str = Field(default="", max_length=255)
    sha256: str = Field(max_length=64)
    size_bytes: int
    duration: float
    channels: int
    sample_rate: int
    format: str = Field(max_length=50)
    codec: str = Field(default="", max_length=50)


class Speaker(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    interview_id: int = Field(foreign_key="interview.id", index=True)
    label: str = Field(max_length=50)  # as the pipeline named it (SPEAKER_00)
    display_name: str = Field(default="", max_length=200)
    role: str = Field(default="unknown", max_length=20)  # interviewer, respondent, participant, unknown


class TranscriptSegment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    interview_id: int = Field(foreign_key="interview.id", index=True)
    position: int
    start: float
    end: float
    speaker_id: int | None = Field(default=None, foreign_key="speaker.id")
    text: str
    asr_text: str  # what the engine heard, kept so corrections can be learnt from
    words: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    overlap: bool = False  # another speaker talks at the same time
    edited_by: int | None = Field(default=None, foreign_key="user.id")
    edited_at: datetime | None = None


class Job(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    interview_id: int | None = Field(default=None, foreign_key="interview.id", index=True)
    status: JobStatus = Field(default=JobStatus.queued, index=True)
    step: str = Field(default="", max_length=60)
    done: int = 0  # within the current step
    total: int = 0
    progress: float = 0.0  # of the whole job, 0..1
    error: str | None = None
    attempts: int = 0
    worker: str | None = Field(default=None, max_length=120)
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    heartbeat_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.status in (JobStatus.queued, JobStatus.running)
