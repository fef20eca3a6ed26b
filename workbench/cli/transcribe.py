"""`perche transcribe`: the transcription pipeline on one recording, without the workbench."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from workbench.cli.common import err
from workbench.cli.common import fail as _fail
from workbench.settings import get_settings

if TYPE_CHECKING:
    from transcription.glossary import DecodingHints, Glossary

ENGINES = ("faster-whisper", "openai-whisper")


def _check_speaker_options(speakers: int | None, min_speakers: int | None, max_speakers: int | None) -> None:
    if speakers is not None and (min_speakers is not None or max_speakers is not None):
        _fail("Give either --speakers N (a known count) or --min-speakers/--max-speakers (bounds), not both.", 2)
    for name, value in (("--speakers", speakers), ("--min-speakers", min_speakers), ("--max-speakers", max_speakers)):
        if value is not None and value < 1:
            _fail(f"{name} must be at least 1.", 2)
    if min_speakers is not None and max_speakers is not None and min_speakers > max_speakers:
        _fail(f"--min-speakers ({min_speakers}) is larger than --max-speakers ({max_speakers}).", 2)


def _read_glossary(path: Path | None, language: str | None) -> tuple[Glossary | None, DecodingHints | None]:
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
                           "may be misheard ('Edilnord: Edil Nord'). Guides decoding and fixes their spelling.")]
    = None,
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


def register(app: typer.Typer) -> None:
    """Add `transcribe` to the `perche` app."""
    app.command()(transcribe)
