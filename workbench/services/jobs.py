"""Jobs as rows: claimed atomically by one worker thread, progress and heartbeat stored, stale ones recovered."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy import func, or_, update
from sqlmodel import Session, select

from workbench.errors import NotFound
from workbench.models import CodedUnit, Interview, Job, JobStatus, utcnow
from workbench.services import coding as coding_service
from workbench.services import transcripts as transcript_service
from workbench.settings import Settings

MIN_DECISIONS_PER_CODE = 5  # a code is learnt from the analysts once they decided on this many of its units


@lru_cache(maxsize=1)
def machine_id() -> str:
    """This machine as worker ids name it: the host name and a short hash of the boot and the PID namespace.

    Containers may share a host name while each has its own process ids, and a machine that rebooted
    reuses them: a pid means something only where both the boot (/proc/sys/kernel/random/boot_id) and
    the PID namespace (/proc/self/ns/pid) are the same. No colons (worker ids are split on them).
    """
    marks = []
    for source in (Path("/proc/sys/kernel/random/boot_id"), Path("/proc/self/ns/pid")):
        try:
            marks.append(source.read_text().strip() if source.is_file() and not source.is_symlink()
                         else str(os.stat(source).st_ino))
        except OSError:
            marks.append("")
    digest = hashlib.sha256("|".join(marks).encode()).hexdigest()[:10]
    return f"{socket.gethostname().replace(':', '_')}~{digest}"


def worker_id() -> str:
    """This thread of this process on this machine (machine:pid:thread), the owner a claimed job records."""
    return f"{machine_id()}:{os.getpid()}:{threading.get_native_id()}"


def database_now(session: Session) -> datetime:
    """The database's clock (UTC): every worker's heartbeat and staleness is judged by this one clock,
    not by each machine's own."""
    if session.get_bind().dialect.name == "sqlite":
        text = session.execute(select(func.strftime("%Y-%m-%d %H:%M:%f", "now"))).scalar_one()
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    value = session.execute(select(func.clock_timestamp())).scalar_one()
    return value.astimezone(UTC)


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


def active_job(session: Session, *, kind: str, interview_id: int | None = None,
               study_id: int | None = None) -> Job | None:
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


def claim_job(session: Session, *, job_id: int, stale_after: int, worker: str | None = None) -> bool:
    """Take the job for this worker thread if it is queued, or running on a worker that went silent.

    The update is conditional, so two workers given the same message cannot both run it. Times come
    from the database's clock.
    """
    now = database_now(session)
    stale = now - timedelta(seconds=stale_after)
    result = session.execute(
        update(Job)
        .where(Job.id == job_id)
        .where(or_(Job.status == JobStatus.queued,
                   (Job.status == JobStatus.running) & (Job.heartbeat_at < stale)))
        .values(status=JobStatus.running, worker=worker or worker_id(), attempts=Job.attempts + 1,
                started_at=now, heartbeat_at=now, error=None, step="starting", done=0, total=0, progress=0.0)
    )
    session.commit()
    return result.rowcount == 1


def report_progress(session: Session, *, job_id: int, worker: str, step: str, done: int, total: int,
                    progress: float) -> None:
    session.execute(
        update(Job).where(Job.id == job_id, Job.worker == worker)
        .values(step=step[:60], done=done, total=total, progress=progress, heartbeat_at=database_now(session))
    )
    session.commit()


def heartbeat(session: Session, *, job_id: int, worker: str) -> None:
    session.execute(update(Job).where(Job.id == job_id, Job.worker == worker)
                    .values(heartbeat_at=database_now(session)))
    session.commit()


def finish(session: Session, *, job_id: int, worker: str) -> bool:
    """Flag the job done inside the caller's transaction, if this worker still holds it.

    Called before the job's output is written: False means another worker took the job over (or it
    ended), and the caller rolls back. The update is conditional, so a job ends done once.
    """
    result = session.execute(
        update(Job).where(Job.id == job_id, Job.worker == worker, Job.status == JobStatus.running)
        .values(status=JobStatus.done, step="done", progress=1.0, finished_at=utcnow())
    )
    return result.rowcount == 1


def mark_failed(session: Session, *, job_id: int, error: str, worker: str | None = None) -> None:
    """Flag the job failed with a message for the user; with `worker`, only while that worker holds it."""
    query = update(Job).where(Job.id == job_id)
    if worker is not None:
        query = query.where(Job.worker == worker, Job.status == JobStatus.running)
    session.execute(query.values(status=JobStatus.failed, error=error[:2000], finished_at=utcnow(), step="failed"))
    session.commit()


def mark_enqueued(session: Session, job_ids: list[int]) -> dict[int, str]:
    """Note when the jobs' messages were put on the queue (recovery's clock); returns each job's kind
    (a job no longer there is left out: it has nothing to run)."""
    if not job_ids:
        return {}
    session.execute(update(Job).where(Job.id.in_(job_ids)).values(enqueued_at=database_now(session)))
    kinds = {job_id: kind for job_id, kind in session.execute(select(Job.id, Job.kind).where(Job.id.in_(job_ids)))}
    session.commit()
    return kinds


def kind_of(session: Session, job_id: int) -> str | None:
    """The job's kind, or None when the job is gone (erased with its interview)."""
    return session.exec(select(Job.kind).where(Job.id == job_id)).first()


