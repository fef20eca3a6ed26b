"""Background work: the Huey queue, its tasks, and the job runner that keeps the job row true."""

from __future__ import annotations

import importlib
import logging
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Any, Self

from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer

from workbench import storage
from workbench.db import session_scope
from workbench.models import Interview, InterviewStatus, Job
from workbench.services import glossary as glossary_service
from workbench.services import interviews as interview_service
from workbench.services import jobs as job_service
from workbench.services import studies as study_service
from workbench.services.transcripts import replace_transcript
from workbench.settings import Settings, get_settings

log = logging.getLogger("perche.jobs")

# Share of the whole job each pipeline step covers, so one bar moves steadily across steps.
STEP_SPAN = {
    "starting": (0.0, 0.02),
    "loading model": (0.02, 0.05),
    "decoding": (0.05, 0.1),
    "transcribing": (0.1, 0.9),
    "diarizing": (0.9, 0.97),
    "aligning": (0.97, 0.99),
    "saving": (0.99, 1.0),
}

_settings: Settings | None = None


def configure(settings: Settings) -> None:
    """Point the tasks at these settings (the app and the worker call this)."""
    global _settings
    _settings = settings


def current_settings() -> Settings:
    return _settings or get_settings()


def make_huey(settings: Settings) -> Huey:
    if settings.queue_url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("perche", url=settings.queue_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("perche", filename=str(settings.data_dir / "queue.db"))


huey = make_huey(get_settings())


@huey.task()
def transcribe_task(job_id: int) -> None:
    run_transcription_job(current_settings(), job_id)


@huey.task()
def code_task(job_id: int) -> None:
    from workbench.coding_jobs import run_coding_job

    run_coding_job(current_settings(), job_id)


@huey.task()
def retrain_task(job_id: int) -> None:
    from workbench.coding_jobs import run_retrain_job

    run_retrain_job(current_settings(), job_id)


@huey.task()
def discover_task(job_id: int) -> None:
    from workbench.coding_jobs import run_discovery_job

    run_discovery_job(current_settings(), job_id)


TASKS = {"transcribe": transcribe_task, "code": code_task, "retrain": retrain_task, "discover": discover_task}


def run_job(settings: Settings, job_id: int) -> None:
    """Run a job in this process, whatever its kind (the CLI's --process does this)."""
    with session_scope(settings) as session:
        kind = job_service.get_job(session, job_id).kind
    TASKS[kind].call_local(job_id)


@huey.periodic_task(crontab(minute="*"))
def recover_task() -> None:
    recover(current_settings())


@huey.periodic_task(crontab(hour="3", minute="15"))
def retention_task() -> None:
    """The retention rule, daily (PERCHE_RETENTION_DAYS; nothing when it is 0)."""
    from workbench.services import retention

    retention.run_scheduled(current_settings())


def enqueue(job: Job) -> None:
    task = TASKS.get(job.kind)
    if task is None:
        raise ValueError(f"No task runs jobs of kind {job.kind!r}.")
    task(job.id)


def enqueue_id(job_id: int) -> None:
    with session_scope(current_settings()) as session:
        job = job_service.get_job(session, job_id)
    enqueue(job)


def recover(settings: Settings) -> list[int]:
    """Queue again the jobs whose worker died, and any queued job whose message was lost."""
    with session_scope(settings) as session:
        ids = job_service.recover_jobs(session, stale_after=settings.job_stale_seconds)
        jobs = [job_service.get_job(session, job_id) for job_id in ids]
    for job in jobs:
        enqueue(job)
    if ids:
        log.info("Queued jobs %s again", ids)
    return ids


@lru_cache(maxsize=4)
def _engine(name: str, model: str, cache_dir: str, device: str, compute_type: str, beam_size: int, vad: bool,
            threads: int, batch_size: int, vad_threshold: float) -> Any:
    if ":" in name:
        module, _, attribute = name.partition(":")
        return getattr(importlib.import_module(module), attribute)()
    from transcription import ModelUnavailable, get_engine, prepare_models
    from transcription.model_registry import PACKAGED, device_problem, resolve_model

    problem = device_problem(name, device, compute_type)
    if problem:
        raise ModelUnavailable(_device_message(problem, device))
    cache = Path(cache_dir)
    if name == "openai-whisper":
        checkpoint = None if model == PACKAGED else str(resolve_model(cache, model, engine=name))
        return get_engine(name, checkpoint=checkpoint, cache_dir=cache, device=device, beam_size=beam_size,
                          threads=threads)
    model_dir = str(prepare_models(cache) if model == PACKAGED else resolve_model(cache, model, engine=name))
    return get_engine(name, model_dir=model_dir, device=device, compute_type=compute_type, beam_size=beam_size,
                      vad_filter=vad, cpu_threads=threads, batch_size=batch_size, vad_threshold=vad_threshold)


def _device_message(problem: str, device: str) -> str:
    fix = ("Set PERCHE_ASR_DEVICE=cpu, or run this worker where an NVIDIA GPU and its driver are installed."
           if device == "cuda" else "Choose another PERCHE_ASR_COMPUTE_TYPE, or leave it empty.")
    return f"Speech recognition cannot start: {problem}. {fix}"


def build_engine(settings: Settings) -> Any:
    """The configured speech engine, loaded once per process (refused when the device or model is unusable)."""
    return _engine(settings.asr_engine, settings.asr_model, str(settings.resolved_model_cache),
                   settings.asr_device, settings.resolved_compute_type, settings.asr_beam_size, settings.asr_vad,
                   settings.asr_threads, settings.asr_batch_size, settings.asr_vad_threshold)


def asr_setup_problem(settings: Settings) -> str | None:
    """What would stop transcription jobs on this machine (device, compute type, selected model), or None.

    Cheap (no model is loaded): workers check it at start and `perche models` reports it.
    """
    if ":" in settings.asr_engine:
        return None
    from transcription import ModelUnavailable
    from transcription.model_registry import PACKAGED, device_problem, resolve_model

    problem = device_problem(settings.asr_engine, settings.asr_device, settings.resolved_compute_type)
    if problem:
        return _device_message(problem, settings.asr_device)
    if settings.asr_model != PACKAGED:
        try:
            resolve_model(settings.resolved_model_cache, settings.asr_model, engine=settings.asr_engine)
        except ModelUnavailable as exc:
            return str(exc)
    return None


class ProgressReporter:
    """The progress protocol's callable: writes step, counts and overall fraction to the job row."""

    def __init__(self, settings: Settings, job_id: int, min_interval: float = 0.5) -> None:
        self.settings, self.job_id, self.min_interval = settings, job_id, min_interval
        self._last_write = 0.0
        self._last_step = ""
        self.fraction = 0.0

    def __call__(self, step: str, completed: int, total: int) -> None:
        low, high = STEP_SPAN.get(step, (self.fraction, self.fraction))
        share = min(max(completed / total, 0.0), 1.0) if total else 0.0
        self.fraction = max(self.fraction, low + (high - low) * share)
        now = time.monotonic()
        if step == self._last_step and now - self._last_write < self.min_interval and completed < total:
            return
        self._last_step, self._last_write = step, now
        with session_scope(self.settings) as session:
            job_service.report_progress(session, job_id=self.job_id, step=step, done=completed, total=total,
                                        progress=round(self.fraction, 4))


class Heartbeat:
    """Touches the job row while a long step reports nothing, so the job is not taken for dead."""

    def __init__(self, settings: Settings, job_id: int, every: float) -> None:
        self.settings, self.job_id, self.every = settings, job_id, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"heartbeat-{job_id}")

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            with session_scope(self.settings) as session:
                job_service.heartbeat(session, job_id=self.job_id)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()


