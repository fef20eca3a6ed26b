"""Jobs are rows: claimed once by one worker thread, idempotent, and recovered after a crash."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from tests.factories import make_interview, make_study
from workbench import jobs, storage
from workbench.db import session_scope
from workbench.jobs import coding as coding_jobs
from workbench.jobs.kind import Progress
from workbench.models import Interview, InterviewStatus, Job, JobStatus, Speaker, TranscriptSegment, utcnow
from workbench.services import interviews as interview_service
from workbench.services import jobs as job_service

ROOT = Path(__file__).resolve().parents[2]


def _interview_with_job(session, settings, seed=0):
    return make_interview(session, settings, make_study(session), {"account": "Acme"}, seed=seed)


def test_running_a_job_twice_replaces_its_output(session, settings):
    interview, job = _interview_with_job(session, settings)
    jobs.run_job(settings, job.id)
    first = session.exec(select(TranscriptSegment)).all()
    # A second message for a finished job does nothing.
    jobs.run_job(settings, job.id)
    assert len(session.exec(select(TranscriptSegment)).all()) == len(first) == 4
    # Re-queued on purpose, it runs again and replaces its own output only.
    session.refresh(job)
    job.status = JobStatus.queued
    session.add(job)
    session.commit()
    jobs.run_job(settings, job.id)
    session.expire_all()
    assert len(session.exec(select(TranscriptSegment)).all()) == 4
    assert len(session.exec(select(Speaker)).all()) == 2
    assert session.get(Job, job.id).attempts == 2
    assert session.get(Interview, interview.id).status == InterviewStatus.transcribed


def test_only_one_worker_claims_a_job(session, settings):
    _, job = _interview_with_job(session, settings)
    assert job_service.claim_job(session, job_id=job.id, stale_after=60)
    assert not job_service.claim_job(session, job_id=job.id, stale_after=60)


def test_a_failing_job_says_why(session, settings):
    interview, job = _interview_with_job(session, settings)
    recording = interview_service.get_recording(session, interview.id)
    storage.path_of(settings, recording.storage_key).write_bytes(b"overwritten with junk" * 100)
    jobs.run_job(settings, job.id)
    session.expire_all()
    failed = session.get(Job, job.id)
    assert failed.status == JobStatus.failed and failed.error
    assert session.get(Interview, interview.id).status == InterviewStatus.failed


def test_jobs_of_a_dead_worker_are_queued_again(session, settings):
    _, job = _interview_with_job(session, settings)
    job.status, job.worker = JobStatus.running, f"{job_service.machine_id()}:999999:1"
    session.add(job)
    session.commit()
    assert job_service.recover_jobs(session, stale_after=300, requeue_after=3600) == [job.id]
    session.refresh(job)
    assert job.status == JobStatus.queued


def test_jobs_of_a_live_worker_are_left_alone(session, settings):
    _, job = _interview_with_job(session, settings)
    assert job_service.claim_job(session, job_id=job.id, stale_after=300)  # this process, alive
    assert job_service.recover_jobs(session, stale_after=300, requeue_after=3600) == []


def _finish_meanwhile(settings, job_id, change):
    """An engine hook: right after recovery reads the jobs, another worker changes this one (its own connection)."""
    from sqlalchemy import event, update

    from workbench.db import get_engine

    engine = get_engine(settings)

    def after(conn, cursor, statement, parameters, context, executemany):
        reading = statement.lstrip().upper().startswith("SELECT") and "JOB.STATUS IN" in statement.upper()
        if reading and not fired:
            fired.append(True)
            with engine.connect() as other:
                other.execute(update(Job).where(Job.id == job_id).values(**change))
                other.commit()

    fired: list[bool] = []
    event.listen(engine, "after_cursor_execute", after)
    return lambda: event.remove(engine, "after_cursor_execute", after)


def test_recovery_leaves_a_job_that_finished_after_it_was_read(session, settings):
    _, job = _interview_with_job(session, settings)
    job.status, job.worker = JobStatus.running, f"{job_service.machine_id()}:999999:1"  # a dead worker's
    session.add(job)
    session.commit()
    undo = _finish_meanwhile(settings, job.id, {"status": JobStatus.done, "step": "done"})
    try:
        assert job_service.recover_jobs(session, stale_after=300, requeue_after=3600) == []
    finally:
        undo()
    session.expire_all()
    assert session.get(Job, job.id).status == JobStatus.done  # not put back in the queue


def test_recovery_leaves_a_job_claimed_after_it_was_read(session, settings):
    _, job = _interview_with_job(session, settings)
    job.enqueued_at = utcnow() - timedelta(hours=2)  # its message looks lost
    session.add(job)
    session.commit()
    undo = _finish_meanwhile(settings, job.id, {"status": JobStatus.running, "worker": "other~1:1:1",
                                                "heartbeat_at": utcnow()})
    try:
        assert job_service.recover_jobs(session, stale_after=300, requeue_after=3600) == []
    finally:
        undo()
    session.expire_all()
    assert session.get(Job, job.id).status == JobStatus.running


def test_a_job_on_another_machine_is_judged_by_its_heartbeat_on_the_database_clock(session, settings):
    _, job = _interview_with_job(session, settings)
    # Same host name, another PID namespace or boot: the pid cannot be checked from here.
    elsewhere = f"{job_service.machine_id().split('~')[0]}~0123456789:1:1"
    now = job_service.database_now(session)
    job.status, job.worker, job.heartbeat_at = JobStatus.running, elsewhere, now - timedelta(seconds=30)
    session.add(job)
    session.commit()
    assert job_service.recover_jobs(session, stale_after=300, requeue_after=3600) == []  # fresh: alive
    assert not job_service.claim_job(session, job_id=job.id, stale_after=300)
    session.refresh(job)
    job.heartbeat_at = now - timedelta(seconds=600)
    session.add(job)
    session.commit()
    assert job_service.claim_job(session, job_id=job.id, stale_after=300)  # silent too long: taken over
    session.refresh(job)
    assert job.worker == job_service.worker_id() and job.attempts == 1
    job.worker, job.heartbeat_at = elsewhere, now - timedelta(seconds=600)
    session.add(job)
    session.commit()
    assert job_service.recover_jobs(session, stale_after=300, requeue_after=3600) == [job.id]


def test_the_worker_id_names_the_machine_by_boot_and_pid_namespace(settings):
    machine = job_service.machine_id()
    assert ":" not in machine and "~" in machine
    assert job_service.worker_id().startswith(f"{machine}:{os.getpid()}:")


def test_only_jobs_that_waited_past_the_threshold_are_queued_again(session, settings):
    _, waiting = _interview_with_job(session, settings)
    _, lost = _interview_with_job(session, settings, seed=1)
    waiting.enqueued_at = utcnow() - timedelta(minutes=10)  # its turn has not come yet
    lost.enqueued_at = utcnow() - timedelta(hours=2)  # its message is gone
    session.add_all([waiting, lost])
    session.commit()
    assert job_service.recover_jobs(session, stale_after=300, requeue_after=3600) == [lost.id]
    jobs.enqueue(settings, [lost.id])  # what recovery does next: the clock starts again
    session.expire_all()
    assert utcnow() - session.get(Job, lost.id).enqueued_at < timedelta(minutes=1)
    assert job_service.recover_jobs(session, stale_after=300, requeue_after=3600) == []


def test_each_thread_is_a_worker_of_its_own(session, settings):
    _, job = _interview_with_job(session, settings)
    ids = []
    thread = threading.Thread(target=lambda: ids.append(job_service.worker_id()))
    thread.start()
    thread.join()
    assert ids[0] != job_service.worker_id() and ids[0].rsplit(":", 1)[0] == job_service.worker_id().rsplit(":", 1)[0]
    # another thread of this process holds the job: this one may neither report on it nor finish it
    assert job_service.claim_job(session, job_id=job.id, stale_after=300, worker=ids[0])
    job_service.heartbeat(session, job_id=job.id, worker=job_service.worker_id())
    assert not job_service.finish(session, job_id=job.id, worker=job_service.worker_id())
    session.rollback()
    assert job_service.finish(session, job_id=job.id, worker=ids[0])
    session.commit()
    session.expire_all()
    assert session.get(Job, job.id).status == JobStatus.done


class TakenOverEngine:
    """Transcribes, but meanwhile another worker takes the running job over (as after a long stall)."""

    name = "taken-over"
    settings = None

    def transcribe(self, audio, *, language, progress=None, hints=None):
        from tests.fakes import canned_segments

        with session_scope(TakenOverEngine.settings) as session:
            for job in session.exec(select(Job).where(Job.status == JobStatus.running)):
                job.worker = "elsewhere:1:1"
                session.add(job)
            session.commit()
        return "en", canned_segments(len(audio) / 16000)


def test_a_job_taken_over_meanwhile_keeps_the_other_workers_result(session, settings):
    _interview, job = _interview_with_job(session, settings)
    TakenOverEngine.settings = settings
    jobs.run_job(settings.model_copy(update={"asr_engine": f"{__name__}:TakenOverEngine"}), job.id)
    session.expire_all()
    row = session.get(Job, job.id)
    assert row.status == JobStatus.running and row.worker == "elsewhere:1:1"  # still theirs to finish
    assert session.exec(select(TranscriptSegment)).all() == []  # nothing stored by the worker that lost it


def test_the_bar_moves_while_an_interview_is_coded(session, settings):
    interview, job = _interview_with_job(session, settings)
    jobs.run_job(settings, job.id)  # transcribed, then coded inline
    coding = job_service.latest_job(session, interview_id=interview.id, kind="code")
    assert coding.status == JobStatus.done and coding.progress == 1.0
    coding.status = JobStatus.queued
    session.add(coding)
    session.commit()
    worker = job_service.worker_id()
    assert job_service.claim_job(session, job_id=coding.id, stale_after=300, worker=worker)
    progress = Progress(settings, coding.id, worker, coding_jobs.STEP_SPAN, min_interval=0)
    seen = []
    for stage in range(7):  # code_transcript reports ("coding", 0..6, 6)
        progress("coding", stage, 6)
        session.expire_all()
        seen.append(session.get(Job, coding.id).progress)
    assert seen == sorted(seen) and len(set(seen)) == 7 and 0.05 < seen[0] and seen[-1] < 0.9


def _start_worker(settings, log):
    env = {**os.environ, "PERCHE_DATA_DIR": str(settings.data_dir), "PERCHE_DATABASE_URL": settings.database_url,
           "PERCHE_QUEUE_URL": "", "PERCHE_ASR_ENGINE": "tests.fakes:SlowEngine", "PYTHONPATH": str(ROOT),
           "PERCHE_JOB_STALE_SECONDS": "60"}
    return subprocess.Popen([sys.executable, "-m", "workbench.cli", "worker"], env=env, cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_a_job_survives_a_killed_worker(session, settings, tmp_path):
    interview, job = _interview_with_job(session, settings)
    log = (tmp_path / "worker.log").open("w")

    def job_row():
        session.expire_all()
        return session.get(Job, job.id)

    jobs.enqueue(settings.model_copy(update={"queue_url": ""}), [job.id])  # on the worker's queue (SQLite)
    worker = _start_worker(settings, log)
    try:
        # Progress counts seconds of audio (2 s here): one second in is mid-job.
        assert _wait_for(lambda: job_row().step == "transcribing" and job_row().done >= 1), \
            (tmp_path / "worker.log").read_text()
        os.killpg(worker.pid, signal.SIGKILL)  # a crash, not a shutdown
        worker.wait(10)
        assert job_row().status == JobStatus.running
        worker = _start_worker(settings, log)
        assert _wait_for(lambda: job_row().status == JobStatus.done, timeout=90), \
            (tmp_path / "worker.log").read_text()
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
        log.close()
    finished = job_row()
    assert finished.attempts == 2 and finished.progress == 1.0
    segments = session.exec(select(TranscriptSegment).where(TranscriptSegment.interview_id == interview.id)).all()
    assert len(segments) == 12  # once, not twice


def test_both_speech_engines_can_be_configured(settings):
    from workbench.settings import Settings

    for name in ("faster-whisper", "openai-whisper"):
        engine = jobs.build_engine(Settings(data_dir=settings.data_dir, asr_engine=name,
                                            model_cache=settings.resolved_model_cache))
        assert engine.name == name


def test_coding_status_follows_the_last_coding_job(session, settings):
    interview, _ = _interview_with_job(session, settings)
    assert job_service.coding_status(session, interview_id=interview.id) is None  # never coded
    first = job_service.create_job(session, kind="code", interview_id=interview.id, study_id=interview.study_id)
    session.commit()
    assert job_service.coding_status(session, interview_id=interview.id) == "queued"
    assert job_service.queued_job(session, kind="code", interview_id=interview.id).id == first.id
    assert job_service.claim_job(session, job_id=first.id, stale_after=600)
    session.refresh(first)
    assert job_service.coding_status(session, interview_id=interview.id) == "running"
    assert job_service.queued_job(session, kind="code", interview_id=interview.id) is None
    assert job_service.finish(session, job_id=first.id, worker=job_service.worker_id())
    session.commit()
    assert job_service.coding_status(session, interview_id=interview.id) == "done"
    second = job_service.create_job(session, kind="code", interview_id=interview.id, study_id=interview.study_id)
    session.commit()
    assert job_service.coding_status(session, interview_id=interview.id) == "queued"  # done only once the last is
    job_service.mark_failed(session, job_id=second.id, error="broken")
    assert job_service.coding_status(session, interview_id=interview.id) == "failed"
    # Transcribing again makes the coding pending: its units belong to the transcript being replaced.
    job_service.create_job(session, kind="transcribe", interview_id=interview.id, study_id=interview.study_id)
    session.commit()
    assert job_service.coding_status(session, interview_id=interview.id) == "queued"
