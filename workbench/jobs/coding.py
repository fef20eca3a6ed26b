"""Coding jobs: an interview's transcript to units, themes, sentiment, reasons and ratings, and personal data found."""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from workbench import storage
from workbench.jobs.kind import JobKind, Progress, Stored
from workbench.models import Job
from workbench.services import codebook as codebook_service
from workbench.services import coding as coding_service
from workbench.services import erasure as erasure_service
from workbench.services import interviews as interview_service
from workbench.services import proposals as proposal_service
from workbench.services import redaction as redaction_service
from workbench.services import studies as study_service
from workbench.services import transcripts as transcript_service
from workbench.settings import Settings

if TYPE_CHECKING:
    from coding.codebook import Codebook
    from coding.pipeline import CodedTranscript, GuideItem, TranscriptTurn
    from coding.schema import SpokenRating, Unit
    from workbench.models import TranscriptSegment
    from workbench.services.redaction import DetectionInput

log = logging.getLogger(__name__)

# Share of the whole job each step covers (the pipeline reports "coding" in stages).
STEP_SPAN = {
    "starting": (0.0, 0.02),
    "loading model": (0.02, 0.1),
    "coding": (0.1, 0.85),
    "finding personal data": (0.85, 0.98),
    "saving": (0.98, 1.0),
}
Pieces = dict[str, list[tuple[int, int, int, int]]]


@lru_cache(maxsize=2)
def _embedder(name: str, cache_dir: str, cache_days: float) -> Any:  # noqa: ANN401 - any embedder
    if ":" in name:
        module, _, attribute = name.partition(":")
        return getattr(importlib.import_module(module), attribute)()
    from coding.embeddings import get_embedder

    return get_embedder(cache_dir or None, max_age_days=cache_days)


def build_embedder(settings: Settings) -> Any:  # noqa: ANN401 - any embedder
    """The configured sentence embedder, loaded once per process, in front of this machine's disk cache."""
    cache_dir = str(settings.embedding_cache_dir) if settings.embedding_cache_days > 0 else ""
    return _embedder(settings.coding_embedder, cache_dir, settings.embedding_cache_days)


def load_coder(settings: Settings, *, codebook: Codebook, classifier_key: str | None, embedder: Any) -> Any:  # noqa: ANN401
    """The study's trained classifier when there is one, else zero-shot from its codebook."""
    from coding.classify import SupervisedCoder, ZeroShotCoder

    if classifier_key is not None:
        try:
            with storage.artefact_local_copy(settings, classifier_key) as path:
                return SupervisedCoder.load(path, embedder=embedder)
        except storage.StorageUnavailable:
            raise  # the store is away, not the file: fail the job (retried later), never code zero-shot
        except Exception:  # a missing, corrupt or outdated file: fall back, the retrain job will replace it
            log.exception("Could not load the classifier %s; coding zero-shot", classifier_key)
    return ZeroShotCoder(codebook, embedder=embedder)


def speaker_turns(segments: list[TranscriptSegment], labels: dict[int, str]) -> tuple[list[TranscriptTurn], Pieces]:
    """Consecutive segments of one speaker joined into a turn, so a sentence cut by Whisper is one unit.

    Returns the turns and, per turn id, its pieces (segment id, offset in the turn's text, length,
    leading spaces of the segment's own text).
    Word timings are kept only when no segment of the turn was corrected by hand.
    """
    from coding.pipeline import TranscriptTurn

    turns: list[TranscriptTurn] = []
    pieces: Pieces = {}
    for seg in segments:
        speaker = labels.get(seg.speaker_id)
        text = seg.text.strip()
        if not text:
            continue
        words = list(seg.words) if seg.text == seg.asr_text and seg.words else None
        last = turns[-1] if turns else None
        untimed = seg.start is None or last is None or last.end is None
        gap = 0.0 if untimed else seg.start - last.end
        if last is not None and last.speaker == speaker and gap < 2.0:
            offset = len(last.text) + 1
            last.text = f"{last.text} {text}"
            last.end = seg.end if seg.end is not None else last.end
            last.words = (last.words + words) if last.words is not None and words is not None else None
        else:
            offset = 0
            last = TranscriptTurn(id=str(seg.id), speaker=speaker, start=seg.start, end=seg.end, text=text,
                                  words=words)
            turns.append(last)
        lead = len(seg.text) - len(seg.text.lstrip())
        pieces.setdefault(last.id, []).append((seg.id, offset, len(text), lead))
    return turns, pieces


