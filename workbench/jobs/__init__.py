"""Background work: job rows run by one runner, on a queue built from settings.

- `queue`: the Huey queues, a lane each (SQLite, Redis or inline), `enqueue`, recovery and the worker;
- `runner`: claim, heartbeat, compute without a session, takeover check, store, done or failed;
- a module per kind of job: `transcription`, `coding`, `retrain`, `discovery`.

Callers queue committed job rows with `jobs.enqueue(settings, job_ids)`.
"""

from workbench.jobs.coding import build_embedder
from workbench.jobs.queue import (
    MEMORY,
    NO_CONSUMER,
    enqueue,
    queue_for,
    recode_after_correction,
    recover,
    run_job,
    start_consumer,
)
from workbench.jobs.transcription import STEP_SPAN, asr_setup_problem, build_engine

__all__ = ["MEMORY", "NO_CONSUMER", "STEP_SPAN", "asr_setup_problem", "build_embedder", "build_engine", "enqueue",
           "queue_for", "recode_after_correction", "recover", "run_job", "start_consumer"]
