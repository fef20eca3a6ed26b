"""What a kind of job is to the runner: how it reads its inputs, computes, and stores its output."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlmodel import Session

from workbench.db import session_scope
from workbench.models import Job
from workbench.services import jobs as job_service
from workbench.settings import JOB_LANES, Settings

TRANSCRIPTION, ANALYSIS = JOB_LANES
Inputs = TypeVar("Inputs")
Result = TypeVar("Result")
Span = tuple[float, float]


@dataclass
class Stored:
    """What storing a job's output leaves to do once it is committed."""

    follow_ups: list[int] = field(default_factory=list)  # jobs created by the store, to enqueue
    unused_artefacts: list[str] = field(default_factory=list)  # artefact keys no row may need any more


@dataclass(frozen=True)
class JobKind(Generic[Inputs, Result]):
    """One kind of job. The runner claims the job, then:

    - `prepare(session, settings, job)` reads the inputs (and may mark what the job works on);
    - `compute(settings, inputs, progress)` does the work without holding a database session;
    - `store(session, settings, inputs, result)` writes the output in the transaction that marks the job done;
    - `failed(session, job)` runs when the job fails, in the transaction that records the failure.

    `spans` gives the share of the whole job each named step covers, so one bar moves steadily; `lane` is
    the queue its messages go on (a worker serves some lanes: GPU machines transcription, say).
    """

    name: str
    prepare: Callable[[Session, Settings, Job], Inputs]
    compute: Callable[[Settings, Inputs, Progress], Result]
    store: Callable[[Session, Settings, Inputs, Result], Stored]
    spans: dict[str, Span]
    failed: Callable[[Session, Job], None] | None = None
    lane: str = ANALYSIS


class Progress:
    """The progress protocol's callable, progress(step, done, total): writes step, counts and overall fraction
    to the job row, while this worker holds it."""

    def __init__(self, settings: Settings, job_id: int, worker: str, spans: dict[str, Span],
                 min_interval: float = 0.5) -> None:
        self.settings, self.job_id, self.worker, self.spans = settings, job_id, worker, spans
        self.min_interval = min_interval
        self._last_write = 0.0
        self._last_step = ""
        self.fraction = 0.0

    def __call__(self, step: str, completed: int, total: int) -> None:
        low, high = self.spans.get(step, (self.fraction, self.fraction))
        share = min(max(completed / total, 0.0), 1.0) if total else 0.0
        self.fraction = max(self.fraction, low + (high - low) * share)
        now = time.monotonic()
        if step == self._last_step and now - self._last_write < self.min_interval and completed < total:
            return
        self._last_step, self._last_write = step, now
        with session_scope(self.settings) as session:
            job_service.report_progress(session, job_id=self.job_id, worker=self.worker, step=step, done=completed,
                                        total=total, progress=round(self.fraction, 4))


def user_message(exc: Exception) -> str:
    """What the job page says about a failure: the pipeline's own words, else what happened and what to do."""
    from coding.errors import CodingError
    from transcription import TranscriptionError
    from workbench.storage import StorageUnavailable

    if isinstance(exc, (TranscriptionError, CodingError)):
        return str(exc)
    if isinstance(exc, StorageUnavailable):  # the details (endpoint, bucket) are in the worker's log
        return f"{StorageUnavailable.USER_MESSAGE} Retry the job once the store is back."
    return (f"Processing failed unexpectedly ({type(exc).__name__}: {exc}). Retry the job; if it fails again, "
            "tell an admin.")

