"""Database tables (SQLModel). Every change to them comes with an Alembic migration."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class Role(enum.StrEnum):
    admin = "admin"
    interviewer = "interviewer"
    analyst = "analyst"
    manager = "manager"


class JobStatus(enum.StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class InterviewStatus(enum.StrEnum):
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
    # raised by "sign out everywhere" and by a password or role change: older session cookies stop working
    session_version: int = 0
    is_demo: bool = False  # made by `perche demo`; refused at sign-in when PERCHE_ENV=production
    created_at: datetime = Field(default_factory=utcnow)


class ApiToken(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(index=True, unique=True, max_length=64)
    name: str = Field(default="", max_length=100)  # what the token is for, shown in listings
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None  # written at most once an hour per token, not on every request


class Study(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    language: str = Field(default="auto", max_length=8)  # it, en or auto
    interview_type: str = Field(default="phone", max_length=20)  # phone or focus_group
    # personal data (names, phone numbers, IBANs…) shown as typed placeholders to roles without view_personal_data
    redact_personal_data: bool = False
    # names, products and places, each {"canonical": str, "variants": [str]}: they feed
    # decoding and fix their own spelling in transcripts (transcription.glossary)
    glossary: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # raised with every change to the study's data (workbench.services.revisions): cached pages key on it
    data_version: int = 0
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
    # everyone who speaks in the recording, interviewer or moderator included; when given,
    # diarization looks for exactly that many voices (a focus group's participants)
    participants: int | None = None
    language: str = Field(default="auto", max_length=8)
    transcript_language: str | None = Field(default=None, max_length=8)
    # the file an imported transcript came from (DOCX, SRT, a REFI-QDA project…); empty when Perché transcribed it
    transcript_file: str = Field(default="", max_length=255)
    # sha256 of the imported transcript (the file, or a REFI-QDA source's text), to refuse importing it twice
    transcript_sha256: str = Field(default="", max_length=64, index=True)
    # its codes came from another QDA tool (a REFI-QDA project): the model never re-codes it
    coded_elsewhere: bool = False
    recording_erased_at: datetime | None = None  # the retention rule deleted its recording
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
    start: float | None = None  # None only in a transcript imported from a file without timestamps
    end: float | None = None
    speaker_id: int | None = Field(default=None, foreign_key="speaker.id")
    text: str
    asr_text: str  # what the engine heard, kept so corrections can be learnt from
    words: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    overlap: bool = False  # another speaker talks at the same time
    edited_by: int | None = Field(default=None, foreign_key="user.id")
    edited_at: datetime | None = None


class Job(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)  # transcribe, code (an interview); retrain, discover (a study)
    interview_id: int | None = Field(default=None, foreign_key="interview.id", index=True)
    study_id: int | None = Field(default=None, foreign_key="study.id", index=True)
    status: JobStatus = Field(default=JobStatus.queued, index=True)
    step: str = Field(default="", max_length=60)
    done: int = 0  # within the current step
    total: int = 0
    progress: float = 0.0  # of the whole job, 0..1
    error: str | None = None
    attempts: int = 0
    worker: str | None = Field(default=None, max_length=120)
    created_at: datetime = Field(default_factory=utcnow)
    enqueued_at: datetime | None = None  # when its message was last put on the queue (recovery's clock)
    started_at: datetime | None = None
    heartbeat_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.status in (JobStatus.queued, JobStatus.running)


# --- Coding: codebook, coded units, the analyst's decisions, ratings, theme proposals ---------------

class Code(SQLModel, table=True):
    """A code of a study's codebook; `path` is hierarchical (delivery/late-shipments)."""

    __table_args__ = (UniqueConstraint("study_id", "path"),)
    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True)
    path: str = Field(max_length=200)
    name: str = Field(max_length=200)
    description: str = ""
    examples: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    translations: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    origin: str = Field(default="manual", max_length=20)  # starter, manual, import, discovery
    created_at: datetime = Field(default_factory=utcnow)


