"""Job lanes: transcription and analysis on queues of their own, so a GPU machine can take only transcriptions.

Real queues (Huey on SQLite, and on Redis database 13) with workers started in this process: a worker
serving one lane never runs a job of the other, even when a message lands on its queue by mistake.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlmodel import Session

from tests.factories import make_interview, make_study
from workbench import jobs, storage
from workbench.jobs import queue as job_queue
from workbench.models import Job, JobStatus
from workbench.services import jobs as job_service
from workbench.settings import Settings

REDIS_URL = os.environ.get("PERCHE_TEST_REDIS_LANES_URL", "redis://127.0.0.1:6379/13")


def _wait_for(what: str, predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture(params=["sqlite", "redis"])
def queue_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A real queue: Huey's SQLite file in the data folder, or Redis database 13 (emptied before and after)."""
    if request.param == "sqlite":
        yield ""
        return
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.flushdb()
    except redis.exceptions.ConnectionError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis at {REDIS_URL} is not reachable ({exc})")
        pytest.skip(f"Redis at {REDIS_URL} is not reachable ({exc})")
    yield REDIS_URL
    client.flushdb()


def _threads(worker: job_queue.Worker) -> set[str]:
    """The worker ids (host:pid:thread) the consumer's threads claim jobs as."""
    prefix = job_service.worker_id().rsplit(":", 1)[0]
    return {f"{prefix}:{thread.native_id}" for _impl, thread in worker.worker_threads}


def test_a_worker_runs_only_the_jobs_of_its_lanes(session: Session, settings: Settings, queue_url: str) -> None:
    queued = settings.model_copy(update={"queue_url": queue_url})
    queue = jobs.queue_for(queued)
    interview, transcription = make_interview(session, settings, make_study(session))

    def job(job_id: int) -> Job:
        session.expire_all()
        found = session.get(Job, job_id)
        assert found is not None
        return found

    def pending(lane: str) -> int:
        return int(queue.hueys[lane].pending_count())

    transcribers = jobs.start_consumer(queued, embedded=True, lanes=("transcription",))
    analysts: job_queue.Worker | None = None
    try:
        jobs.enqueue(queued, [transcription.id])
        _wait_for("the transcription", lambda: job(transcription.id).status == JobStatus.done)
        assert job(transcription.id).worker in _threads(transcribers)
        coding = job_service.latest_job(session, interview_id=interview.id, kind="code")
        assert coding is not None and coding.status == JobStatus.queued
        # the follow-up is enqueued just after the done-commit becomes visible: it waits on its lane
        _wait_for("the follow-up's message", lambda: (pending("transcription"), pending("analysis")) == (0, 1))

        # A coding message on the transcription lane (sent there by mistake) is passed on, not run.
        queue._run_tasks["transcription"](coding.id)
        _wait_for("the message to move", lambda: (pending("transcription"), pending("analysis")) == (0, 2))
        assert job(coding.id).status == JobStatus.queued and job(coding.id).attempts == 0

        analysts = jobs.start_consumer(queued, embedded=True, lanes=("analysis",))
        _wait_for("the coding", lambda: job(coding.id).status == JobStatus.done)
        assert job(coding.id).worker in _threads(analysts) and job(coding.id).attempts == 1

        # And the other way round: the analysis worker passes a transcription on to the transcribers.
        again = job(transcription.id)
        again.status = JobStatus.queued
        session.add(again)
        session.commit()
        transcribers.stop(graceful=True)
        queue._run_tasks["analysis"](transcription.id)
        _wait_for("the message to move", lambda: (pending("transcription"), pending("analysis")) == (1, 0))
        assert job(transcription.id).status == JobStatus.queued and job(transcription.id).attempts == 1
    finally:
        transcribers.stop(graceful=True)
        if analysts is not None:
            analysts.stop(graceful=True)


