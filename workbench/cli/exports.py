"""`perche export` and `perche export-transcript`: a study's spreadsheets, transcripts and REFI-QDA project as files.

Every file is written to a temporary name beside its target and renamed once complete, so a
failure never leaves half a file behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Annotated

import typer

from workbench.cli.common import console, fail
from workbench.cli.common import err as err_console

TABLE_SUFFIXES = (".xlsx", ".csv")
TRANSCRIPT_CHOICES = ("docx", "srt", "vtt", "txt", "f4")
TRANSCRIPT_SUFFIXES = {".docx": "docx", ".srt": "srt", ".vtt": "vtt", ".txt": "txt"}


def _check_file(path: Path, suffixes: tuple[str, ...], what: str) -> None:
    if path.suffix.lower() not in suffixes:
        fail(f"{path}: {what} is written as {' or '.join(suffixes)}; give the file one of those extensions.")
    if path.is_dir():
        fail(f"{path} is a folder; give a file name such as {path / ('export' + suffixes[0])}.")
    if not path.parent.is_dir():
        fail(f"The folder {path.parent} does not exist; create it or choose another output path.")


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Call `write(temporary path)` in the target's folder, then rename the result into place."""
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix)
    os.close(handle)
    partial = Path(name)
    try:
        write(partial)
        os.replace(partial, path)
    except BaseException:
        with suppress(FileNotFoundError):
            partial.unlink()
        raise


def _write_bytes(path: Path, content: bytes) -> None:
    write_atomically(path, lambda partial: partial.write_bytes(content))


def export(study_id: Annotated[int, typer.Argument(help="The study to export.")],
           segments: Annotated[Path | None, typer.Option(
               help="Write the coded segments here (.xlsx or .csv): one row per unit and code.")] = None,
           ratings: Annotated[Path | None, typer.Option(help="Write every interview's ratings here (.xlsx or .csv).")]
           = None,
           codebook: Annotated[Path | None, typer.Option(
               help="Write the codebook with per-code counts here (.xlsx or .csv).")] = None,
           transcripts: Annotated[Path | None, typer.Option(
               help="Write every interview's transcript into this folder, one file each (see --format).")] = None,
           fmt: Annotated[str, typer.Option(
               "--format", help="Transcript format for --transcripts: docx, srt, vtt, txt (\\[hh:mm:ss] lines) or "
                                "f4 (MAXQDA's #hh:mm:ss-d# marks).")] = "docx",
           qdpx: Annotated[Path | None, typer.Option(
               help="Write a REFI-QDA project here (.qdpx) for NVivo, MAXQDA, ATLAS.ti or QualCoder.")] = None,
           audio: Annotated[bool, typer.Option(help="With --qdpx: include the recordings.")] = False,
           crlf: Annotated[bool, typer.Option(help="With --qdpx: CRLF line endings (MAXQDA counts offsets so).")]
           = False) -> None:
    """Export a study: coded segments, ratings and codebook as spreadsheets, transcripts, a REFI-QDA project.

    One interview's transcript alone: `perche export-transcript INTERVIEW_ID OUT.docx`.
    """
    from workbench.cli.common import database as _database
    from workbench.errors import Conflict, PercheError
    from workbench.services import exports as export_service
    from workbench.services.interviews import list_interviews
    from workbench.services.studies import get_study

    tables = {"segments": segments, "ratings": ratings, "codebook": codebook}
    if (audio or crlf) and qdpx is None:
        fail("--audio and --crlf go with --qdpx OUT.qdpx.")
    if not any(tables.values()) and transcripts is None and qdpx is None:
        fail("Say what to export: --segments, --ratings or --codebook OUT.xlsx|OUT.csv, --transcripts DIR, "
             "or --qdpx OUT.qdpx.")
    for name, path in tables.items():
        if path is not None:
            _check_file(path, TABLE_SUFFIXES, f"--{name}")
    if fmt not in TRANSCRIPT_CHOICES:
        fail(f"Unknown transcript format '{fmt}'. Use one of: {', '.join(TRANSCRIPT_CHOICES)}.")
    if transcripts is not None:
        if transcripts.exists() and not transcripts.is_dir():
            fail(f"{transcripts} is a file; --transcripts takes a folder.")
        if not transcripts.parent.is_dir():
            fail(f"The folder {transcripts.parent} does not exist; create it or choose another folder.")
    if qdpx is not None:
        _check_file(qdpx, (".qdpx",), "--qdpx")
    settings, scope = _database()
    try:
        with scope as session:
            study = get_study(session, study_id)
            for name, path in tables.items():
                if path is None:
                    continue
                result = export_service.export_table(session, study=study, table=name, fmt=path.suffix.lower()[1:])
                _write_bytes(path, result.content)
                console.print(f"Wrote {path}")
            if transcripts is not None:
                transcripts.mkdir(exist_ok=True)
                written, skipped = 0, []
                for interview in sorted(list_interviews(session, study_id=study.id), key=lambda i: i.id):
                    try:
                        result = export_service.export_transcript(session, interview=interview, fmt=fmt)
                    except Conflict as exc:
                        skipped.append(f"interview #{interview.id}: {exc.message}")
                        continue
                    _write_bytes(transcripts / result.filename, result.content)
                    written += 1
                console.print(f"Wrote {written} transcript{'s' if written != 1 else ''} into {transcripts}")
                for note in skipped:
                    err_console.print(f"[yellow]Skipped[/] {note}")
            if qdpx is not None:
                from workbench.services.qdpx_export import write_qdpx

                write_atomically(qdpx, lambda partial: write_qdpx(session, settings, study=study, out=partial,
                                                                  audio=audio, crlf=crlf))
                console.print(f"Wrote {qdpx}")
    except PercheError as exc:
        fail(exc.message)
    except OSError as exc:
        fail(f"Could not write the export: {exc.strerror or exc}. Check the path and free space.")


def export_transcript(interview_id: Annotated[int, typer.Argument(help="The interview.")],
                      out: Annotated[Path, typer.Argument(
                          help="Where to write it: .docx (with the interview's data), .srt or .vtt (subtitles), "
                               ".txt (\\[hh:mm:ss] lines, or with --f4 MAXQDA's #hh:mm:ss-d# marks).")],
                      f4: Annotated[bool, typer.Option(
                          "--f4", help="With OUT.txt: f4/MAXQDA end-of-turn timestamps #hh:mm:ss-d#.")] = False,
                      ) -> None:
    """Export one interview's transcript as DOCX, SRT, WebVTT or text (f4/MAXQDA with --f4)."""
    from workbench.cli.common import database as _database
    from workbench.errors import PercheError
    from workbench.services import exports as export_service
    from workbench.services.interviews import get_interview

    _check_file(out, tuple(TRANSCRIPT_SUFFIXES), "a transcript")
    fmt = TRANSCRIPT_SUFFIXES[out.suffix.lower()]
    if f4:
        if fmt != "txt":
            fail("--f4 writes text: give an output file ending in .txt.")
        fmt = "f4"
    _, scope = _database()
    try:
        with scope as session:
            interview = get_interview(session, interview_id)
            result = export_service.export_transcript(session, interview=interview, fmt=fmt)
        _write_bytes(out, result.content)
    except PercheError as exc:
        fail(exc.message)
    except OSError as exc:
        fail(f"Could not write {out}: {exc.strerror or exc}. Check the path and free space.")
    console.print(f"Wrote {out}")


def register(app: typer.Typer) -> None:
    """Add `export` and `export-transcript` to the `perche` app."""
    app.command("export")(export)
    app.command("export-transcript")(export_transcript)
