"""Jobs as rows: claimed atomically, progress and heartbeat stored, stale ones recovered."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, select

from workbench.errors import NotFound
from workbench.models import Job, JobStatus, utcnow


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def create_job(session: Session, *, kind: str, interview_id: int | None, study_id: int | None = None) -> Job:
    """A queued job row (the caller commits, then enqueues the message)."""
    job = Job(kind=kind, interview_id=interview_id, study_id=study_id)
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"There is no job #{job_id}.")
    return job


def latest_job(session: Session, *, interview_id: int, kind: str | None = None) -> Job | None:
    query = select(Job).where(Job.interview_id == interview_id)
    if kind is not None:
        query = query.where(Job.kind == kind)
    return session.exec(query.order_by(Job.id.desc())).first()


def latest_study_job(session: Session, *, study_id: int, kind: str) -> Job | None:
    return session.exec(
        select(Job).where(Job.study_id == study_id, Job.kind == kind).order_by(Job.id.desc())
    ).first()


def active_job(session: Session, *, kind: str, interview_id: int | None = None, study_id: int | None = None) -> Job | None:
    """A queued or running job of this kind for the same interview or study, if there is one."""
    query = select(Job).where(Job.kind == kind, Job.status.in_([JobStatus.queued, JobStatus.running]))
    if interview_id is not None:
        query = query.where(Job.interview_id == interview_id)
    if study_id is not None:
        query = query.where(Job.study_id == study_id)
    return session.exec(query.order_by(Job.id.desc())).first()


def queued_job(session: Session, *, kind: str, interview_id: int) -> Job | None:
    """A job of this kind for the interview that no worker has started yet, if there is one."""
    return session.exec(select(Job).where(Job.kind == kind, Job.interview_id == interview_id,
                                          Job.status == JobStatus.queued).order_by(Job.id.desc())).first()


def coding_status(session: Session, *, interview_id: int) -> str | None:
    """Where coding the interview stands: queued, running, done or failed; None when it was never coded.

    `done` only once the interview's last coding job finished. A transcription newer than the last
    coding job makes the coding pending (queued): its units belong to a transcript being replaced.
    """
    coding = latest_job(session, interview_id=interview_id, kind="code")
    transcribing = latest_job(session, interview_id=interview_id, kind="transcribe")
    if transcribing is not None and transcribing.active and (coding is None or transcribing.id > coding.id):
        return JobStatus.queued.value if coding is not None else None
    return coding.status.value if coding is not None else None


def claim_job(session: Session, *, job_id: int, stale_after: int) -> bool:
    """Take the job for this worker if it is queued, or running on a worker that went silent.

    The update is conditional, so two workers given the same message cannot both run it.
    """
    now = utcnow()
    stale = now - timedelta(seconds=stale_after)
    result = session.execute(
        update(Job)
        .where(Job.id == job_id)
        .where(or_(Job.status == JobStatus.queued,
                   (Job.status == JobStatus.running) & (Job.heartbeat_at < stale)))
        .values(status=JobStatus.running, worker=worker_id(), attempts=Job.attempts + 1,
                started_at=now, heartbeat_at=now, error=None, step="starting", done=0, total=0, progress=0.0)
    )
    session.commit()
    return result.rowcount == 1


def report_progress(session: Session, *, job_id: int, step: str, done: int, total: int, progress: float) -> None:
    session.execute(
        update(Job).where(Job.id == job_id, Job.worker == worker_id())
        .values(step=step[:60], done=done, total=total, progress=progress, heartbeat_at=utcnow())
    )
    session.commit()


def heartbeat(session: Session, *, job_id: int) -> None:
    session.execute(update(Job).where(Job.id == job_id, Job.worker == worker_id()).values(heartbeat_at=utcnow()))
    session.commit()


def mark_done(session: Session, *, job: Job) -> None:
    """Flag the job done inside the caller's transaction (with the stage's output)."""
    job.status = JobStatus.done
    job.step = "done"
    job.progress = 1.0
    job.finished_at = utcnow()
    session.add(job)


def mark_failed(session: Session, *, job_id: int, error: str) -> None:
    session.execute(
        update(Job).where(Job.id == job_id)
        .values(status=JobStatus.failed, error=error[:2000], finished_at=utcnow(), step="failed")
    )
    session.commit()


def _process_alive(worker: str | None) -> bool:
    """Whether a worker on this host is still alive; workers elsewhere are judged by heartbeat."""
    if not worker or ":" not in worker:
        return False
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname():
        return True
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError):
        return False
    except PermissionError:
        return True
    return True


def recover_jobs(session: Session, *, stale_after: int) -> list[int]:
    """Jobs to (re-)enqueue: queued ones, and running ones whose worker died or went silent.

    Re-enqueueing a job whose message is still in the queue is harmless: claim_job lets one run it.
    """
    stale = utcnow() - timedelta(seconds=stale_after)
    ids = []
    for job in session.exec(select(Job).where(Job.status.in_([JobStatus.queued, JobStatus.running]))):
        if job.status == JobStatus.running:
            dead = not _process_alive(job.worker) or (job.heartbeat_at is not None and job.heartbeat_at < stale)
            if not dead:
                continue
            job.status = JobStatus.queued
            job.step = "queued again after the worker stopped"
            session.add(job)
        ids.append(job.id)
    session.commit()
    return ids