def test_one_worker_serves_both_lanes_by_default(session: Session, settings: Settings) -> None:
    queued = settings.model_copy(update={"queue_url": ""})
    assert queued.lanes == ("transcription", "analysis")
    interview, transcription = make_interview(session, settings, make_study(session))
    worker = jobs.start_consumer(queued, embedded=True)
    try:
        assert worker.lanes == ("transcription", "analysis") and len(worker.others) == 1
        assert worker.periodic and not worker.others[0].periodic  # the daily task is scheduled once a process
        jobs.enqueue(queued, [transcription.id])

        def coded() -> bool:
            session.expire_all()
            job = job_service.latest_job(session, interview_id=interview.id, kind="code")
            return job is not None and job.status == JobStatus.done

        _wait_for("the transcription and its coding", coded)
    finally:
        worker.stop(graceful=True)


def test_recovery_sends_each_job_to_its_lane(session: Session, settings: Settings) -> None:
    queued = settings.model_copy(update={"queue_url": ""})
    queue = jobs.queue_for(queued)
    interview, transcription = make_interview(session, settings, make_study(session))
    coding = job_service.create_job(session, kind="code", interview_id=interview.id, study_id=interview.study_id)
    session.commit()
    for job in (transcription, coding):  # their workers died mid-job
        job.status, job.worker = JobStatus.running, f"{job_service.machine_id()}:999999:1"
        session.add(job)
    session.commit()
    assert sorted(jobs.recover(queued)) == sorted([transcription.id, coding.id])
    assert queue.hueys["transcription"].pending_count() == 1 and queue.hueys["analysis"].pending_count() == 1


def test_lanes_are_chosen_by_setting_or_option(cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from workbench.settings import get_settings

    started: list[tuple[str, ...]] = []

    class Consumer:
        def __init__(self, lanes: tuple[str, ...]) -> None:
            started.append(lanes)

        def run(self) -> None:
            pass

    monkeypatch.setattr(jobs, "start_consumer", lambda settings, *, embedded, lanes: Consumer(lanes))
    monkeypatch.setenv("PERCHE_QUEUE_URL", "")
    # A speech model this machine does not have: only a worker serving transcription refuses to start.
    monkeypatch.setenv("PERCHE_ASR_ENGINE", "faster-whisper")
    monkeypatch.setenv("PERCHE_FASTER_WHISPER_MODEL", "large-v3")
    monkeypatch.setenv("PERCHE_MODEL_CACHE", str(tmp_path / "no-models"))
    assert jobs.asr_setup_problem(Settings()) is not None

    refused = cli("worker")
    assert refused.exit_code == 1 and started == []
    assert cli("worker", "--lanes", "analysis").exit_code == 0 and started == [("analysis",)]
    monkeypatch.setenv("PERCHE_WORKER_LANES", "analysis")
    get_settings.cache_clear()
    assert cli("worker").exit_code == 0 and started[-1] == ("analysis",)
    assert cli("worker", "--lanes", "transcription").exit_code == 1 and len(started) == 2

    wrong = cli("worker", "--lanes", "gpu")
    assert wrong.exit_code == 2 and "transcription, analysis" in " ".join(wrong.output.split())
    with pytest.raises(ValueError, match="names no lane"):
        Settings(worker_lanes="transcription,gpu")


def test_a_memory_queue_has_no_worker_and_says_so(cli, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="no queue for a worker"):
        jobs.start_consumer(settings, embedded=True)  # the test settings queue on memory://
    monkeypatch.setenv("PERCHE_QUEUE_URL", jobs.MEMORY)
    for command in (["worker"], ["serve", "--port", "1"]):
        result = cli(*command)
        text = " ".join(result.output.split())
        assert result.exit_code == 1 and "no queue for a worker to take jobs from" in text, result.output
        assert "perche serve --no-worker" in text


def test_leftover_copies_are_found_by_the_storage_prefix(settings: Settings) -> None:
    tmp = settings.data_dir / "tmp"
    left = tmp / f"{storage.COPY_PREFIX}abc.wav"
    other = tmp / "upload-abc.wav"
    for path in (left, other):
        path.write_bytes(b"audio")
        os.utime(path, (time.time() - 3600, time.time() - 3600))
    assert job_queue.remove_leftover_copies(settings) == 1
    assert not left.exists() and other.exists()
