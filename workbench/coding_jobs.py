"""Coding jobs: code an interview, retrain a study's classifier, discover themes in a study.

Each runs as a Job row like transcription does (claimed once, progress on the row, a
dead worker's job picked up again) and replaces only its own output.
"""

from __future__ import annotations

import importlib
import logging
import tempfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from workbench import storage
from workbench.db import session_scope
from workbench.jobs import Heartbeat, ProgressReporter, _user_message, enqueue_id
from workbench.models import Code, CodedUnit, Interview, StudyClassifier, ThemeProposal, utcnow
from workbench.services import codebook as codebook_service
from workbench.services import coding as coding_service
from workbench.services import jobs as job_service
from workbench.services import redaction as redaction_service
from workbench.services import studies as study_service
from workbench.services import transcripts as transcript_service
from workbench.settings import Settings

log = logging.getLogger(__name__)
MIN_DECISIONS_PER_CODE = 5  # a code is learnt from the analysts once they decided on this many of its units


@lru_cache(maxsize=2)
def _embedder(name: str) -> Any:
    if ":" in name:
        module, _, attribute = name.partition(":")
        return getattr(importlib.import_module(module), attribute)()
    from coding.embeddings import get_embedder

    return get_embedder()


def build_embedder(settings: Settings) -> Any:
    """The configured sentence embedder, loaded once per process."""
    return _embedder(settings.coding_embedder)


def _run(settings: Settings, job_id: int, prepare: Callable[[Session], Any],
         compute: Callable[[Any, ProgressReporter], Any], store: Callable[[Session, Any, Any], None]) -> Any:
    """Claim the job, read its inputs, compute without holding a session, store and mark it done.

    Returns the inputs (which `store` may have added to) when the job finished, else None.
    """
    with session_scope(settings) as session:
        if not job_service.claim_job(session, job_id=job_id, stale_after=settings.job_stale_seconds):
            log.info("Job %s is taken or finished; skipping", job_id)
            return None
        job = job_service.get_job(session, job_id)
        try:
            inputs = prepare(session, job)
        except Exception as exc:
            log.exception("Job %s could not start", job_id)
            session.rollback()
            job_service.mark_failed(session, job_id=job_id, error=_user_message(exc))
            return None
    progress = ProgressReporter(settings, job_id)
    try:
        with Heartbeat(settings, job_id, every=max(5.0, settings.job_stale_seconds / 5)):
            result = compute(inputs, progress)
            progress("saving", 0, 1)
        with session_scope(settings) as session:
            job = job_service.get_job(session, job_id)
            if job.worker != job_service.worker_id():
                log.warning("Job %s was taken over by %s; dropping this result", job_id, job.worker)
                return None
            store(session, inputs, result)
            job_service.mark_done(session, job=job)
            session.commit()
    except Exception as exc:
        log.exception("Job %s failed", job_id)
        with session_scope(settings) as session:
            job_service.mark_failed(session, job_id=job_id, error=_user_message(exc))
        return None
    return inputs


# --- coding an interview ------------------------------------------------------------------------

def _coder(session: Session, settings: Settings, study, embedder):
    """The study's trained classifier when there is one, else zero-shot from its codebook."""
    from coding.classify import SupervisedCoder, ZeroShotCoder

    codebook = codebook_service.library_codebook(session, study)
    trained = session.exec(select(StudyClassifier).where(StudyClassifier.study_id == study.id)).first()
    if trained is not None and not trained.stale:  # stale: trained on an erased interview's text
        path = storage.artefact_path(settings, trained.storage_key)
        if path.exists():
            try:
                return SupervisedCoder.load(path, embedder=embedder)
            except Exception:  # a corrupt or outdated file: fall back, the retrain job will replace it
                log.exception("Could not load the classifier of study %s; coding zero-shot", study.id)
    return ZeroShotCoder(codebook, embedder=embedder)


def speaker_turns(segments: list, labels: dict[int, str]) -> tuple[list, dict[str, list[tuple[int, int, int, int]]]]:
    """Consecutive segments of one speaker joined into a turn, so a sentence cut by Whisper is one unit.

    Returns the turns and, per turn id, its pieces (segment id, offset in the turn's text, length,
    leading spaces of the segment's own text).
    Word timings are kept only when no segment of the turn was corrected by hand.
    """
    from coding.pipeline import TranscriptTurn

    turns: list[TranscriptTurn] = []
    pieces: dict[str, list[tuple[int, int, int, int]]] = {}
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


def locate_in_segment(unit, pieces: dict[str, list[tuple[int, int, int, int]]]) -> None:
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