def locate_in_segment(unit: Unit, pieces: Pieces) -> None:
    """Point a unit at the segment where it starts, with offsets into that segment's text.

    A unit that runs on into the next segment keeps its whole text as the quote; its end offset
    is clipped to its first segment, so the transcript underlines the part it can.
    """
    for segment_id, offset, length, lead in pieces.get(unit.source_id or "", []):
        if offset <= unit.start_char < offset + length + 1:
            unit.source_id = str(segment_id)
            unit.start_char = unit.start_char - offset + lead
            unit.end_char = min(unit.end_char - offset, length) + lead
            return


def heard_ratings(coded: CodedTranscript) -> list[tuple[SpokenRating, str | None]]:
    """Every rating the coder heard (one per rating question, the headline among them), with its unit's id."""
    return [(rating, rating.unit_id) for rating in coded.ratings]


@dataclass
class CodingInputs:
    interview_id: int
    study_id: int
    turns: list[TranscriptTurn]
    pieces: Pieces
    roles: dict[str, str]
    guide: list[GuideItem]
    language: str | None
    codebook: Codebook
    classifier_key: str | None
    pii: DetectionInput


def _prepare(session: Session, settings: Settings, job: Job) -> CodingInputs:
    from coding.pipeline import GuideItem

    erasure_service.catch_up_with_erasures(session, settings)  # before this machine embeds anything
    interview = interview_service.get_interview(session, job.interview_id)
    study = study_service.get_study(session, interview.study_id)
    if codebook_service.seed_starter_codebook(session, study):
        session.commit()
    speakers = {s.id: s for s in transcript_service.speakers_of(session, interview_id=interview.id)}
    turns, pieces = speaker_turns(transcript_service.segments_of(session, interview_id=interview.id),
                                  {k: v.label for k, v in speakers.items()})
    guide = [GuideItem(id=str(q.id), text=q.text, kind=q.kind, scale=q.scale,
                       scale_min=q.scale_min, scale_max=q.scale_max)
             for q in study_service.get_guide(session, study.id)]
    trained = proposal_service.classifier_of(session, study_id=study.id)
    return CodingInputs(
        interview_id=interview.id, study_id=study.id, turns=turns, pieces=pieces,
        roles={s.label: s.role for s in speakers.values()}, guide=guide,
        language=interview.transcript_language or (study.language if study.language != "auto" else None),
        codebook=codebook_service.library_codebook(session, study),
        # stale: trained on an erased interview's text
        classifier_key=trained.storage_key if trained is not None and not trained.stale else None,
        pii=redaction_service.detection_inputs(session, interview=interview))


CodingResult = tuple["CodedTranscript", dict[int, list[tuple[int, int, str, float]]]]


def _compute(settings: Settings, inputs: CodingInputs, progress: Progress) -> CodingResult:
    from coding.pipeline import code_transcript

    progress("loading model", 0, 1)
    embedder = build_embedder(settings)
    coder = load_coder(settings, codebook=inputs.codebook, classifier_key=inputs.classifier_key, embedder=embedder)
    progress("loading model", 1, 1)
    coded = code_transcript(inputs.turns, roles=inputs.roles, guide=inputs.guide, coder=coder,
                            language=inputs.language, embedder=embedder, doc_id=str(inputs.interview_id),
                            progress=progress)
    # personal data is found whatever the study's setting, so turning redaction on is instant
    progress("finding personal data", 0, 1)
    found = redaction_service.detect_spans(inputs.pii)
    progress("finding personal data", 1, 1)
    return coded, found


def _store(session: Session, settings: Settings, inputs: CodingInputs, result: CodingResult) -> Stored:
    coded, personal_data = result
    interview = interview_service.get_interview(session, inputs.interview_id)
    code_ids = {c.path: c.id for c in codebook_service.codes_of(session, inputs.study_id)}
    question_ids = {item.id: int(item.id) for item in inputs.guide}
    for unit in coded.units:
        locate_in_segment(unit, inputs.pieces)
    coding_service.replace_coding(session, interview=interview, units=coded.units, question_ids=question_ids,
                                  code_ids=code_ids, ratings=heard_ratings(coded))
    redaction_service.store_detections(session, inputs=inputs.pii, found=personal_data)
    return Stored()


KIND: JobKind[CodingInputs, CodingResult] = JobKind(
    name="code", prepare=_prepare, compute=_compute, store=_store, spans=STEP_SPAN)
