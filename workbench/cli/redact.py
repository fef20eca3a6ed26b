"""`perche redact`: replace personal data in a CSV's text column by typed placeholders, offline.

    perche redact INPUT.csv --text-column C [--id-column I] [--lang it|en|auto] --out OUT.csv

Every input column is written, plus `redacted`. The work is done by coding.pii.table; this
module parses options, shows progress and turns a CsvInputError into a message and exit 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workbench.cli.common import console, fail


def redact(input_path: Annotated[Path, typer.Argument(metavar="INPUT.csv", help="A CSV with a text column.")],
           text_column: Annotated[str, typer.Option("--text-column", help="The column holding the text.")],
           out: Annotated[Path, typer.Option("--out", help="Write the CSV with a `redacted` column here.")],
           id_column: Annotated[str | None, typer.Option("--id-column", help="A column identifying each row "
                                                         "(checked to exist, copied as is).")] = None,
           lang: Annotated[str, typer.Option("--lang", help="it, en, or auto (detected per row).")] = "auto") -> None:
    """Replace names, e-mails, phones, IBANs, codici fiscali, VAT numbers, addresses and birth dates by placeholders."""
    from coding.errors import CodingError
    from coding.pii.table import redact_csv

    if lang not in ("it", "en", "auto"):
        fail(f"--lang must be it, en or auto, not {lang!r}.")
    if out.suffix.lower() != ".csv":
        fail(f"{out} should end in .csv.")
    if out.resolve() == input_path.resolve():
        fail("--out is the input file; write the redacted copy to another file.")
    try:
        run = redact_csv(input_path, out, text_column=text_column, id_column=id_column, lang=lang)
    except CodingError as exc:
        fail(str(exc))
    found = ", ".join(f"{n} {entity}" for entity, n in run.entities.most_common()) or "no personal data"
    console.print(f"Redacted {run.rows} rows ({found}) into {run.out_path}.")


def register(app: typer.Typer) -> None:
    """Add `redact` to the `perche` app."""
    app.command("redact")(redact)
