"""Scale-out for real: a web app and two workers, as on three machines, one worker killed mid-job.

`perche serve --no-worker` and two `perche worker` processes, each with a data folder of its own, share
a fresh PostgreSQL database, Huey on Redis (database 12) and an S3 store (SeaweedFS). Recordings go
in through the API; one worker is killed with SIGKILL while it transcribes. Every job must end done
once, with one transcript per interview, and no recording may be left on the web app's disk.

The speech engine is tests.fakes:SlowEngine (a few seconds a recording, reporting progress), so the
kill lands mid-job every time; everything else is the real path.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
import pytest
from sqlalchemy import func
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from tests.factories import make_study, make_user, wav_bytes
from tests.s3_server import S3Server
from workbench.db import get_engine, upgrade_database
from workbench.models import CodedUnit, Interview, InterviewStatus, Job, JobStatus, Speaker, TranscriptSegment
from workbench.services import users as user_service
from workbench.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
RECORDINGS = 4
SEGMENTS = 12  # what SlowEngine hears in any recording
REDIS_URL = os.environ.get("PERCHE_TEST_REDIS_URL", "redis://127.0.0.1:6379/12")
SERVER_URL = os.environ.get("PERCHE_TEST_DATABASE_URL", "").strip() or os.environ.get(
    "PG_TEST_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _unreachable(what: str, exc: Exception) -> None:
    message = f"{what} is not reachable ({exc}); the scale-out test needs it."
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def database_url() -> Iterator[str]:
    """A fresh PostgreSQL database on the test server, dropped afterwards."""
    import psycopg

    server = make_url(SERVER_URL)
    if not server.drivername.startswith("postgresql"):
        pytest.skip(f"{SERVER_URL} is not PostgreSQL")
    admin = server.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    name = f"perche_scale_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        _unreachable(f"PostgreSQL at {server.render_as_string()}", exc)
    url = server.set(database=name).render_as_string(hide_password=False)
    yield url
    get_engine(Settings(database_url=url)).dispose()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def queue_url() -> Iterator[str]:
    """Redis database 12, emptied before and after."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.flushdb()
    except redis.exceptions.ConnectionError as exc:
        _unreachable(f"Redis at {REDIS_URL}", exc)
    yield REDIS_URL
    client.flushdb()


@dataclass
class Machine:
    """A `perche` process with its own data folder, as if on a machine of its own."""

    name: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log: IO[bytes]
    killed: bool = False

    @property
    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


def _start(folder: Path, name: str, args: list[str], env: dict[str, str], *, again: bool = False) -> Machine:
    data_dir = folder / name
    data_dir.mkdir(exist_ok=again)
    log = (folder / f"{name}{'-again' if again else ''}.log").open("wb")
    process = subprocess.Popen(  # this interpreter running perche
        [sys.executable, "-m", "workbench.cli", *args], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        env={**env, "PERCHE_DATA_DIR": str(data_dir)}, start_new_session=True)
    return Machine(name=name, data_dir=data_dir, process=process, log=log)