def run_coding_job(settings: Settings, job_id: int) -> None:
    """Code an interview's transcript into units, themes, sentiment, reasons and its rating."""
    from coding.pipeline import GuideItem, code_transcript

    def prepare(session: Session, job) -> dict:
        interview = session.get(Interview, job.interview_id)
        study = study_service.get_study(session, interview.study_id)
        if codebook_service.seed_starter_codebook(session, study):
            session.commit()
        speakers = {s.id: s for s in transcript_service.speakers_of(session, interview_id=interview.id)}
        turns, pieces = speaker_turns(transcript_service.segments_of(session, interview_id=interview.id),
                                      {k: v.label for k, v in speakers.items()})
        roles = {s.label: s.role for s in speakers.values()}
        guide = [GuideItem(id=str(q.id), text=q.text, kind=q.kind, scale=q.scale,
                           scale_min=q.scale_min, scale_max=q.scale_max)
                 for q in study_service.get_guide(session, study.id)]
        language = interview.transcript_language or (study.language if study.language != "auto" else None)
        embedder = build_embedder(settings)
        return {"interview_id": interview.id, "study_id": study.id, "turns": turns, "pieces": pieces,
                "roles": roles, "guide": guide,
                "language": language, "coder": _coder(session, settings, study, embedder), "embedder": embedder,
                "pii": redaction_service.detection_inputs(session, interview=interview)}

    def compute(inputs: dict, progress: ProgressReporter):
        coded = code_transcript(inputs["turns"], roles=inputs["roles"], guide=inputs["guide"],
                                coder=inputs["coder"], language=inputs["language"], embedder=inputs["embedder"],
                                doc_id=str(inputs["interview_id"]), progress=progress)
        # personal data is found whatever the study's setting, so turning redaction on is instant
        return coded, redaction_service.detect_spans(inputs["pii"])

    def store(session: Session, inputs: dict, result) -> None:
        coded, personal_data = result
        interview = session.get(Interview, inputs["interview_id"])
        code_ids = {c.path: c.id for c in codebook_service.codes_of(session, inputs["study_id"])}
        question_ids = {item.id: int(item.id) for item in inputs["guide"]}
        for unit in coded.units:
            locate_in_segment(unit, inputs["pieces"])
        coding_service.replace_coding(session, interview=interview, units=coded.units, question_ids=question_ids,
                                      code_ids=code_ids, ratings=heard_ratings(coded))
        redaction_service.store_detections(session, inputs=inputs["pii"], found=personal_data)

    _run(settings, job_id, prepare, compute, store)


def heard_ratings(coded) -> list[tuple[Any, str | None]]:
    """Every rating the coder heard (one per rating question, the headline among them), with its unit's id."""
    return [(rating, rating.unit_id) for rating in coded.ratings]


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
    latest = job_service.latest_job(session, interview_id=interview_id, kind="code")
    if latest is None and not settings.auto_code:
        return None
    if job_service.queued_job(session, kind="code", interview_id=interview_id) is not None:
        return None
    job = job_service.create_job(session, kind="code", interview_id=interview_id, study_id=interview.study_id)
    session.commit()
    return job.id


def recode_after_correction(session: Session, settings: Settings, *, interview_id: int) -> int | None:
    """request_recoding, then put the job on the queue (routes call this after a correction)."""
    job_id = request_recoding(session, interview_id=interview_id, settings=settings)
    if job_id is not None:
        enqueue_all([job_id])
        session.expire_all()  # the job may already have run (inline queue): read its rows afresh
    return job_id


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
        if job_service.queued_job(session, kind="code", interview_id=interview_id) is None:
            ids.append(job_service.create_job(session, kind="code", interview_id=interview_id,
                                              study_id=study_id).id)
    session.commit()
    return ids


# --- retraining a study's classifier ------------------------------------------------------------

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


