"""`perche redact`: a good file, a missing column, an unreadable file."""

from __future__ import annotations

import csv

from typer.testing import CliRunner

from workbench.cli import app


def _write(path, rows):
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerows(rows)


def test_redact_writes_every_column_plus_redacted(tmp_path):
    source = tmp_path / "answers.csv"
    _write(source, [["id", "text", "wave"],
                    ["1", "sono mario rossi, il mio numero è 348 123 4567", "a"],
                    ["2", "my email is john dot smith at acme dot co dot uk", "b"],
                    ["3", "direi un otto", "c"]])
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(app, ["redact", str(source), "--text-column", "text", "--id-column", "id",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["id", "text", "wave", "redacted"]
    assert [r["redacted"] for r in rows] == ["sono [NOME], il mio numero è [TELEFONO]",
                                             "my email is [EMAIL]", "direi un otto"]
    assert [r["wave"] for r in rows] == ["a", "b", "c"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.csv", "out.csv"]


def test_forced_language_sets_the_placeholders(tmp_path):
    source = tmp_path / "answers.csv"
    _write(source, [["text"], ["call 348 123 4567"]])
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(app, ["redact", str(source), "--text-column", "text", "--lang", "it",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "call [TELEFONO]" in out.read_text(encoding="utf-8")


def test_missing_column_exits_1_and_writes_nothing(tmp_path):
    source = tmp_path / "answers.csv"
    _write(source, [["id", "answer"], ["1", "ciao"]])
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(app, ["redact", str(source), "--text-column", "text", "--out", str(out)])
    assert result.exit_code == 1
    assert "no text column 'text'" in result.output and "answer" in result.output
    assert not out.exists()
    result = CliRunner().invoke(app, ["redact", str(source), "--text-column", "answer", "--id-column", "key",
                                      "--out", str(out)])
    assert result.exit_code == 1 and "key" in result.output and not out.exists()


def test_unreadable_file_exits_1(tmp_path):
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(app, ["redact", str(tmp_path / "missing.csv"), "--text-column", "text",
                                      "--out", str(out)])
    assert result.exit_code == 1 and "No file at" in result.output
    binary = tmp_path / "book.csv"
    binary.write_bytes(b"PK\x03\x04\x00\x00binary")
    result = CliRunner().invoke(app, ["redact", str(binary), "--text-column", "text", "--out", str(out)])
    assert result.exit_code == 1 and "not a text CSV" in result.output
    assert not out.exists()