def _user_message(exc: Exception) -> str:
    from coding.errors import CodingError
    from transcription import TranscriptionError

    if isinstance(exc, (TranscriptionError, CodingError)):
        return str(exc)
    return f"Processing failed unexpectedly ({type(exc).__name__}: {exc}). Retry the job; if it fails again, tell an admin."


def run_transcription_job(settings: Settings, job_id: int) -> None:
    """Transcribe an interview's recording and store the transcript, replacing any earlier one."""
    from transcription import SpeakerOptions, transcribe

    with session_scope(settings) as session:
        if not job_service.claim_job(session, job_id=job_id, stale_after=settings.job_stale_seconds):
            log.info("Job %s is taken or finished; skipping", job_id)
            return
        job = job_service.get_job(session, job_id)
        interview = interview_service.get_interview(session, job.interview_id)
        recording = interview_service.get_recording(session, interview.id)
        study = study_service.get_study(session, interview.study_id)
        phone = study.interview_type == "phone"
        # the interviewer's count wins; else a phone interview is two voices and a focus
        # group is counted between 2 and the admin's maximum
        count = interview.participants or (2 if phone else None)
        speaker_options = SpeakerOptions(
            diarize=settings.diarization,
            num_speakers=count,
            min_speakers=None if count else 2,
            max_speakers=None if count else settings.max_speakers,
            guide_questions=tuple(q.text for q in study_service.get_guide(session, study.id)),
        )
        chosen = interview.language if interview.language != "auto" else study.language
        language = None if chosen == "auto" else chosen
        hints, glossary = glossary_service.hints_for_interview(session, interview=interview, language=language)
        interview.status = InterviewStatus.processing
        session.add(interview)
        session.commit()
    progress = ProgressReporter(settings, job_id)
    try:
        with Heartbeat(settings, job_id, every=max(5.0, settings.job_stale_seconds / 5)):
            progress("loading model", 0, 1)
            engine = build_engine(settings)
            progress("loading model", 1, 1)
            transcript = transcribe(
                storage.path_of(settings, recording.storage_key),
                language=language,
                engine=engine,
                max_duration=settings.max_duration_minutes * 60,
                speakers=speaker_options,
                hints=hints if (hints.prompt or hints.hotwords) and glossary_service.prompt_is_safe(settings)
                else None,
                glossary=glossary or None,
                progress=progress,
            )
            progress("saving", 0, 1)
        with session_scope(settings) as session:
            job = job_service.get_job(session, job_id)
            if job.worker != job_service.worker_id():
                log.warning("Job %s was taken over by %s; dropping this result", job_id, job.worker)
                return
            interview = session.get(Interview, interview.id)
            replace_transcript(session, interview=interview, transcript=transcript)
            job_service.mark_done(session, job=job)
            follow_up = None
            if settings.auto_code and transcript.segments:
                follow_up = job_service.create_job(session, kind="code", interview_id=interview.id,
                                                   study_id=interview.study_id)
            session.commit()
            follow_up_id = follow_up.id if follow_up else None
        if follow_up_id is not None:
            enqueue_id(follow_up_id)
    except Exception as exc:
        log.exception("Job %s failed", job_id)
        with session_scope(settings) as session:
            job_service.mark_failed(session, job_id=job_id, error=_user_message(exc))
            interview = session.get(Interview, interview.id)
            interview.status = InterviewStatus.failed
            session.add(interview)
            session.commit()


class EmbeddedConsumer(Consumer):
    """A Huey consumer living inside another program: it leaves the host's signal handlers alone."""

    def _set_signal_handlers(self) -> None:
        pass


def start_consumer(settings: Settings, *, embedded: bool) -> Consumer:
    configure(settings)
    settings.ensure_dirs()
    problem = asr_setup_problem(settings)
    if problem:  # `perche worker` refuses to start on it; the web app's embedded worker warns
        log.error("%s Transcription jobs will fail until this is fixed.", problem)
    recover(settings)
    consumer_class = EmbeddedConsumer if embedded else Consumer
    consumer = consumer_class(huey, workers=settings.workers, worker_type="thread", periodic=True)
    if embedded:
        consumer.start()
    return consumer