def run_retrain_job(settings: Settings, job_id: int) -> None:
    """Fit the study's classifier on the analysts' decisions, then re-code its interviews.

    It runs once at least one code has MIN_DECISIONS_PER_CODE decisions; codes with fewer are coded from
    the codebook's definitions by the supervised coder.
    """
    from coding.classify import SupervisedCoder
    from coding.errors import NotEnoughData

    def prepare(session: Session, job) -> dict:
        study = study_service.get_study(session, job.study_id)
        refusal = retrain_refusal(session, study_id=study.id)
        if refusal is not None:
            raise NotEnoughData(refusal)
        texts, labels, langs = coding_service.training_examples(session, study_id=study.id)
        return {"study_id": study.id, "texts": texts, "labels": labels, "langs": langs,
                "codebook": codebook_service.library_codebook(session, study),
                "embedder": build_embedder(settings)}

    def compute(inputs: dict, progress: ProgressReporter) -> dict:
        progress("training", 0, 1)
        coder = SupervisedCoder(embedder=inputs["embedder"], codebook=inputs["codebook"])
        coder.fit(inputs["texts"], inputs["labels"], lang=inputs["langs"])
        with tempfile.TemporaryDirectory() as folder:
            path = coder.save(Path(folder) / "classifier.bin")
            blob = Path(path).read_bytes()
        progress("training", 1, 1)
        codes = {code for labels in inputs["labels"] for code in labels}
        return {"blob": blob, "examples": len(inputs["texts"]), "codes": len(codes)}

    def store(session: Session, inputs: dict, result: dict) -> None:
        key = storage.store_artefact(settings, result["blob"], suffix=".clf")
        row = session.exec(select(StudyClassifier).where(StudyClassifier.study_id == inputs["study_id"])).first()
        row = row or StudyClassifier(study_id=inputs["study_id"], storage_key=key)
        replaced = row.storage_key if row.storage_key != key else None
        row.storage_key, row.examples, row.codes = key, result["examples"], result["codes"]
        row.trained_at, row.stale = utcnow(), False
        inputs["replaced"] = replaced
        session.add(row)
        interviews = session.exec(select(Interview.id).where(Interview.study_id == inputs["study_id"])
                                  .where(Interview.id.in_(select(CodedUnit.interview_id)))).all()
        inputs["recode"] = [job_service.create_job(session, kind="code", interview_id=i, study_id=inputs["study_id"]).id
                            for i in interviews if job_service.queued_job(session, kind="code", interview_id=i) is None]

    done = _run(settings, job_id, prepare, compute, store)
    if done:
        if done.get("replaced"):  # the previous file, unless another study's classifier is the same bytes
            with session_scope(settings) as session:
                from workbench.services.erasure import remove_files

                remove_files(session, settings, recording_keys=[], classifier_keys=[done["replaced"]])
        enqueue_all(done.get("recode", []))


# --- discovering themes -------------------------------------------------------------------------

def run_discovery_job(settings: Settings, job_id: int) -> None:
    """Find themes in a study's units and store them as proposals for the analyst."""
    from coding.discovery import discover_themes

    def prepare(session: Session, job) -> dict:
        from coding.errors import NotEnoughData
        from coding.pipeline import is_codable

        study = study_service.get_study(session, job.study_id)
        units = session.exec(select(CodedUnit).join(Interview, Interview.id == CodedUnit.interview_id)
                             .where(Interview.study_id == study.id).order_by(CodedUnit.id)).all()
        # Only answers that say something: greetings, small talk and bare ratings are never a theme.
        units = [u for u in units if is_codable(u.text, u.language if u.language in ("it", "en") else "en")]
        if len(units) < 10:
            raise NotEnoughData(f"The study has {len(units)} substantive coded answers; discovery needs at least 10. "
                                "Upload and code more interviews first.")
        langs = [u.language if u.language in ("it", "en") else None for u in units]
        label_lang = study.language if study.language in ("it", "en") else None
        return {"study_id": study.id, "unit_ids": [u.id for u in units], "texts": [u.text for u in units],
                "langs": langs, "label_lang": label_lang, "embedder": build_embedder(settings)}

    def compute(inputs: dict, progress: ProgressReporter):
        progress("discovering", 0, 1)
        # Each unit's own language, so a bilingual study's themes are topics, not its two languages.
        found = discover_themes(inputs["texts"], inputs["langs"], label_lang=inputs["label_lang"],
                                embedder=inputs["embedder"])
        progress("discovering", 1, 1)
        return found

    def store(session: Session, inputs: dict, found) -> None:
        for proposal in session.exec(select(ThemeProposal).where(ThemeProposal.study_id == inputs["study_id"],
                                                                 ThemeProposal.status == "proposed")):
            session.delete(proposal)
        existing = {c.name.lower() for c in session.exec(select(Code).where(Code.study_id == inputs["study_id"]))}
        for theme in found.themes:
            members = [inputs["unit_ids"][i] for i in theme.members]
            session.add(ThemeProposal(study_id=inputs["study_id"], label=theme.label[:200],
                                      keyphrases=list(theme.keyphrases)[:8], unit_ids=members,
                                      examples=list(theme.examples)[:3],
                                      status="dismissed" if theme.label.lower() in existing else "proposed"))

    _run(settings, job_id, prepare, compute, store)


def enqueue_all(job_ids: list[int]) -> None:
    for job_id in job_ids:
        enqueue_id(job_id)
