"""`perche models`: the packaged Whisper base, and adding or removing your own speech models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from workbench.cli.common import console, err
from workbench.cli.common import fail as _fail
from workbench.settings import Settings, get_settings

models_app = typer.Typer(help="Speech models: the packaged Whisper base and the ones you add.")
# The check clip: the first line of a packaged demo interview (English, so English-only models pass too).
CHECK_CLIP_FILE, CHECK_CLIP_SECONDS = "en_04.ogg", 6.4


def _models_settings() -> Settings:
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
def models_add(path: Annotated[Path, typer.Argument(
                   help="A CTranslate2 Whisper folder or an openai-whisper .pt file.")],
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
    demo = Path(__file__).parents[1] / "demo"
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



def register(app: typer.Typer) -> None:
    """Add the `models` group to the `perche` app."""
    app.add_typer(models_app, name="models")
