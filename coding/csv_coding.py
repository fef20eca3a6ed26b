"""Code a CSV of answers: the engine behind `perche code` and `perche discover`.

Public API:
    code_csv(input_path, out_path, *, text_column="text", id_column=None, lang="auto",
             codebook=None, train=None, labels_column="labels", sentiment_column=None,
             embedder=None, progress=None) -> CodingRun
    discover_csv(input_path, out_path, *, text_column="text", lang="auto", min_size=None,
                 max_themes=12, seed=0, embedder=None, progress=None) -> Discovery
    read_table(path) -> Table                       a CSV file's columns and rows
    row_languages(texts, lang) -> list[str]         "it"/"en" per row ("auto" detects)
    parse_labels(cell) / parse_sentiment(cell)      the ../shared/data/coding cell formats
    CodingRun(mode, rows, codebook, languages, out_path)
    CsvInputError(CodingError)                      a file or column the user must fix
    OUTPUT_COLUMNS

Which coder runs depends on what is given: a training file (labels per row, as in
../shared/data/coding: `labels` "a;b", `sentiment` "a:negative;b:positive") trains a
SupervisedCoder, with the codebook as a prior when both are given, and a per-code
sentiment model when the sentiment column is named; a codebook alone runs the
ZeroShotCoder; with neither, themes are discovered in the input and used as codes.

Output columns: id (the id column, or the row number from 1), text, themes (code paths
joined by ";"), theme_sentiment ("code:polarity;..."), sentiment (overall polarity),
reason (the reason-why clause, empty when none), confidence (one confidence per theme, in
the order of `themes`, joined by ";").
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .codebook import Codebook, load_codebook
from .embeddings import Embedder
from .errors import CodingError, NotEnoughData

if TYPE_CHECKING:
    from .discovery import Discovery

Progress = Callable[[str, int, int], None]
OUTPUT_COLUMNS = ("id", "text", "themes", "theme_sentiment", "sentiment", "reason", "confidence")
LANG_CHOICES = ("it", "en", "auto")
_DELIMITERS = (",", ";", "\t")


class CsvInputError(CodingError):
    """An input file cannot be used as given (unreadable, empty, a column missing)."""


@dataclass
class Table:
    """A CSV file read whole: its column names and rows as dicts."""

    path: Path
    columns: list[str]
    rows: list[dict[str, str]]

    def column(self, name: str, *, role: str = "column", option: str | None = None) -> list[str]:
        """The cells of column `name`; CsvInputError naming the columns that do exist."""
        if name not in self.columns:
            hint = f" Pass the right one with {option}." if option else ""
            raise CsvInputError(
                f"{self.path.name} has no {role} {name!r}. Its columns are: "
                f"{', '.join(self.columns) or '(none)'}.{hint}"
            )
        return [row.get(name) or "" for row in self.rows]


@dataclass
class CodingRun:
    """What code_csv did: which coder ran, the output rows and the codebook used."""

    mode: str  # "supervised", "zero-shot" or "discovered"
    rows: list[dict[str, str]]
    codebook: Codebook | None
    languages: dict[str, int]
    out_path: Path
    notes: list[str] = field(default_factory=list)


def _decode(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CsvInputError(f"Cannot read {path}: {exc.strerror or exc}. Check the path.") from exc
    if b"\x00" in raw[:4096]:
        raise CsvInputError(
            f"{path.name} is not a text CSV file (it looks binary: an Excel workbook?). "
            "Save it as CSV UTF-8 and retry."
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Windows saves "CSV" as cp1252; accented Italian survives that way.
        return raw.decode("cp1252", errors="replace")


def read_table(path: str | Path) -> Table:
    """Read a CSV (comma, semicolon or tab separated; UTF-8, or cp1252 from Excel)."""
    path = Path(path)
    if not path.is_file():
        raise CsvInputError(f"No file at {path}. Check the path.")
    text = _decode(path)
    if not text.strip():
        raise CsvInputError(f"{path.name} is empty; it needs a header row and at least one row.")
    header = text.splitlines()[0]
    delimiter = max(_DELIMITERS, key=header.count)
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
        columns = [(c or "").strip() for c in reader.fieldnames or []]
        reader.fieldnames = columns
        rows = [{k: (v if isinstance(v, str) else "") for k, v in row.items() if k is not None}
                for row in reader]
    except csv.Error as exc:
        raise CsvInputError(f"{path.name} is not a readable CSV file ({exc}).") from exc
    if not [c for c in columns if c]:
        raise CsvInputError(f"{path.name} has no header row; the first line must name the columns.")
    if not rows:
        raise CsvInputError(f"{path.name} has a header but no rows to code.")
    return Table(path=path, columns=columns, rows=rows)


def parse_labels(cell: str) -> list[str]:
    """`"delivery;pricing"` -> ["delivery", "pricing"] (blanks dropped, order kept)."""
    return list(dict.fromkeys(p.strip() for p in (cell or "").split(";") if p.strip()))


def parse_sentiment(cell: str) -> dict[str, str]:
    """`"delivery:negative;pricing:positive"` -> {"delivery": "negative", ...}.

    The polarity follows the last ":", so code paths may hold ":" or "/".
    """
    from .sentiment import _normalise_polarity

    pairs: dict[str, str] = {}
    for item in (cell or "").split(";"):
        code, sep, polarity = item.strip().rpartition(":")
        if not item.strip():
            continue
        if not sep or not code.strip():
            raise CsvInputError(
                f"Cannot read the sentiment {item.strip()!r}: write code:polarity pairs "
                "separated by ';', e.g. 'delivery:negative;pricing:positive'."
            )
        pairs[code.strip()] = _normalise_polarity(polarity)
    return pairs


def row_languages(texts: Sequence[str], lang: str = "auto") -> list[str]:
    """One language per row: `lang` itself, or detected ("auto"); undecided rows take the
    language most rows are in."""
    from .language import detect_language, normalise_language

    if lang not in LANG_CHOICES:
        raise CsvInputError(f"--lang must be it, en or auto, not {lang!r}.")
    if lang != "auto":
        return [normalise_language(lang)] * len(texts)
    guesses = []
    for text in texts:
        as_it, as_en = detect_language(text, default="it"), detect_language(text, default="en")
        guesses.append(as_it if as_it == as_en else None)
    counts = Counter(g for g in guesses if g)
    majority = counts.most_common(1)[0][0] if counts else "it"
    return [g or majority for g in guesses]


def _report(progress: Progress | None, step: str, done: int, total: int) -> None:
    if progress:
        progress(step, done, total)


def _load_codebook(codebook: Codebook | str | Path | None) -> Codebook | None:
    if codebook is None or isinstance(codebook, Codebook):
        return codebook
    return load_codebook(codebook)


@dataclass
class _Training:
    texts: list[str]
    labels: list[list[str]]
    sentiments: list[dict[str, str]] | None


def _read_training(path: str | Path, *, text_column: str, labels_column: str,
                   sentiment_column: str | None) -> _Training:
    table = read_table(path)
    column = text_column if text_column in table.columns else "text"
    texts = table.column(column, role="text column", option="--text-column")
    labels = [parse_labels(c) for c in table.column(labels_column, role="labels column",
                                                    option="--labels-column")]
    sentiments = None
    if sentiment_column:
        cells = table.column(sentiment_column, role="sentiment column", option="--sentiment-column")
        try:
            sentiments = [parse_sentiment(c) for c in cells]
        except CodingError as exc:
            raise CsvInputError(f"{table.path.name}: {exc}") from exc
    keep = [i for i, t in enumerate(texts) if t.strip()]
    if not any(labels[i] for i in keep):
        raise NotEnoughData(
            f"{table.path.name} has no labels in column {labels_column!r}; label some rows "
            "(codes separated by ';') or leave out --train."
        )
    return _Training(
        texts=[texts[i] for i in keep],
        labels=[labels[i] for i in keep],
        sentiments=[sentiments[i] for i in keep] if sentiments is not None else None,
    )


def _aspect_names(codebook: Codebook | None) -> dict[str, str]:
    """Words that find a code's clause: its parent's name and its own (main language)."""
    if codebook is None:
        return {}
    names = {}
    for code in codebook.codes:
        parent = codebook.get(code.parent).name if code.parent else ""
        names[code.path] = f"{parent} {code.name}".strip()
    return names


def code_csv(input_path: str | Path, out_path: str | Path, *, text_column: str = "text",
             id_column: str | None = None, lang: str = "auto",
             codebook: Codebook | str | Path | None = None, train: str | Path | None = None,
             labels_column: str = "labels", sentiment_column: str | None = None,
             embedder: Embedder | None = None, progress: Progress | None = None) -> CodingRun:
    """Code every row of INPUT.csv and write OUT.csv (see the module docstring)."""
    from .classify import SupervisedCoder, ZeroShotCoder
    from .reasons import extract_reason
    from .sentiment import (
        AspectSentiment,
        LinearSentiment,
        PrototypeSentiment,
        overall_from_aspects,
    )

    _report(progress, "reading", 0, 1)
    table = read_table(input_path)
    texts = table.column(text_column, role="text column", option="--text-column")
    ids = (table.column(id_column, role="id column", option="--id-column") if id_column
           else [str(i) for i in range(1, len(texts) + 1)])
    langs = row_languages(texts, lang)
    book = _load_codebook(codebook)
    training = (_read_training(train, text_column=text_column, labels_column=labels_column,
                               sentiment_column=sentiment_column) if train else None)
    _report(progress, "reading", 1, 1)
    codable = [i for i, t in enumerate(texts) if t.strip()]
    sub_texts = [texts[i] for i in codable]
    sub_langs = [langs[i] for i in codable]
    notes: list[str] = []
    predictions: list[list[tuple[str, float]]] = [[] for _ in texts]

    aspect_model = AspectSentiment(embedder=embedder)
    overall_model: PrototypeSentiment | LinearSentiment = aspect_model.prototype
    if training is not None:
        mode = "supervised"
        _report(progress, "training", 0, 1)
        train_langs = row_languages(training.texts, "auto" if lang == "auto" else lang)
        coder: Any = SupervisedCoder(embedder=embedder, codebook=book).fit(
            training.texts, training.labels, lang=train_langs)
        if training.sentiments is not None:
            rows = [i for i, s in enumerate(training.sentiments) if s]
            if rows:
                aspect_model.fit([training.texts[i] for i in rows],
                                 [training.sentiments[i] for i in rows],
                                 aspect_names=_aspect_names(book))
                overall = [overall_from_aspects(list(training.sentiments[i].values())) for i in rows]
                if len(set(overall)) >= 2:
                    overall_model = LinearSentiment(embedder=embedder).fit(
                        [training.texts[i] for i in rows], overall)
                else:
                    notes.append("Overall sentiment stays zero-shot: the training rows have "
                                 "only one overall polarity.")
            else:
                notes.append(f"No sentiment in column {sentiment_column!r}; sentiment is zero-shot.")
        _report(progress, "training", 1, 1)
    elif book is not None:
        mode = "zero-shot"
        coder = ZeroShotCoder(book, embedder=embedder)
    else:
        mode = "discovered"
        coder = None

    _report(progress, "coding", 0, len(codable))
    if coder is not None and codable:
        for index, found in zip(codable, coder.predict(sub_texts, sub_langs), strict=True):
            predictions[index] = found
    elif codable:
        from .discovery import discover_themes, themes_to_codebook

        try:
            discovery = discover_themes(sub_texts, sub_langs, embedder=embedder)
        except NotEnoughData as exc:
            raise NotEnoughData(
                f"{exc} With so few rows, pass --codebook to code them against known codes."
            ) from exc
        book = themes_to_codebook(discovery)
        for theme, code in zip(discovery.themes, book.codes, strict=True):
            for member, score in zip(theme.members, theme.scores, strict=True):
                predictions[codable[member]] = [(code.path, score)]
    _report(progress, "coding", len(codable), len(codable))

    _report(progress, "sentiment", 0, 1)
    names = _aspect_names(book)  # the same words as in training
    per_code = aspect_model.predict(texts, [[c for c, _ in p] for p in predictions],
                                    aspect_names=names)
    overall_pred = [("neutral", 0.0)] * len(texts)
    if codable:
        for index, found in zip(codable, overall_model.predict(sub_texts), strict=True):
            overall_pred[index] = found
    _report(progress, "sentiment", 1, 1)

    out_rows = []
    for i, text in enumerate(texts):
        reason = extract_reason(text, langs[i]) if text.strip() else None
        out_rows.append({
            "id": ids[i],
            "text": text,
            "themes": ";".join(code for code, _ in predictions[i]),
            "theme_sentiment": ";".join(f"{code}:{per_code[i][code][0]}"
                                        for code, _ in predictions[i] if code in per_code[i]),
            "sentiment": overall_pred[i][0] if text.strip() else "",
            "reason": reason.text if reason else "",
            "confidence": ";".join(f"{conf:.2f}" for _, conf in predictions[i]),
        })
    out = Path(out_path)
    _write_rows(out, out_rows)
    _report(progress, "writing", 1, 1)
    return CodingRun(mode=mode, rows=out_rows, codebook=book, languages=dict(Counter(langs)),
                     out_path=out, notes=notes)


def _write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(OUTPUT_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)


def discover_csv(input_path: str | Path, out_path: str | Path, *, text_column: str = "text",
                 lang: str = "auto", min_size: int | None = None, max_themes: int = 12,
                 seed: int = 0, embedder: Embedder | None = None,
                 progress: Progress | None = None) -> Discovery:
    """Discover themes in a CSV's texts and write them as a codebook (YAML or CSV by suffix).

    Returns the Discovery; the written codebook can be edited and passed back to code_csv.
    """
    from .codebook import dump_codebook
    from .discovery import discover_themes, themes_to_codebook

    out = Path(out_path)
    if out.suffix.lower() not in (".yaml", ".yml", ".csv"):
        raise CsvInputError(f"Write the themes to a .yaml or .csv file, not {out.name}.")
    table = read_table(input_path)
    texts = table.column(text_column, role="text column", option="--text-column")
    langs = row_languages(texts, lang)
    discovery = discover_themes(texts, langs, min_size=min_size, max_themes=max_themes, seed=seed,
                                embedder=embedder, progress=progress)
    dump_codebook(themes_to_codebook(discovery), out)
    return discovery
