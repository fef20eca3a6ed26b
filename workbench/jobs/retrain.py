"""Retraining jobs: a study's classifier fitted on the analysts' decisions, then its interviews re-coded.

It runs once at least one code has MIN_DECISIONS_PER_CODE decisions; codes with fewer are coded from
the codebook's definitions by the supervised coder.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import Session

from workbench import storage
from workbench.jobs.coding import build_embedder
from workbench.jobs.kind import JobKind, Progress, Stored
from workbench.models import Job
from workbench.services import codebook as codebook_service
from workbench.services import coding as coding_service
from workbench.services import erasure as erasure_service
from workbench.services import jobs as job_service
from workbench.services import proposals as proposal_service
from workbench.services import studies as study_service
from workbench.settings import Settings

if TYPE_CHECKING:
    from coding.codebook import Codebook

STEP_SPAN = {
    "starting": (0.0, 0.02),
    "loading model": (0.02, 0.1),
    "training": (0.1, 0.98),
    "saving": (0.98, 1.0),
}


@dataclass
class RetrainInputs:
    study_id: int
    texts: list[str]
    labels: list[list[str]]
    langs: list[str]
    codebook: Codebook


@dataclass
class Trained:
    blob: bytes
    examples: int
    codes: int


def _prepare(session: Session, settings: Settings, job: Job) -> RetrainInputs:
    from coding.errors import NotEnoughData

    erasure_service.catch_up_with_erasures(session, settings)  # before this machine embeds anything
    study = study_service.get_study(session, job.study_id)
    refusal = job_service.retrain_refusal(session, study_id=study.id)
    if refusal is not None:
        raise NotEnoughData(refusal)
    texts, labels, langs = coding_service.training_examples(session, study_id=study.id)
    return RetrainInputs(study_id=study.id, texts=texts, labels=labels, langs=langs,
                         codebook=codebook_service.library_codebook(session, study))


def _compute(settings: Settings, inputs: RetrainInputs, progress: Progress) -> Trained:
    from coding.classify import SupervisedCoder

    progress("loading model", 0, 1)
    embedder = build_embedder(settings)
    progress("training", 0, 1)
    coder = SupervisedCoder(embedder=embedder, codebook=inputs.codebook)
    coder.fit(inputs.texts, inputs.labels, lang=inputs.langs)
    with tempfile.TemporaryDirectory() as folder:
        blob = Path(coder.save(Path(folder) / "classifier.bin")).read_bytes()
    progress("training", 1, 1)
    return Trained(blob=blob, examples=len(inputs.texts), codes=len({c for labels in inputs.labels for c in labels}))


def _store(session: Session, settings: Settings, inputs: RetrainInputs, trained: Trained) -> Stored:
    key = storage.store_artefact(settings, trained.blob, suffix=".clf")
    replaced = proposal_service.save_classifier(session, study_id=inputs.study_id, storage_key=key,
                                                examples=trained.examples, codes=trained.codes)
    return Stored(follow_ups=job_service.queue_recoding_of_coded(session, study_id=inputs.study_id),
                  unused_artefacts=[replaced] if replaced else [])


KIND: JobKind[RetrainInputs, Trained] = JobKind(
    name="retrain", prepare=_prepare, compute=_compute, store=_store, spans=STEP_SPAN)
