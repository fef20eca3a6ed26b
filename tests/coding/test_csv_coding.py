"""CSV coding: reading files, the three modes, and the `perche code` / `perche discover` CLI."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import typer
from embedding_fakes import FakeEmbedder
from typer.testing import CliRunner

from coding import embeddings
from coding.codebook import load_codebook
from coding.csv_coding import (
    OUTPUT_COLUMNS,
    CsvInputError,
    code_csv,
    discover_csv,
    parse_labels,
    parse_sentiment,
    read_table,
    row_languages,
)
from coding.errors import CodingError, NotEnoughData


class FirstCandidates:
    def rank(self, centroid, candidates, top_n):
        return candidates[:top_n]


@pytest.fixture(autouse=True)
def fake_model(monkeypatch: pytest.MonkeyPatch) -> FakeEmbedder:
    """Every embedding goes through the fake; KeyBERT is not imported."""
    fake = FakeEmbedder()
    embeddings.clear_cache()
    monkeypatch.setattr(embeddings, "get_embedder", lambda: fake)
    monkeypatch.setattr("coding.discovery.KeyBERTLabeller", lambda embedder=None: FirstCandidates())
    return fake


ANSWERS = [
    ("The delivery arrived late again, the truck came a week after the date.", "delivery", "negative"),
    ("Late delivery every month, the truck is never on time.", "delivery", "negative"),
    ("Delivery was late and the truck driver did not call.", "delivery", "negative"),
    ("La consegna è arrivata in ritardo, il camion non arriva mai puntuale.", "delivery", "negative"),
    ("Consegna in ritardo anche questo mese, camion sempre tardi.", "delivery", "negative"),
    ("Il camion della consegna è arrivato in ritardo di una settimana.", "delivery", "negative"),
    ("The invoice had the wrong price and wrong VAT.", "invoicing", "negative"),
    ("Every invoice shows a wrong price, we check them all.", "invoicing", "negative"),
    ("Wrong price on the invoice again this quarter.", "invoicing", "negative"),
    ("La fattura aveva il prezzo sbagliato e l'IVA errata.", "invoicing", "negative"),
    ("Ogni fattura ha un prezzo sbagliato, le controlliamo tutte.", "invoicing", "negative"),
    ("Prezzo sbagliato in fattura anche questo trimestre.", "invoicing", "negative"),
    ("The support team answers tickets quickly, great and excellent.", "support", "positive"),
    ("Support answered our ticket within the hour, excellent team.", "support", "positive"),
    ("Great support team, every ticket answered the same day.", "support", "positive"),
    ("Il team di assistenza risponde ai ticket subito, ottimo.", "support", "positive"),
    ("L'assistenza è eccellente, ogni ticket è risolto in giornata.", "support", "positive"),
    ("Ottima assistenza, il team risponde ai ticket in un'ora.", "support", "positive"),
]


def write_csv(path: Path, header: list[str], rows: list[list[str]], delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def input_csv(tmp_path: Path, rows: int = 30) -> Path:
    data = [[f"A{n:02d}", ANSWERS[n % len(ANSWERS)][0], "Acme"] for n in range(rows)]
    return write_csv(tmp_path / "answers.csv", ["answer_id", "answer", "account"], data)


def codebook_yaml(tmp_path: Path) -> Path:
    path = tmp_path / "codebook.yaml"
    path.write_text(
        "codes:\n"
        "  - path: delivery\n"
        "    name: {en: Late delivery truck, it: Consegna in ritardo}\n"
        "    description: {en: The delivery truck arrives late., it: Il camion della consegna arriva in ritardo.}\n"
        "    examples: {en: [Late delivery truck.], it: [Consegna in ritardo.]}\n"
        "  - path: invoicing\n"
        "    name: {en: Wrong invoice price, it: Prezzo sbagliato in fattura}\n"
        "    description: {en: The invoice shows a wrong price., it: La fattura ha un prezzo sbagliato.}\n"
        "    examples: {en: [Wrong price on the invoice.], it: [Fattura con prezzo sbagliato.]}\n"
        "  - path: support\n"
        "    name: {en: Support team tickets, it: Assistenza e ticket}\n"
        "    description: {en: The support team answers tickets., it: Il team di assistenza risponde ai ticket.}\n"
        "    examples: {en: [Support answered the ticket.], it: [L'assistenza ha risposto al ticket.]}\n",
        encoding="utf-8")
    return path


def labelled_csv(tmp_path: Path) -> Path:
    rows = [[str(n), "en", text, code, f"{code}:{polarity}", "train"]
            for n, (text, code, polarity) in enumerate(ANSWERS * 2)]
    return write_csv(tmp_path / "labelled.csv", ["id", "lang", "text", "labels", "sentiment", "split"], rows)


def read_out(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_parse_cells() -> None:
    assert parse_labels("food; service;;food") == ["food", "service"]
    assert parse_sentiment("anecdotes/miscellaneous:conflict;food:positive") == {
        "anecdotes/miscellaneous": "mixed", "food": "positive"}
    assert parse_sentiment("") == {}
    with pytest.raises(CsvInputError, match="code:polarity"):
        parse_sentiment("food")
    with pytest.raises(CodingError, match="Unknown polarity"):
        parse_sentiment("food:angry")


def test_read_table_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(CsvInputError, match="empty"):
        read_table(empty)
    header_only = write_csv(tmp_path / "header.csv", ["text"], [])
    with pytest.raises(CsvInputError, match="no rows"):
        read_table(header_only)
    binary = tmp_path / "book.csv"
    binary.write_bytes(b"PK\x03\x04\x00\x00binary")
    with pytest.raises(CsvInputError, match="not a text CSV"):
        read_table(binary)
    with pytest.raises(CsvInputError, match="No file"):
        read_table(tmp_path / "absent.csv")
    table = read_table(input_csv(tmp_path, rows=3))
    with pytest.raises(CsvInputError, match="columns are: answer_id, answer, account") as info:
        table.column("text", role="text column", option="--text-column")
    assert "--text-column" in str(info.value)


def test_semicolon_and_cp1252_files(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("id;risposta\n1;Perché la qualità è buona\n".encode("cp1252"))
    table = read_table(path)
    assert table.columns == ["id", "risposta"]
    assert table.column("risposta") == ["Perché la qualità è buona"]


def test_row_languages() -> None:
    texts = ["The delivery is late and the invoices are wrong.", "Le consegne sono in ritardo.",
             "OK", "We are happy with the support."]
    assert row_languages(texts, "auto") == ["en", "it", "en", "en"]  # "OK": the majority
    assert row_languages(texts, "it") == ["it"] * 4
    with pytest.raises(CsvInputError, match="it, en or auto"):
        row_languages(texts, "fr")


def test_code_with_a_codebook_is_zero_shot(tmp_path: Path) -> None:
    out = tmp_path / "coded.csv"
    run = code_csv(input_csv(tmp_path), out, text_column="answer", id_column="answer_id",
                   codebook=codebook_yaml(tmp_path))
    assert run.mode == "zero-shot"
    rows = read_out(out)
    assert list(rows[0]) == list(OUTPUT_COLUMNS)
    assert len(rows) == 30 and rows[0]["id"] == "A00"
    right = sum(1 for n, row in enumerate(rows) if row["themes"].split(";")[0] == ANSWERS[n % 18][1])
    assert right >= 24
    for row in rows:
        themes = [t for t in row["themes"].split(";") if t]
        assert len(row["confidence"].split(";")) == len(themes) or not themes
        assert [p.split(":")[0] for p in row["theme_sentiment"].split(";") if p] == themes
        assert row["sentiment"] in ("positive", "negative", "neutral", "mixed")
    assert rows[0]["reason"] == ""  # no causal marker in that answer
    assert run.languages == {"en": 15, "it": 15}


def test_code_with_training_data(tmp_path: Path) -> None:
    out = tmp_path / "coded.csv"
    run = code_csv(input_csv(tmp_path), out, text_column="answer", train=labelled_csv(tmp_path),
                   labels_column="labels", sentiment_column="sentiment")
    assert run.mode == "supervised"
    rows = read_out(out)
    assert rows[0]["id"] == "1"  # no id column: the row number
    right = sum(1 for n, row in enumerate(rows) if row["themes"].split(";")[0] == ANSWERS[n % 18][1])
    assert right >= 27
    polarity = sum(1 for n, row in enumerate(rows)
                   if row["theme_sentiment"] == f"{ANSWERS[n % 18][1]}:{ANSWERS[n % 18][2]}")
    assert polarity >= 24


def test_code_without_codebook_discovers_themes(tmp_path: Path) -> None:
    out = tmp_path / "coded.csv"
    run = code_csv(input_csv(tmp_path), out, text_column="answer", lang="auto")
    assert run.mode == "discovered" and run.codebook is not None
    rows = read_out(out)
    assert all(row["themes"] in run.codebook.paths for row in rows if row["themes"])
    assert sum(1 for row in rows if row["themes"]) >= 27


def test_code_errors(tmp_path: Path) -> None:
    with pytest.raises(CsvInputError, match="no text column 'text'"):
        code_csv(input_csv(tmp_path), tmp_path / "o.csv")
    labelled = write_csv(tmp_path / "nolabels.csv", ["text", "labels"], [["a", ""], ["b", ""]])
    with pytest.raises(NotEnoughData, match="no labels"):
        code_csv(input_csv(tmp_path), tmp_path / "o.csv", text_column="answer", train=labelled)
    few = write_csv(tmp_path / "few.csv", ["text"], [["one answer"], ["two"]])
    with pytest.raises(NotEnoughData, match="--codebook"):
        code_csv(few, tmp_path / "o.csv")


def test_discover_writes_an_editable_codebook(tmp_path: Path) -> None:
    found = discover_csv(input_csv(tmp_path), tmp_path / "themes.yaml", text_column="answer")
    book = load_codebook(tmp_path / "themes.yaml")
    assert [c.name for c in book.codes] == [t.label for t in found.themes]
    with pytest.raises(CsvInputError, match=".yaml or .csv"):
        discover_csv(input_csv(tmp_path), tmp_path / "themes.txt", text_column="answer")


# --- CLI ---------------------------------------------------------------------------------

@pytest.fixture
def cli() -> typer.Typer:
    from workbench.cli.coding import register

    app = typer.Typer()
    register(app)
    return app


def test_cli_code_and_discover(cli: typer.Typer, tmp_path: Path) -> None:
    runner = CliRunner()
    source = input_csv(tmp_path)
    out = tmp_path / "out.csv"
    result = runner.invoke(cli, ["code", str(source), "--text-column", "answer", "--id-column",
                                 "answer_id", "--lang", "auto", "--codebook",
                                 str(codebook_yaml(tmp_path)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Coded" in result.output and "zero-shot" in result.output
    assert len(read_out(out)) == 30

    result = runner.invoke(cli, ["code", str(source), "--text-column", "answer", "--train",
                                 str(labelled_csv(tmp_path)), "--labels-column", "labels",
                                 "--sentiment-column", "sentiment", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "supervised" in result.output

    themes = tmp_path / "themes.yaml"
    result = runner.invoke(cli, ["discover", str(source), "--text-column", "answer", "--out", str(themes)])
    assert result.exit_code == 0, result.output
    assert themes.is_file() and "themes" in result.output


def test_cli_errors_exit_1_with_a_message(cli: typer.Typer, tmp_path: Path) -> None:
    runner = CliRunner()
    source = input_csv(tmp_path)

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(cli, list(args))
        return result.exit_code, " ".join(result.output.split())  # Rich wraps long lines

    code, output = run("code", str(source), "--text-column", "testo", "--out", str(tmp_path / "o.csv"))
    assert code == 1
    assert "no text column 'testo'" in output and "answer_id, answer, account" in output
    code, output = run("code", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "o.csv"))
    assert code == 1 and "no input CSV" in output
    code, output = run("code", str(source), "--lang", "fr", "--out", str(tmp_path / "o.csv"))
    assert code == 1 and "Unknown language" in output
    code, output = run("code", str(source), "--sentiment-column", "s", "--out", str(tmp_path / "o.csv"))
    assert code == 1 and "needs --train" in output
    code, output = run("discover", str(source), "--text-column", "answer", "--out",
                       str(tmp_path / "themes.json"))
    assert code == 1 and ".yaml" in output
    assert not (tmp_path / "o.csv").exists()