def _process_alive(worker: str | None) -> bool:
    """Whether a worker of this machine (same boot, same PID namespace) is still alive; a worker whose id
    names another machine (or an id from before machine ids) cannot be seen from here: it is judged by
    its heartbeat alone."""
    parts = (worker or "").split(":")
    if len(parts) not in (2, 3):  # machine:pid:thread, or host:pid before worker ids named threads
        return False
    host, pid = parts[0], parts[1]
    if host != machine_id():
        return True
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError):
        return False
    except PermissionError:
        return True
    return True


def recover_jobs(session: Session, *, stale_after: int, requeue_after: int) -> list[int]:
    """Jobs to enqueue again: running ones whose worker died or went silent, and queued ones whose message
    was sent more than `requeue_after` seconds ago (a message lost with the queue, or never sent).

    A queued job still waiting its turn in a queue longer than `requeue_after` gets another message too
    (whether its first is still in the queue is not looked up); that is harmless, as claim_job lets one
    message run it and the others find it taken or done.

    Each job is put back by a conditional update (the same status, worker, heartbeat or message time as
    read), so a job that finished, was claimed or was recovered by another worker meanwhile is left as
    it is and not returned. Times come from the database's clock.
    """
    now = database_now(session)
    stale = now - timedelta(seconds=stale_after)
    waited = now - timedelta(seconds=requeue_after)
    ids = []
    rows = session.exec(select(Job.id, Job.status, Job.worker, Job.heartbeat_at, Job.enqueued_at, Job.created_at)
                        .where(Job.status.in_([JobStatus.queued, JobStatus.running])).order_by(Job.id)).all()
    session.commit()  # end the reading transaction: each update below stands on its own
    for job_id, status, worker, heartbeat_at, enqueued_at, created_at in rows:
        query = update(Job).where(Job.id == job_id, Job.status == status)
        if status == JobStatus.running:
            dead = not _process_alive(worker) or (heartbeat_at is not None and heartbeat_at < stale)
            if not dead:
                continue
            query = query.where(Job.worker == worker if worker is not None else Job.worker.is_(None),
                                Job.heartbeat_at == heartbeat_at if heartbeat_at is not None
                                else Job.heartbeat_at.is_(None))
            query = query.values(status=JobStatus.queued, step="queued again after the worker stopped")
        else:
            if (enqueued_at or created_at) >= waited:
                continue
            query = query.where(Job.enqueued_at == enqueued_at if enqueued_at is not None
                                else Job.enqueued_at.is_(None)).values(enqueued_at=now)
        if session.execute(query).rowcount == 1:
            ids.append(job_id)
        session.commit()
    return ids


# --- which jobs to create --------------------------------------------------------------------------

def request_recoding(session: Session, *, interview_id: int, settings: Settings) -> int | None:
    """Queue coding of an interview after an analyst's correction; returns the job id to enqueue, or None.

    Several corrections in a row make one job: when a coding job of the interview is still queued it will
    read the corrected transcript, so none is added. A running one read the old text, so one is queued
    after it. An interview that was never coded is coded only when coding after transcription is on.
    """
    interview = session.get(Interview, interview_id)
    if interview is None or interview.coded_elsewhere \
            or not transcript_service.segments_of(session, interview_id=interview_id):
        return None
    latest = latest_job(session, interview_id=interview_id, kind="code")
    if latest is None and not settings.auto_code:
        return None
    if queued_job(session, kind="code", interview_id=interview_id) is not None:
        return None
    job = create_job(session, kind="code", interview_id=interview_id, study_id=interview.study_id)
    session.commit()
    return job.id


def queue_coding(session: Session, *, interview_ids: list[int], study_id: int) -> list[int]:
    """Create coding jobs (skipping interviews whose coding is still queued); the caller enqueues the ids returned.

    An interview being coded right now gets a job after it: the running one read the old inputs.
    Interviews coded in another QDA tool (imported from a REFI-QDA project) keep their codes: the
    model never re-codes them.
    """
    ids = []
    elsewhere = set(session.exec(select(Interview.id).where(Interview.id.in_(interview_ids),
                                                            Interview.coded_elsewhere)))
    for interview_id in interview_ids:
        if interview_id in elsewhere:
            continue
        if queued_job(session, kind="code", interview_id=interview_id) is None:
            ids.append(create_job(session, kind="code", interview_id=interview_id, study_id=study_id).id)
    session.commit()
    return ids


def queue_recoding_of_coded(session: Session, *, study_id: int) -> list[int]:
    """Coding jobs for the study's interviews that have units (after a retrain); the caller commits and enqueues."""
    coded = session.exec(select(Interview.id).where(Interview.study_id == study_id)
                         .where(Interview.id.in_(select(CodedUnit.interview_id)))).all()
    return [create_job(session, kind="code", interview_id=i, study_id=study_id).id
            for i in coded if queued_job(session, kind="code", interview_id=i) is None]


def retrain_refusal(session: Session, *, study_id: int) -> str | None:
    """Why the study's classifier cannot be retrained yet (what the analysts still need to do), or None."""
    counts = coding_service.decisions_per_code(session, study_id=study_id)
    best = max(counts.values(), default=0)
    if best >= MIN_DECISIONS_PER_CODE:
        return None
    if not counts:
        return (f"No code has analyst decisions yet; review at least {MIN_DECISIONS_PER_CODE} units of one code "
                "(accept, reject or recode it) in the review queue, then retrain.")
    leader = max(counts, key=lambda path: (counts[path], path))
    return (f"The most reviewed code, '{leader}', has {best} analyst decision{'' if best == 1 else 's'}; "
            f"review at least {MIN_DECISIONS_PER_CODE} units of one code (accept, reject or recode it) in the "
            "review queue, then retrain. Codes with fewer decisions keep being coded from the codebook.")