class CodedUnit(SQLModel, table=True):
    """A codable piece of a respondent's answer: offsets into its segment plus a copy of the quote."""

    id: int | None = Field(default=None, primary_key=True)
    interview_id: int = Field(foreign_key="interview.id", index=True)
    segment_id: int | None = Field(default=None, foreign_key="transcriptsegment.id")
    speaker_id: int | None = Field(default=None, foreign_key="speaker.id")
    question_id: int | None = Field(default=None, foreign_key="guidequestion.id")
    position: int
    start_char: int
    end_char: int
    text: str
    start: float | None = None
    end: float | None = None
    language: str = Field(default="en", max_length=8)
    sentiment: str | None = Field(default=None, max_length=10)  # positive, negative, neutral, mixed
    sentiment_score: float | None = None
    reason: str | None = None
    reason_marker: str | None = Field(default=None, max_length=40)
    reason_explicit: bool = True
    confidence: float = 1.0  # the model's least sure decision on this unit: the review queue's order
    reviewed_by: int | None = Field(default=None, foreign_key="user.id")
    reviewed_at: datetime | None = None


class UnitCode(SQLModel, table=True):
    """A code on a unit, suggested by the model or set by an analyst."""

    __table_args__ = (UniqueConstraint("unit_id", "code_id"),)
    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="codedunit.id", index=True)
    code_id: int = Field(foreign_key="code.id", index=True)
    confidence: float = 1.0
    sentiment: str | None = Field(default=None, max_length=10)
    source: str = Field(default="model", max_length=10)  # model or analyst
    status: str = Field(default="suggested", max_length=10)  # suggested, accepted, rejected
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = None


class CodingEvent(SQLModel, table=True):
    """Append-only log of every analyst decision; the training data of the study's classifier."""

    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True)
    interview_id: int | None = Field(default=None, foreign_key="interview.id", index=True)
    unit_id: int | None = None  # units are replaced when an interview is coded again; text keeps the link
    unit_text: str
    user_id: int | None = Field(default=None, foreign_key="user.id")
    action: str = Field(max_length=10)  # accept, reject, recode, add
    old_code: str | None = Field(default=None, max_length=200)
    new_code: str | None = Field(default=None, max_length=200)
    sentiment: str | None = Field(default=None, max_length=10)
    created_at: datetime = Field(default_factory=utcnow)


class Rating(SQLModel, table=True):
    """A rating a respondent said aloud ("direi un otto"), or one an analyst typed.

    One row per interview and guide question (or, for a rating heard outside any rating
    question, per scale); an analyst's row wins over the model's for the same slot.
    """

    __table_args__ = (UniqueConstraint("interview_id", "question_id", "scale", name="uq_rating_slot"),)
    id: int | None = Field(default=None, primary_key=True)
    interview_id: int = Field(foreign_key="interview.id", index=True)
    question_id: int | None = Field(default=None, foreign_key="guidequestion.id")
    unit_id: int | None = None
    value: float
    scale: str = Field(default="nps", max_length=10)
    scale_min: float = 0
    scale_max: float = 10
    quote: str = ""
    source: str = Field(default="model", max_length=10)


class ThemeProposal(SQLModel, table=True):
    """A theme discovery found in a study's units, waiting for an analyst to accept or dismiss it."""

    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True)
    label: str = Field(max_length=200)
    keyphrases: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    unit_ids: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    examples: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="proposed", max_length=10)  # proposed, accepted, dismissed
    code_id: int | None = Field(default=None, foreign_key="code.id")
    created_at: datetime = Field(default_factory=utcnow)


class StudyClassifier(SQLModel, table=True):
    """The study's classifier, fitted on analyst decisions by a retrain job; the file is in storage."""

    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True, unique=True)
    storage_key: str = Field(max_length=300)
    examples: int = 0
    codes: int = 0
    metrics: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    trained_at: datetime = Field(default_factory=utcnow)
    # its training data held text of an erased interview: not used until retrained without it
    stale: bool = False


# --- Stories and the close-the-loop list -------------------------------------------------------