def _wait_for(what: str, predicate: Callable[[], bool], machines: list[Machine], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        for machine in machines:
            if machine.process.poll() is not None and not machine.killed:
                raise AssertionError(f"{machine.name} exited while waiting for {what}:\n{machine.output[-4000:]}")
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {m.name}\n{m.output[-3000:]}" for m in machines)
            raise AssertionError(f"Timed out waiting for {what}.\n{logs}")
        time.sleep(0.2)


def _free_port() -> int:
    import socket

    with socket.socket() as handle:
        handle.bind(("127.0.0.1", 0))
        return handle.getsockname()[1]


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_two_workers_one_killed_mid_job_lose_nothing(tmp_path: Path, database_url: str, queue_url: str,
                                                      s3_server: S3Server) -> None:
    bucket = s3_server.create_bucket()
    settings = Settings(data_dir=tmp_path / "test", database_url=database_url)
    upgrade_database(settings)  # once, before the three processes start
    with Session(get_engine(settings), expire_on_commit=False) as session:
        token = user_service.create_token(session, user=make_user(session, "admin"))
        study_id = make_study(session, name="Scale-out").id

    env = {**os.environ, **s3_server.env(), "PYTHONPATH": str(ROOT), "PERCHE_DATABASE_URL": database_url,
           "PERCHE_QUEUE_URL": queue_url, "PERCHE_STORAGE_URL": s3_server.storage_url(bucket, "perche"),
           "PERCHE_SECRET_KEY": "scale-out-test-key", "PERCHE_ASR_ENGINE": "tests.fakes:SlowEngine",
           "PERCHE_DIARIZATION": "false", "PERCHE_CODING_EMBEDDER": "tests.fakes:FakeEmbedder",
           "PERCHE_WORKERS": "1", "PERCHE_JOB_STALE_SECONDS": "30", "PYANNOTE_METRICS_ENABLED": "0"}
    # 30 s of silence (heartbeats every 6 s) before a job is taken for dead: a loaded machine never loses a
    # healthy job, and the killed worker's job is found at once by its pid when worker-1 starts again.
    env.pop("PERCHE_MODEL_CACHE", None)
    port = _free_port()
    web = _start(tmp_path, "web", ["serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)], env)
    doomed = _start(tmp_path, "worker-1", ["worker"], env)
    survivor = _start(tmp_path, "worker-2", ["worker"], env)
    machines = [web, doomed, survivor]
    base = f"http://127.0.0.1:{port}"
    try:
        def web_up() -> bool:
            try:
                return httpx.get(f"{base}/login", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        _wait_for("the web app", web_up, machines, timeout=90)
        for worker in (doomed, survivor):
            _wait_for(f"{worker.name} to start", lambda w=worker: "worker started" in w.output, machines, timeout=90)

        headers = {"Authorization": f"Bearer {token}"}
        interview_ids = []
        for number in range(RECORDINGS):
            response = httpx.post(f"{base}/api/studies/{study_id}/interviews", headers=headers, timeout=30,
                                  data={"account": f"Account {number}"},
                                  files={"file": (f"call-{number}.wav", wav_bytes(2.0, seed=number), "audio/wav")})
            assert response.status_code == 202, response.text
            interview_ids.append(response.json()["id"])

        engine = get_engine(settings)

        def jobs() -> list[Job]:
            with Session(engine) as session:
                return list(session.exec(select(Job).order_by(Job.id)))

        def transcribing_on_doomed() -> Job | None:
            mark = f":{doomed.process.pid}:"
            return next((j for j in jobs() if j.status == JobStatus.running and j.kind == "transcribe"
                         and mark in (j.worker or "") and j.step == "transcribing" and j.done >= 1), None)

        _wait_for("worker-1 to be mid-transcription", lambda: transcribing_on_doomed() is not None, machines,
                  timeout=60)
        victim = transcribing_on_doomed()
        assert victim is not None
        doomed.killed = True
        doomed.kill()  # a crash, not a shutdown: the job row still says running on a dead worker
        left = [f for f in _files(doomed.data_dir) if f.startswith("tmp/copy-")]
        assert len(left) == 1  # the download the killed job was reading
        # its service manager starts it again
        reborn = _start(tmp_path, doomed.name, ["worker"], env, again=True)
        machines.append(reborn)

        def all_finished() -> bool:
            rows = jobs()
            return len(rows) == 2 * RECORDINGS and all(not j.active for j in rows)

        _wait_for("every job to finish", all_finished, machines, timeout=120)
        # restarted, worker-1 removes the copy the crash left (no process holds it open)
        _wait_for("the crash's copy to go", lambda: not (doomed.data_dir / left[0]).exists(), machines, timeout=60)

        rows = jobs()
        assert [(j.id, j.status, j.error) for j in rows if j.status != JobStatus.done] == []
        for interview_id in interview_ids:  # one transcription and one coding job per interview
            assert sorted(j.kind for j in rows if j.interview_id == interview_id) == ["code", "transcribe"]
        taken_over = next(j for j in rows if j.id == victim.id)
        assert taken_over.attempts == 2 and f":{doomed.process.pid}:" not in taken_over.worker
        assert all(j.attempts == 1 for j in rows if j.id != victim.id)  # nothing else ran twice

        with Session(engine) as session:
            for interview_id in interview_ids:
                interview = session.get(Interview, interview_id)
                assert interview.status == InterviewStatus.transcribed
                segments = session.exec(select(func.count()).select_from(TranscriptSegment)
                                        .where(TranscriptSegment.interview_id == interview_id)).one()
                speakers = session.exec(select(func.count()).select_from(Speaker)
                                        .where(Speaker.interview_id == interview_id)).one()
                assert (segments, speakers) == (SEGMENTS, 2)  # one transcript, not two
                units = session.exec(select(CodedUnit).where(CodedUnit.interview_id == interview_id)).all()
                places = [(u.segment_id, u.start_char, u.end_char) for u in units]
                assert units and len(places) == len(set(places))  # coded once: no unit twice
    finally:
        for machine in machines:
            machine.kill()
            machine.log.close()

    # The recordings are in the store, and nowhere on the web app's disk or in the workers' copies.
    stored = s3_server.keys(bucket, "perche/recordings/")
    assert len(stored) == RECORDINGS
    assert [f for f in _files(web.data_dir) if f.endswith(".wav") or f.startswith(("recordings/", "tmp/"))] == []
    assert [f for f in _files(tmp_path) if f.startswith("worker-") and Path(f).parts[1:2] == ("tmp",)] == []
