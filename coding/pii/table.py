"""`redact_csv`: a CSV of texts in, the same CSV plus a `redacted` column out (`perche redact`)."""

from __future__ import annotations

import csv
import os
import tempfile
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from coding.csv_coding import CsvInputError, read_table, row_languages

from .detect import detect_pii
from .redact import redact_text

REDACTED_COLUMN = "redacted"


@dataclass
class RedactionRun:
    """What redact_csv did: rows written, entities found per type, rows per language."""

    out_path: Path
    rows: int
    entities: Counter[str] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)


def redact_csv(input_path: str | Path, out_path: str | Path, *, text_column: str, id_column: str | None = None,
               lang: str = "auto", progress: Callable[[str, int, int], None] | None = None) -> RedactionRun:
    """Write every column of `input_path` plus `redacted` (the text column with placeholders) to `out_path`.

    `lang` is "it", "en" or "auto" (each row's language detected). The output is written
    to a temporary file beside `out_path` and renamed into place, so a failure leaves no
    half-written file. CsvInputError for an unreadable file or a missing column.
    """
    out_path = Path(out_path)
    if not out_path.parent.is_dir():
        raise CsvInputError(f"The folder {out_path.parent} does not exist; create it or choose another output path.")
    table = read_table(input_path)
    texts = table.column(text_column, role="text column", option="--text-column")
    if id_column:
        table.column(id_column, role="id column", option="--id-column")
    languages = row_languages(texts, lang)
    run = RedactionRun(out_path=out_path, rows=len(texts))
    out_rows = []
    for n, (row, text, language) in enumerate(zip(table.rows, texts, languages, strict=True), 1):
        found = detect_pii(text, language)
        run.entities.update(e.entity for e in found)
        run.languages[language] += 1
        out_rows.append({**row, REDACTED_COLUMN: redact_text(text, [(e.start, e.end, e.entity) for e in found],
                                                             language)})
        if progress:
            progress("redact", n, len(texts))
    columns = [c for c in table.columns if c != REDACTED_COLUMN] + [REDACTED_COLUMN]
    handle, name = tempfile.mkstemp(dir=out_path.parent, prefix=f".{out_path.stem}-", suffix=".csv")
    partial = Path(name)
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(out_rows)
        os.replace(partial, out_path)
    except BaseException:
        with suppress(FileNotFoundError):
            partial.unlink()
        raise
    return run
