"""`perche serve`, `perche worker` and `perche migrate`: running the installation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from workbench.cli.common import console, database, err
from workbench.cli.common import fail as _fail
from workbench.settings import Settings, get_settings

if TYPE_CHECKING:
    from fastapi import FastAPI


def serve(host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
          worker: Annotated[bool, typer.Option(help="Run a job worker in this process; --no-worker when separate "
                                                    "`perche worker` processes run the jobs.")] = True,
          workers: Annotated[int, typer.Option(
              "--workers", min=1, help="Web processes (uvicorn workers), e.g. one per core; more than one needs "
                                       "--no-worker.")] = 1) -> None:
    """Serve the workbench (with its job worker, unless --no-worker)."""
    import uvicorn

    from workbench import jobs
    from workbench.app import create_app

    settings = get_settings()
    if worker and settings.embedded_worker and settings.queue_url.startswith(jobs.MEMORY):
        _fail(jobs.NO_CONSUMER)
    if workers > 1 and worker and settings.embedded_worker:
        _fail("--workers runs several web processes, and each would run jobs too: add --no-worker and run the "
              "jobs in `perche worker` processes.", code=2)
    _warn_about_demo_users(settings)
    console.print(f"Recordings and artefacts: {_storage_or_fail(settings)}")
    console.print(f"Perché is serving on [bold]http://{host}:{port}[/] (data in {settings.data_dir.resolve()})")
    if workers > 1:
        # each process builds its own app (web_app); its caches are its own, keyed by each study's data version
        uvicorn.run("workbench.cli.server:web_app", factory=True, workers=workers, host=host, port=port,
                    log_level="info")
        return
    uvicorn.run(create_app(settings, start_worker=worker and settings.embedded_worker), host=host, port=port,
                log_level="info")


def web_app() -> FastAPI:
    """The app of one of `perche serve --workers N`'s processes: pages and API, no job worker."""
    from workbench.app import create_app

    return create_app(get_settings(), start_worker=False)


def _storage_or_fail(settings: Settings) -> str:
    """Where recordings are kept, once the store has answered; a clear message and exit 1 when it cannot be used."""
    from workbench import storage

    try:
        return storage.check(settings)
    except storage.StorageUnavailable as exc:
        _fail(exc.message)
        raise  # not reached: _fail exits


def _warn_about_demo_users(settings: Settings) -> None:
    from workbench.db import session_scope, upgrade_database
    from workbench.services.users import active_demo_users

    upgrade_database(settings)
    with session_scope(settings) as session:
        emails = [u.email for u in active_demo_users(session)]
    if emails:
        err.print(f"[yellow]Warning: the demo users ({', '.join(emails)}) are active, and their passwords are "
                  "public. Before real use, deactivate them: perche user deactivate --demo[/]")


def worker(lanes: Annotated[str | None, typer.Option(
        help="The lanes of jobs to run, comma-separated: transcription (give it to GPU machines), analysis "
             "(coding, retraining, discovery). Default: PERCHE_WORKER_LANES, else both.")] = None) -> None:
    """Run a job worker (for the scale-out set-up; `perche serve` has one built in)."""
    from workbench import jobs
    from workbench.db import upgrade_database
    from workbench.settings import parse_lanes

    settings = get_settings()
    try:
        served = parse_lanes(lanes) if lanes is not None else settings.lanes
    except ValueError as exc:
        _fail(f"--lanes {exc}", code=2)
        raise  # not reached: _fail exits
    if settings.queue_url.startswith(jobs.MEMORY):
        _fail(jobs.NO_CONSUMER)
    problem = jobs.asr_setup_problem(settings) if "transcription" in served else None
    if problem:
        _fail(problem)
    upgrade_database(settings)
    store = _storage_or_fail(settings)
    consumer = jobs.start_consumer(settings, embedded=False, lanes=served)
    console.print(f"Perché worker started with {settings.workers} thread(s) a lane on {', '.join(served)}; queue: "
                  f"{settings.queue_url or settings.data_dir / 'queue.db'}; recordings and artefacts: {store}")
    try:
        consumer.run()
    finally:
        from workbench.services import audit

        audit.flush()  # what the jobs logged (retention runs, erasures' retrains) and the writer has not written



def migrate() -> None:
    """Upgrade the database to the newest schema (the app also does it on start)."""
    _settings, _ = database()
    console.print("The database is up to date.")



def register(app: typer.Typer) -> None:
    """Add `serve`, `worker` and `migrate` to the `perche` app."""
    app.command()(serve)
    app.command()(worker)


def register_migrate(app: typer.Typer) -> None:
    """Add `migrate` (listed after `transcribe`, as before the split)."""
    app.command()(migrate)
