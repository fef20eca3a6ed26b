"""The one job runner: claim, heartbeat, compute without a session, takeover check, store, done or failed."""

from __future__ import annotations

import logging
import threading
from types import TracebackType
from typing import Any, Self

from workbench.db import session_scope
from workbench.jobs import coding, discovery, retrain, transcription
from workbench.jobs.kind import ANALYSIS, JobKind, Progress, user_message
from workbench.models import JobStatus
from workbench.services import jobs as job_service
from workbench.services import marks
from workbench.settings import Settings

log = logging.getLogger("perche.jobs")

KINDS: dict[str, JobKind[Any, Any]] = {kind.name: kind for kind in (
    transcription.KIND, coding.KIND, retrain.KIND, discovery.KIND)}


def lane_of(kind: str) -> str:
    """The lane (queue) a kind of job goes on; an unknown kind goes on analysis (its worker fails it)."""
    known = KINDS.get(kind)
    return known.lane if known is not None else ANALYSIS


class Heartbeat:
    """Touches the job row while a long step reports nothing, so the job is not taken for dead."""

    def __init__(self, settings: Settings, job_id: int, worker: str) -> None:
        self.settings, self.job_id, self.worker = settings, job_id, worker
        self.every = max(2.0, settings.job_stale_seconds / 5)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"heartbeat-{job_id}")

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                with session_scope(self.settings) as session:
                    job_service.heartbeat(session, job_id=self.job_id, worker=self.worker)
            except Exception:  # a database hiccup: the next beat tries again
                log.exception("Heartbeat of job %s failed", self.job_id)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._stop.set()


def run(settings: Settings, job_id: int) -> list[int]:
    """Run the job in this thread if it can be claimed; returns the follow-up jobs to enqueue.

    A job taken over by another worker while this one computed keeps the other's result: this one
    is dropped. A failure at any step marks the job failed with a message for the user.
    """
    worker = job_service.worker_id()
    with session_scope(settings) as session:
        if not job_service.claim_job(session, job_id=job_id, stale_after=settings.job_stale_seconds, worker=worker):
            log.info("Job %s is taken or finished; skipping", job_id)
            return []
        job = job_service.get_job(session, job_id)
        kind = KINDS.get(job.kind)
        if kind is None:  # a message from a newer (or older) version: fail it rather than hold it forever
            log.error("Job %s is of an unknown kind %r; failing it", job_id, job.kind)
            job_service.mark_failed(session, job_id=job_id, worker=worker,
                                    error=f"This version of Perché cannot run jobs of kind '{job.kind}'. Run it on "
                                          "a worker of the version that queued it, or delete the job.")
            return []
        # read before prepare catches up with erasures: compared again once the job is over (below)
        erasures_seen = marks.erasures_so_far(session) if kind.lane == ANALYSIS else None
        try:
            inputs = kind.prepare(session, settings, job)
        except Exception as exc:
            log.exception("Job %s could not start", job_id)
            session.rollback()
            _fail(settings, kind, job_id, worker, exc)
            return []
    progress = Progress(settings, job_id, worker, kind.spans)
    try:
        return _compute_and_store(settings, kind, job_id, worker, inputs, progress)
    finally:
        if erasures_seen is not None:
            _purge_if_erased_meanwhile(settings, erasures_seen)


def _purge_if_erased_meanwhile(settings: Settings, seen: int) -> None:
    """An erasure while the job embedded: a sibling thread may have cleared the caches before this job wrote
    vectors of the erased text into them; clear them again."""
    from workbench.services.erasure import purge_if_erased_since

    try:
        if purge_if_erased_since(settings, seen):
            log.info("An erasure happened while a job embedded; this machine's embedding caches were cleared again")
    except Exception:  # the database away: the next job's catch-up compares the counts again
        log.exception("Checking for erasures after a job failed")


def _compute_and_store(settings: Settings, kind: JobKind[Any, Any], job_id: int, worker: str, inputs: object,
                       progress: Progress) -> list[int]:
    try:
        with Heartbeat(settings, job_id, worker):
            progress("starting", 1, 1)
            result = kind.compute(settings, inputs, progress)
            progress("saving", 0, 1)
        with session_scope(settings) as session:
            if not job_service.finish(session, job_id=job_id, worker=worker):
                session.rollback()
                log.warning("Job %s was taken over by another worker; dropping this result", job_id)
                return []
            stored = kind.store(session, settings, inputs, result)
            session.commit()
    except Exception as exc:
        log.exception("Job %s failed", job_id)
        _fail(settings, kind, job_id, worker, exc)
        return []
    if stored.unused_artefacts:
        from workbench.services.erasure import remove_files

        with session_scope(settings) as session:  # unless another study's classifier is the same bytes
            remove_files(session, settings, recording_keys=[], classifier_keys=stored.unused_artefacts)
    return stored.follow_ups


def _fail(settings: Settings, kind: JobKind[Any, Any], job_id: int, worker: str, exc: Exception) -> None:
    with session_scope(settings) as session:
        job = job_service.get_job(session, job_id)
        if job.worker != worker or job.status != JobStatus.running:
            log.warning("Job %s failed here after another worker took it over; leaving it to them", job_id)
            return
        if kind.failed is not None:
            kind.failed(session, job)
        job_service.mark_failed(session, job_id=job_id, error=user_message(exc), worker=worker)
