"""Transcription jobs: an interview's recording to a transcript with speakers, replacing any earlier one."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from workbench import storage
from workbench.jobs.kind import TRANSCRIPTION, JobKind, Progress, Stored
from workbench.models import InterviewStatus, Job
from workbench.services import glossary as glossary_service
from workbench.services import interviews as interview_service
from workbench.services import jobs as job_service
from workbench.services import studies as study_service
from workbench.services.transcripts import replace_transcript
from workbench.settings import Settings

if TYPE_CHECKING:
    from transcription import SpeakerOptions, Transcript
    from transcription.engines import DecodingHints
    from transcription.glossary import Glossary

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


@lru_cache(maxsize=4)
def _engine(name: str, model: str, cache_dir: str, device: str, compute_type: str, beam_size: int, vad: bool,
            threads: int, batch_size: int, vad_threshold: float) -> Any:  # noqa: ANN401 - any engine
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


def build_engine(settings: Settings) -> Any:  # noqa: ANN401 - any engine
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


@dataclass
class TranscriptionInputs:
    interview_id: int
    study_id: int
    recording_key: str
    language: str | None
    speakers: SpeakerOptions
    hints: DecodingHints | None
    glossary: Glossary | None


def _prepare(session: Session, settings: Settings, job: Job) -> TranscriptionInputs:
    from transcription import SpeakerOptions

    interview = interview_service.get_interview(session, job.interview_id)
    recording = interview_service.get_recording(session, interview.id)
    study = study_service.get_study(session, interview.study_id)
    phone = study.interview_type == "phone"
    # the interviewer's count wins; else a phone interview is two voices and a focus
    # group is counted between 2 and the admin's maximum
    count = interview.participants or (2 if phone else None)
    speakers = SpeakerOptions(
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
    usable_hints = (hints.prompt or hints.hotwords) and glossary_service.prompt_is_safe(settings)
    return TranscriptionInputs(interview_id=interview.id, study_id=interview.study_id,
                               recording_key=recording.storage_key, language=language, speakers=speakers,
                               hints=hints if usable_hints else None, glossary=glossary or None)


def _compute(settings: Settings, inputs: TranscriptionInputs, progress: Progress) -> Transcript:
    from transcription import transcribe

    progress("loading model", 0, 1)
    engine = build_engine(settings)
    progress("loading model", 1, 1)
    # removed afterwards, even on failure; held open meanwhile, so a starting worker knows it is in use
    with storage.local_copy(settings, inputs.recording_key) as path, path.open("rb"):
        return transcribe(path, language=inputs.language, engine=engine,
                          max_duration=settings.max_duration_minutes * 60, speakers=inputs.speakers,
                          hints=inputs.hints, glossary=inputs.glossary, progress=progress)


def _store(session: Session, settings: Settings, inputs: TranscriptionInputs, transcript: Transcript) -> Stored:
    interview = interview_service.get_interview(session, inputs.interview_id)
    replace_transcript(session, interview=interview, transcript=transcript)
    if settings.auto_code and transcript.segments:
        return Stored(follow_ups=[job_service.create_job(session, kind="code", interview_id=interview.id,
                                                         study_id=interview.study_id).id])
    return Stored()


def _failed(session: Session, job: Job) -> None:
    interview = interview_service.get_interview(session, job.interview_id)
    interview.status = InterviewStatus.failed
    session.add(interview)


KIND: JobKind[TranscriptionInputs, Transcript] = JobKind(
    name="transcribe", prepare=_prepare, compute=_compute, store=_store, spans=STEP_SPAN, failed=_failed,
    lane=TRANSCRIPTION)
