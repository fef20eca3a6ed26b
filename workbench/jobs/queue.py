"""The job queue, built from settings: Huey on SQLite, on Redis, or inline in memory, one queue a lane.

Jobs go on lanes: transcription on one queue, analysis (coding, retraining, discovery) on another, in the
same backend (two Huey queues in one SQLite file or Redis database). A worker serves the lanes its settings
name (PERCHE_WORKER_LANES, `perche worker --lanes`), so a GPU machine can take only transcriptions.

A queue is built the first time it is asked for, from the settings it is asked for (`create_app` and
`perche worker` ask at start): its tasks run with those settings. Nothing is built at import time.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.api import TaskWrapper
from huey.consumer import Consumer
from sqlmodel import Session

from workbench.db import session_scope
from workbench.jobs import runner
from workbench.services import erasure
from workbench.services import jobs as job_service
from workbench.settings import JOB_LANES, Settings
from workbench.storage import COPY_PREFIX

log = logging.getLogger("perche.jobs")

MEMORY = "memory://"  # PERCHE_QUEUE_URL for jobs run inline as they are queued (tests, one-off scripts)
NO_CONSUMER = (
    "PERCHE_QUEUE_URL=memory:// runs each job inline in the process that queues it, so there is no queue for a "
    "worker to take jobs from. Leave PERCHE_QUEUE_URL empty (a queue in DATA_DIR/queue.db) or set it to "
    "redis://host:6379/0; or, for a one-off trial, run `perche serve --no-worker` to run jobs inline in the web "
    "requests.")


def make_huey(settings: Settings, lane: str) -> Huey:
    """The lane's Huey queue: on Redis for redis:// URLs (their db number included), inline in memory for
    memory://, else on SQLite at DATA_DIR/queue.db (every lane in the same file or Redis database)."""
    name = f"perche-{lane}"
    if settings.queue_url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=settings.queue_url)
    if settings.queue_url.startswith(MEMORY):
        return MemoryHuey(name, immediate=True)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(settings.data_dir / "queue.db"))


