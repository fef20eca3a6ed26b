"""Following jobs from the command line: a progress bar per job until each finishes."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from workbench.cli.common import console, err

if TYPE_CHECKING:
    from workbench.settings import Settings


def follow_jobs(settings: Settings, job_ids: dict[int, str], *, process_here: bool) -> bool:
    """Show a progress bar per job until all finish; run them in this process if asked."""
    from workbench import jobs
    from workbench.db import session_scope
    from workbench.services.jobs import active_job, get_job

    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TextColumn("{task.fields[step]}"),
               TimeElapsedColumn())
    ok = True
    with Progress(*columns, console=console) as bar:
        tasks = {job_id: bar.add_task(name, total=1.0, step="queued") for job_id, name in job_ids.items()}
        pending = set(job_ids)
        while pending:
            if process_here:
                job_id = min(pending)
                jobs.run_job(settings, job_id)
            for job_id in sorted(pending):
                with session_scope(settings) as session:
                    job = get_job(session, job_id)
                    follow_up = active_job(session, kind="code", interview_id=job.interview_id) \
                        if job.kind == "transcribe" and not job.active and job.interview_id else None
                bar.update(tasks[job_id], completed=job.progress, step=job.step)
                if not job.active:
                    pending.discard(job_id)
                    if job.status.value == "failed":
                        ok = False
                        err.print(f"[red]{job_ids[job_id]}: {job.error}[/]")
                if follow_up is not None and follow_up.id not in tasks:
                    name = f"{job_ids[job_id]} (coding)"
                    job_ids[follow_up.id] = name
                    tasks[follow_up.id] = bar.add_task(name, total=1.0, step="queued")
                    pending.add(follow_up.id)
            if pending and not process_here:
                time.sleep(0.5)
    return ok
