"""Interviews from transcripts made elsewhere (DOCX, TXT, f4, SRT, WebVTT, CSV), with or without their audio."""

from __future__ import annotations

import hashlib
from pathlib import PurePath

from sqlmodel import Session

from workbench import storage
from workbench.errors import TooLarge, Unprocessable
from workbench.models import Interview, Job, Study, User
from workbench.services import interviews as interview_service
from workbench.services import studies as study_service
from workbench.services.jobs import create_job
from workbench.settings import Settings

MAX_TRANSCRIPT_MB = 20
MAX_TRANSCRIPT_BYTES = MAX_TRANSCRIPT_MB * 1024 * 1024
# a transcript may run on a little past its recording (a closing remark timed at the last second)
DURATION_SLACK_SECONDS = 5.0


def import_transcript(session: Session, settings: Settings, *, study: Study, data: bytes, filename: str,
                      meta: interview_service.InterviewMeta, created_by: User | None,
                      staged_audio: storage.StagedFile | None = None) -> tuple[Interview, list[Job]]:
    """Read the transcript, create its interview (and recording, when the audio comes too) and its coding job.

    All or nothing: a file that cannot be read is a 422 naming its line, a file already imported into the
    study (the same bytes) a 409 naming its interview, and on any failure the rows are rolled back and the
    stored audio removed. The caller enqueues the jobs returned (none when coding after transcription is
    switched off).
    """
    from transcription.errors import TranscriptFileError
    from transcription.transcript_files import read_transcript

    name = PurePath(filename or "").name[:255] or "transcript"
    try:
        if len(data) > MAX_TRANSCRIPT_BYTES:
            raise TooLarge(f"'{name}' is larger than {MAX_TRANSCRIPT_MB} MB, the largest transcript accepted. "
                           "Split it into one file per interview.")
        digest = hashlib.sha256(data).hexdigest()
        existing = interview_service.find_imported_transcript(session, study_id=study.id, sha256=digest)
        if existing is not None:
            raise interview_service.duplicate_transcript_error(existing)
        guide = [q.text for q in study_service.get_guide(session, study.id)]
        try:
            transcript = read_transcript(data, name, guide_questions=guide)
        except TranscriptFileError as exc:
            raise Unprocessable(str(exc), title="Transcript not readable") from None
        transcript.language = _language(meta, study, transcript.text)
    except BaseException:
        if staged_audio is not None:
            staged_audio.discard()
        raise
    info, key, created_file = None, None, False
    if staged_audio is not None:
        info, key, created_file = interview_service.store_recording(session, settings, study=study,
                                                                    staged=staged_audio)
    with interview_service.undone_on_failure(session, settings, study=study, staged=staged_audio, key=key,
                                             created_file=created_file):
        if info is not None and transcript.duration > info.duration + DURATION_SLACK_SECONDS:
            raise Unprocessable(
                f"'{name}' runs to {_clock(transcript.duration)} but the recording "
                f"'{staged_audio.filename}' lasts {_clock(info.duration)}. Check that they belong together, "
                "or import the transcript without the audio.", title="Transcript and recording differ")
        interview = interview_service.add_transcribed_interview(
            session, study=study, transcript=transcript, meta=meta, transcript_file=name, created_by=created_by,
            transcript_sha256=digest)
        if staged_audio is not None and key is not None and info is not None:
            interview_service.add_recording(session, interview=interview, staged=staged_audio, key=key, info=info)
        jobs = [create_job(session, kind="code", interview_id=interview.id, study_id=study.id)] \
            if settings.auto_code else []
        session.commit()
    session.refresh(interview)
    for job in jobs:
        session.refresh(job)
    return interview, jobs


def _language(meta: interview_service.InterviewMeta, study: Study, text: str) -> str:
    """The interview's language, else the study's, else the one the transcript's words are in."""
    for chosen in (meta.language, study.language):
        if chosen and chosen != "auto":
            return chosen
    from coding.language import detect_language

    return detect_language(text)


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