class JobQueue:
    """A Huey queue a lane, each with one task running a job of its lane by id with the queue's settings.

    Every lane also has the daily retention task; a worker process schedules it from one lane only, and
    the run itself is claimed in the database, so it runs once a day in the whole installation.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.hueys: dict[str, Huey] = {lane: make_huey(settings, lane) for lane in JOB_LANES}
        self._run_tasks: dict[str, TaskWrapper] = {}
        retention: dict[str, TaskWrapper] = {}
        for lane, huey in self.hueys.items():
            self._run_tasks[lane] = huey.task(name="run_job")(self._runner_of(lane))
            retention[lane] = huey.periodic_task(crontab(hour="3", minute="15"), name="retention")(self._retention)
        self.retention_task = retention[JOB_LANES[0]]

    @property
    def memory(self) -> bool:
        return isinstance(self.hueys[JOB_LANES[0]], MemoryHuey)

    @property
    def immediate(self) -> bool:
        """Whether jobs run inline as they are queued (memory://); tests turn it off to leave them queued."""
        return all(huey.immediate for huey in self.hueys.values())

    @immediate.setter
    def immediate(self, value: bool) -> None:
        for huey in self.hueys.values():
            huey.immediate = value

    def _runner_of(self, lane: str) -> Any:  # noqa: ANN401 - the function Huey wraps
        def run_job(job_id: int) -> None:
            with session_scope(self.settings) as session:
                kind = job_service.kind_of(session, job_id)
            if kind is None:
                log.info("Job %s is gone; skipping", job_id)
                return
            if runner.lane_of(kind) != lane:  # a message on the wrong queue: never run here, sent on
                log.warning("Job %s (%s) came on the %s lane; sending it to its own", job_id, kind, lane)
                self.enqueue([job_id])
                return
            self.enqueue(runner.run(self.settings, job_id))

        return run_job

    def _retention(self) -> None:
        """The retention rule, daily (PERCHE_RETENTION_DAYS; nothing when it is 0); once in the installation."""
        from workbench.services import retention

        retention.run_scheduled(self.settings)

    def enqueue(self, job_ids: list[int]) -> None:
        """Send a message per job (the rows are committed) on its kind's lane; note when, for recovery."""
        if not job_ids:
            return
        with session_scope(self.settings) as session:
            kinds = job_service.mark_enqueued(session, job_ids)
        for job_id in job_ids:
            if job_id in kinds:
                self._run_tasks[runner.lane_of(kinds[job_id])](job_id)


_queues: dict[int, JobQueue] = {}
_queues_lock = threading.Lock()
_KEEP = 64  # queues kept per process (tests build one per test's settings)


def queue_for(settings: Settings) -> JobQueue:
    """The queue built from these settings (these very settings: a copy builds its own)."""
    with _queues_lock:
        queue = _queues.get(id(settings))
        if queue is None or queue.settings is not settings:
            queue = _queues[id(settings)] = JobQueue(settings)
            while len(_queues) > _KEEP:
                del _queues[next(iter(_queues))]
        return queue


def enqueue(settings: Settings, job_ids: Iterable[int]) -> None:
    """Put the jobs (committed rows) on the queue of these settings."""
    queue_for(settings).enqueue(list(job_ids))


def run_job(settings: Settings, job_id: int) -> None:
    """Run a job in this process now, whatever its kind (the CLI's --process); its follow-ups are queued."""
    enqueue(settings, runner.run(settings, job_id))


def recover(settings: Settings) -> list[int]:
    """Queue again the jobs whose worker died or went silent, and queued jobs whose message was lost."""
    with session_scope(settings) as session:
        ids = job_service.recover_jobs(session, stale_after=settings.job_stale_seconds,
                                       requeue_after=settings.job_requeue_seconds)
    enqueue(settings, ids)
    if ids:
        log.info("Queued jobs %s again", ids)
    return ids


def recode_after_correction(session: Session, settings: Settings, *, interview_id: int) -> int | None:
    """Queue coding of an interview after an analyst's correction (routes call this); returns the job id, or None.

    See services.jobs.request_recoding for when a job is made.
    """
    job_id = job_service.request_recoding(session, interview_id=interview_id, settings=settings)
    if job_id is not None:
        enqueue(settings, [job_id])
        session.expire_all()  # the job may already have run (inline queue): read its rows afresh
    return job_id


class LaneConsumer(Consumer):
    """The consumer of one more lane in a worker process: the worker's main consumer handles the signals."""

    def _set_signal_handlers(self) -> None:
        pass


class Worker(Consumer):
    """Huey consumers of a job queue's lanes, with a thread that recovers dead workers' jobs (and their copies).

    The first lane's consumer is this object (it schedules the periodic tasks and, run as `perche worker`,
    handles the signals); each other lane has a LaneConsumer started and stopped with it. Each lane gets
    `workers` threads. Embedded in another program (the web app), it leaves the host's signal handlers alone.
    """

    def __init__(self, queue: JobQueue, *, lanes: tuple[str, ...], embedded: bool, workers: int) -> None:
        if queue.memory:
            raise ValueError(NO_CONSUMER)
        first, *others = lanes
        super().__init__(queue.hueys[first], workers=workers, worker_type="thread", periodic=True)
        self.queue, self.lanes, self.embedded = queue, lanes, embedded
        self.others = [LaneConsumer(queue.hueys[lane], workers=workers, worker_type="thread", periodic=False)
                       for lane in others]
        stale = queue.settings.job_stale_seconds
        self.recovery_every = min(60.0, max(2.0, stale / 2))
        self._recovery = threading.Thread(target=self._recover, daemon=True, name="job-recovery")

    def _recover(self) -> None:
        while not self.stop_flag.wait(self.recovery_every):
            try:
                recover(self.queue.settings)
                remove_leftover_copies(self.queue.settings)
                erasure.retry_pending_deletions(self.queue.settings)  # files an erasure could not delete then
            except Exception:  # the database (or the store) away for a moment: the next round tries again
                log.exception("Recovering jobs failed")

    def start(self) -> None:
        super().start()
        for other in self.others:
            other.start()
        self._recovery.start()

    def stop(self, graceful: bool = False) -> None:
        for other in self.others:
            other.stop(graceful=graceful)
        super().stop(graceful=graceful)

    def check_worker_health(self) -> bool:
        healthy = [other.check_worker_health() for other in self.others]
        return bool(super().check_worker_health()) and all(healthy)

    def _set_signal_handlers(self) -> None:
        if not self.embedded:
            super()._set_signal_handlers()


LEFTOVER_GRACE = 10.0  # seconds: a copy younger than this may be between its download and its first reader


def _open_files() -> set[str] | None:
    """Every file a process of this user holds open (Linux /proc), or None where that cannot be told."""
    proc = Path("/proc")
    if not (proc / "self" / "fd").is_dir():
        return None
    found: set[str] = set()
    for fd_dir in proc.glob("[0-9]*/fd"):
        try:
            for fd in fd_dir.iterdir():
                with contextlib.suppress(OSError):
                    found.add(os.readlink(fd))
        except OSError:  # gone, or another user's
            continue
    return found


def remove_leftover_copies(settings: Settings) -> int:
    """Remove the recordings a killed worker downloaded and left in DATA_DIR/tmp; returns how many.

    A job holds its copy open while it runs, so a copy no process holds open (and older than a few
    seconds) belongs to no running job. Where open files cannot be listed, nothing is removed.
    """
    held = _open_files()
    if held is None:
        return 0
    removed = 0
    for path in (settings.data_dir / "tmp").glob(f"{COPY_PREFIX}*"):  # storage's temporary copies
        with contextlib.suppress(OSError):
            if time.time() - path.stat().st_mtime > LEFTOVER_GRACE and str(path.resolve()) not in held:
                path.unlink()
                removed += 1
    if removed:
        log.info("Removed %s recording cop%s left by a worker that stopped", removed, "y" if removed == 1 else "ies")
    return removed


def start_consumer(settings: Settings, *, embedded: bool, lanes: tuple[str, ...] | None = None) -> Worker:
    """A worker on the queue of these settings, serving `lanes` (else PERCHE_WORKER_LANES), after recovering
    what a dead worker left. ValueError (NO_CONSUMER) for a memory:// queue: it has nothing to consume.

    Embedded (the web app's), it is started here; else the caller runs it (`perche worker`).
    """
    from workbench.jobs.transcription import asr_setup_problem

    lanes = lanes or settings.lanes
    queue = queue_for(settings)
    if queue.memory:
        raise ValueError(NO_CONSUMER)
    settings.ensure_dirs()
    problem = asr_setup_problem(settings) if "transcription" in lanes else None
    if problem:  # `perche worker` refuses to start on it; the web app's embedded worker warns
        log.error("%s Transcription jobs will fail until this is fixed.", problem)
    remove_leftover_copies(settings)
    recover(settings)
    worker = Worker(queue, lanes=lanes, embedded=embedded, workers=settings.workers)
    if embedded:
        worker.start()
    return worker
