"""`perche demo`: the demo study and demo users."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workbench.cli.common import console, database, err
from workbench.cli.follow import follow_jobs


def demo(process: Annotated[bool, typer.Option(help="Transcribe and code here and wait, instead of queueing.")] = False,
         report: Annotated[Path | None, typer.Option(
             help="Then write the demo study's report PDF here (with --process, once it is coded).")] = None,
         synthetic: Annotated[int | None, typer.Option(
             min=1, help="Instead, add a study of N made-up coded interviews (no model runs), for load tests "
                         "and for trying Perché at size.")] = None) -> None:
    """Load the demo study and demo users, if the database has no studies yet (or, with --synthetic N, add a
    synthetic study of N coded interviews)."""
    from workbench import jobs
    from workbench.demo import demo_study, load_demo

    if synthetic is not None:
        _synthetic(synthetic)
        return
    settings, scope = database()
    with scope as session:
        job_ids = load_demo(session, settings)
    if job_ids is None:
        console.print("The database already has studies; the demo study was not loaded.")
    else:
        console.print(f"Loaded the demo study with {len(job_ids)} interviews.")
        if process:
            follow_jobs(settings, job_ids, process_here=True)
        else:
            jobs.enqueue(settings, job_ids)
    if report is not None:
        from workbench.cli import reports as cli_reports
        from workbench.db import session_scope

        with session_scope(settings) as session:
            study = demo_study(session)
        if study is None:
            err.print("[yellow]No demo study in this database; no report written.[/]")
        else:
            report.parent.mkdir(parents=True, exist_ok=True)
            cli_reports.report(study.id, pdf=report, html=None, lang=None, filter=None)
    _print_demo_users()


def _print_demo_users() -> None:
    from workbench.demo import DEMO_USERS

    console.print("Demo users (change their passwords before real use):")
    for email, role, password in DEMO_USERS:
        console.print(f"  {role:<12} {email:<28} password: {password}")


def _synthetic(n: int) -> None:
    from workbench.demo.synthetic import create_synthetic_study

    _settings, scope = database()
    with scope as session:
        made = create_synthetic_study(session, n)
    console.print(f"Added study #{made.study.id}, '{made.study.name}': {made.interviews} synthetic interviews, "
                  f"{made.units} coded units (invented companies, people and answers).")
    _print_demo_users()


def register(app: typer.Typer) -> None:
    """Add `demo` to the `perche` app."""
    app.command()(demo)
