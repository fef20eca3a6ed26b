"""`perche code` and `perche discover`: code a CSV of answers, or find its themes, offline.

    perche code INPUT.csv --text-column text [--id-column id] [--lang it|en|auto]
                [--codebook CODEBOOK.yaml]
                [--train LABELLED.csv --labels-column labels [--sentiment-column sentiment]]
                --out OUT.csv
    perche discover INPUT.csv --text-column text --out themes.yaml

`register(app)` adds both commands to the main Typer app (workbench/cli.py calls it). The
work is done by coding.csv_coding; this module parses options, shows progress and turns
a CodingError into a one-line message and exit status 1.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from workbench.cli.common import check_output as _check_output
from workbench.cli.common import console, err
from workbench.cli.common import fail as _fail


def _check_input(path: Path, what: str) -> None:
    if not path.is_file():
        _fail(f"There is no {what} at {path}. Check the path.")


def _progress_bar() -> Progress:
    columns = (TextColumn("{task.fields[step]:<10}"), BarColumn(), TaskProgressColumn(),
               TimeElapsedColumn())
    return Progress(*columns, console=err, transient=True)


def _hook(bar: Progress, task: int) -> Callable[[str, int, int], None]:
    def progress(step: str, done: int, total: int) -> None:
        bar.update(task, completed=(done / total) if total else 0.0, total=1.0, step=step)

    return progress


def code(
    input_csv: Annotated[Path, typer.Argument(metavar="INPUT.csv", help="The answers to code.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the coded CSV.")],
    text_column: Annotated[str, typer.Option(help="Column holding the answer text.")] = "text",
    id_column: Annotated[str | None, typer.Option(help="Column with an id to keep (default: the row number).")] = None,
    lang: Annotated[str, typer.Option(help="it, en, or auto to detect it per row.")] = "auto",
    codebook: Annotated[Path | None, typer.Option(help="Codebook (.yaml or .csv) to code against.")] = None,
    train: Annotated[Path | None, typer.Option(help="Labelled CSV to learn the codes from.")] = None,
    labels_column: Annotated[str, typer.Option(help="Column of --train with the codes, separated by ';'.")] = "labels",
    sentiment_column: Annotated[str | None, typer.Option(
        help="Column of --train with code:polarity pairs separated by ';'.")] = None,
) -> None:
    """Code a CSV of answers: themes, per-theme and overall sentiment, reason-why, confidence.

    With --train, a classifier learns from labelled rows (a --codebook becomes its prior).
    With only --codebook, the codes are assigned zero-shot.
    With neither, themes are discovered in the input and used as codes.
    """
    from coding.csv_coding import code_csv
    from coding.errors import CodingError

    _check_input(input_csv, "input CSV")
    if codebook is not None:
        _check_input(codebook, "codebook")
    if train is not None:
        _check_input(train, "training CSV")
    elif sentiment_column is not None:
        _fail("--sentiment-column needs --train: it names a column of the training file.")
    if lang not in ("it", "en", "auto"):
        _fail(f"Unknown language '{lang}'. Use it, en, or auto.")
    _check_output(out, (".csv",))
    try:
        with _progress_bar() as bar:
            task = bar.add_task("code", total=1.0, step="reading")
            run = code_csv(input_csv, out, text_column=text_column, id_column=id_column, lang=lang,
                           codebook=codebook, train=train, labels_column=labels_column,
                           sentiment_column=sentiment_column, progress=_hook(bar, task))
    except CodingError as exc:
        _fail(str(exc))
    for note in run.notes:
        err.print(f"[yellow]Note:[/] {note}")
    coded = sum(1 for row in run.rows if row["themes"])
    langs = ", ".join(f"{k} {v}" for k, v in sorted(run.languages.items()))
    console.print(f"Coded {coded} of {len(run.rows)} rows ({run.mode}; languages: {langs}). "
                  f"Wrote {out}")


def discover(
    input_csv: Annotated[Path, typer.Argument(metavar="INPUT.csv", help="The answers to explore.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the themes as a codebook (.yaml or .csv).")],
    text_column: Annotated[str, typer.Option(help="Column holding the answer text.")] = "text",
    lang: Annotated[str, typer.Option(help="it, en, or auto to detect it per row.")] = "auto",
    min_size: Annotated[int | None, typer.Option(help="Smallest theme kept (default: 3, or 2% of rows).")] = None,
    max_themes: Annotated[int, typer.Option(help="Most themes to look for.")] = 12,
) -> None:
    """Discover the themes in a CSV of answers and write them as an editable codebook."""
    from coding.csv_coding import discover_csv
    from coding.errors import CodingError

    _check_input(input_csv, "input CSV")
    if lang not in ("it", "en", "auto"):
        _fail(f"Unknown language '{lang}'. Use it, en, or auto.")
    if max_themes < 2:
        _fail("--max-themes must be at least 2.")
    _check_output(out, (".yaml", ".yml", ".csv"))
    try:
        with _progress_bar() as bar:
            task = bar.add_task("discover", total=1.0, step="reading")
            discovery = discover_csv(input_csv, out, text_column=text_column, lang=lang,
                                     min_size=min_size, max_themes=max_themes,
                                     progress=_hook(bar, task))
    except CodingError as exc:
        _fail(str(exc))
    from rich.table import Table

    table = Table("theme", "texts", "label", "keyphrases")
    for theme in discovery.themes:
        table.add_row(theme.id, str(theme.size), theme.label, ", ".join(theme.keyphrases))
    console.print(table)
    unassigned = len(discovery.unassigned)
    console.print(f"{len(discovery.themes)} themes, {unassigned} rows unassigned. Wrote {out}; "
                  "edit it and pass it to `perche code --codebook`.")


def register(app: typer.Typer) -> None:
    """Add `code` and `discover` to the `perche` app."""
    app.command("code")(code)
    app.command("discover")(discover)