class StoryRecord(SQLModel, table=True):
    """A customer story as an analyst edited it; managers see it once approved.

    `data` is storytelling's Story (to_dict) with the analyst's text and quote choices;
    `account` is set for account stories (several respondents of one company).
    """

    __tablename__ = "story"
    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True)
    interview_id: int | None = Field(default=None, foreign_key="interview.id", index=True)
    account: str | None = Field(default=None, max_length=200)
    language: str = Field(default="en", max_length=8)
    data: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    pinned_quote_ids: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="draft", max_length=10)  # draft or approved
    edited_by: int | None = Field(default=None, foreign_key="user.id")
    edited_at: datetime | None = None
    approved_by: int | None = Field(default=None, foreign_key="user.id")
    approved_at: datetime | None = None


class LoopStatus(SQLModel, table=True):
    """Where following up a detractor or at-risk account stands: open, contacted, resolved."""

    id: int | None = Field(default=None, primary_key=True)
    interview_id: int = Field(foreign_key="interview.id", unique=True, index=True)
    status: str = Field(default="open", max_length=10)
    note: str = ""
    updated_by: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utcnow)


# --- Personal data, audit and sign-in ----------------------------------------------------------

class PiiSpan(SQLModel, table=True):
    """A piece of personal data in a transcript line: found by the detector or marked by an analyst.

    `status` "redacted" shows it as a typed placeholder to roles without view_personal_data; "kept" is
    an over-redaction an analyst undid. Offsets are into the segment's current text.
    """

    id: int | None = Field(default=None, primary_key=True)
    interview_id: int = Field(foreign_key="interview.id", index=True)
    segment_id: int = Field(foreign_key="transcriptsegment.id", index=True)
    start_char: int
    end_char: int
    entity: str = Field(max_length=20)  # PERSON, EMAIL, PHONE, IBAN, FISCAL_CODE, VAT, ADDRESS, BIRTH_DATE
    score: float = 1.0
    source: str = Field(default="detector", max_length=10)  # detector or analyst
    status: str = Field(default="redacted", max_length=10)  # redacted or kept
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = None


class AuditEvent(SQLModel, table=True):
    """Append-only: who viewed, downloaded, exported, changed, deleted or redacted what, and when.

    The user's e-mail and the study id are copied (no foreign keys), so the record outlives an erasure.
    """

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    user_id: int | None = Field(default=None, index=True)
    user_email: str = Field(default="", max_length=254)
    action: str = Field(max_length=40, index=True)  # e.g. transcript.view, audio.download, export, user.role
    study_id: int | None = Field(default=None, index=True)
    target: str = Field(default="", max_length=200)  # e.g. interview:12, user:3, token:7
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    address: str = Field(default="", max_length=64)  # the client's IP address, when over HTTP


class LoginFailure(SQLModel, table=True):
    """A failed sign-in, for throttling per account and per address (old rows are pruned)."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, index=True)
    address: str = Field(default="", max_length=64, index=True)
    at: datetime = Field(default_factory=utcnow, index=True)


class ClusterMark(SQLModel, table=True):
    """A mark every process of the installation reads and moves with a conditional update (a row a name).

    - `erasures`: `counter` raised by each erasure or retention run that removed text; a process compares it
      with what its embedding-cache folder last saw and clears its caches when it moved;
    - `retention`: `day` of the last daily retention run claimed, so one worker runs it a day.
    """

    name: str = Field(primary_key=True, max_length=40)
    counter: int = 0
    day: date | None = None
    changed_at: datetime = Field(default_factory=utcnow)


class PendingDeletion(SQLModel, table=True):
    """A stored file an erasure (or retention run, or retrain) removed the rows of, to delete from the store.

    Written in the transaction that removes the rows, deleted once the file is gone: when the store is
    unavailable at the time, the workers' recovery rounds, `perche retention` and `perche erase` try again.
    """

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)  # recordings or artefacts (storage.Kind)
    storage_key: str = Field(max_length=300)
    created_at: datetime = Field(default_factory=utcnow)
    attempts: int = 0
    last_error: str = Field(default="", max_length=500)
