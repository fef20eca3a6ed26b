"""Codebooks: the starter codebook, YAML/CSV round trips, validation, pure edits."""

from __future__ import annotations

from pathlib import Path

import pytest

from coding.codebook import (
    Code,
    Codebook,
    CodebookError,
    dump_codebook,
    load_codebook,
    merge_codes,
    name_from_path,
    rename_code,
    split_code,
    starter_codebook,
)
from coding.errors import CodingError, InvalidCodebook


def small() -> Codebook:
    return Codebook([
        Code("delivery", "Delivery", "Shipping and transport.", ["Deliveries are fine."]),
        Code("delivery/late-shipments", "Late shipments", "Orders after the agreed date.",
             ["It came two weeks late."],
             translations={"it": {"name": "Ritardi", "examples": ["È arrivato in ritardo."]}}),
        Code("delivery/damaged-goods", "Damaged goods", "Broken in transport.", ["Boxes crushed."]),
        Code("pricing", "Pricing", "Prices.", ["Too expensive."]),
    ])


def test_starter_codebook_is_bilingual_and_complete() -> None:
    book = starter_codebook()
    roots = [c.path for c in book.roots()]
    assert roots == ["product-quality", "delivery", "pricing", "invoicing", "payment-terms",
                     "support", "account-management", "onboarding", "digital", "communication"]
    for root in roots:
        assert 2 <= len(book.children(root)) <= 4, root
    assert "delivery/late-shipments" in book and "delivery/damaged-goods" in book
    for code in book:
        en, it = code.text("en"), code.text("it")
        assert en.name and it.name and en.name != it.name, code.path
        assert en.description and it.description and en.description != it.description
        assert 3 <= len(en.examples) <= 5 and 3 <= len(it.examples) <= 5, code.path
        assert not set(en.examples) & set(it.examples)
    italian = " ".join(" ".join(c.text("it").examples) for c in book)
    assert "è" in italian and "perché" in italian and "qualità" in " ".join(
        c.text("it").name.lower() for c in book)


def test_tree_helpers_with_implicit_parent() -> None:
    book = Codebook([Code("support/response-time", "Response time"), Code("support/attitude", "Attitude")])
    assert book.implicit_parents() == ["support"]
    assert [c.path for c in book.roots()] == ["support"]
    assert book.get("support").name == "Support"
    assert [c.path for c in book.children("support")] == ["support/response-time", "support/attitude"]
    assert book.parents("support/response-time") == ["support"]
    assert [c.path for c in book.leaves()] == ["support/response-time", "support/attitude"]
    with pytest.raises(CodebookError, match="No code 'nope'"):
        book.get("nope")


def test_leaves_exclude_explicit_parents() -> None:
    assert [c.path for c in small().leaves()] == [
        "delivery/late-shipments", "delivery/damaged-goods", "pricing"]


def test_validation_lists_every_problem() -> None:
    with pytest.raises(InvalidCodebook) as info:
        Codebook([Code("a", "A"), Code("a", "Again"), Code("b", " "), Code("c//d", "Bad")])
    message = str(info.value)
    assert "repeats the path of code 1" in message
    assert "empty name" in message
    assert "empty segment" in message
    assert isinstance(info.value, CodingError)


def test_yaml_round_trip_keeps_translations(tmp_path: Path) -> None:
    path = dump_codebook(small(), tmp_path / "book.yaml")
    text = path.read_text(encoding="utf-8")
    assert "È arrivato in ritardo." in text  # unicode kept readable
    again = load_codebook(path)
    assert again.to_dict()["codes"] == small().to_dict()["codes"]
    assert again.get("delivery/late-shipments").text("it").name == "Ritardi"
    # the Italian description falls back to the English one
    assert again.get("delivery/late-shipments").text("it").description == "Orders after the agreed date."


def test_yaml_with_language_maps(tmp_path: Path) -> None:
    path = tmp_path / "book.yml"
    path.write_text(
        "codes:\n"
        "  - path: invoicing/errors\n"
        "    name: {en: Invoice errors, it: Errori in fattura}\n"
        "    description: {en: Wrong invoices., it: Fatture sbagliate.}\n"
        "    examples:\n"
        "      en: [Wrong VAT.]\n"
        "      it: [IVA sbagliata., Prezzo errato.]\n"
        "  - path: invoicing/late\n",
        encoding="utf-8")
    book = load_codebook(path)
    code = book.get("invoicing/errors")
    assert (code.name, code.examples) == ("Invoice errors", ["Wrong VAT."])
    assert code.text("it").examples == ("IVA sbagliata.", "Prezzo errato.")
    assert book.get("invoicing/late").name == "Late"  # no name: from the path


def test_csv_round_trip_and_language_columns(tmp_path: Path) -> None:
    path = tmp_path / "book.csv"
    path.write_text(
        "path,name,description,examples,name_it,examples_it\n"
        "support/response-time,Response time,How fast they answer.,Days to answer; Quick replies,"
        "Tempi di risposta,Rispondono tardi;Rispondono subito\n",
        encoding="utf-8")
    book = load_codebook(path)
    code = book.get("support/response-time")
    assert code.examples == ["Days to answer", "Quick replies"]
    assert code.text("it").name == "Tempi di risposta"
    assert code.text("it").examples == ("Rispondono tardi", "Rispondono subito")
    out = dump_codebook(book, tmp_path / "out.csv")
    assert load_codebook(out).to_dict()["codes"] == book.to_dict()["codes"]


def test_csv_errors_name_what_to_fix(tmp_path: Path) -> None:
    missing = tmp_path / "nopath.csv"
    missing.write_text("code,name\na,A\n", encoding="utf-8")
    with pytest.raises(CodebookError, match="no `path` column.*columns found: code, name"):
        load_codebook(missing)
    empty_name = tmp_path / "empty.csv"
    empty_name.write_text("path,name\na,\n", encoding="utf-8")
    with pytest.raises(CodebookError, match="empty name"):
        load_codebook(empty_name)
    with pytest.raises(CodebookError, match="use .yaml or .csv"):
        load_codebook(_touch(tmp_path / "b.txt"))
    with pytest.raises(CodebookError, match="No codebook file"):
        load_codebook(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("codes: [\n", encoding="utf-8")
    with pytest.raises(CodebookError, match="not valid YAML"):
        load_codebook(broken)
    nolist = tmp_path / "nolist.yaml"
    nolist.write_text("name: x\n", encoding="utf-8")
    with pytest.raises(CodebookError, match="no `codes:` list"):
        load_codebook(nolist)


def _touch(path: Path) -> Path:
    path.write_text("x", encoding="utf-8")
    return path


def test_rename_moves_children_and_is_pure() -> None:
    book = small()
    renamed = rename_code(book, "delivery", "logistics", name="Logistics")
    assert renamed.paths == ["logistics", "logistics/late-shipments", "logistics/damaged-goods", "pricing"]
    assert renamed.get("logistics").name == "Logistics"
    assert book.paths[0] == "delivery" and book.get("delivery").name == "Delivery"
    with pytest.raises(CodebookError, match="already exists"):
        rename_code(book, "delivery/damaged-goods", "pricing")


def test_merge_pools_examples_and_translations() -> None:
    merged = merge_codes(small(), ["delivery/damaged-goods"], "delivery/late-shipments")
    assert "delivery/damaged-goods" not in merged
    code = merged.get("delivery/late-shipments")
    assert code.examples == ["It came two weeks late.", "Boxes crushed."]
    assert code.text("it").name == "Ritardi"
    into_new = merge_codes(small(), ["delivery", "pricing"], "commercial", name="Commercial")
    assert into_new.paths[:3] == ["commercial", "commercial/late-shipments", "commercial/damaged-goods"]
    assert into_new.get("commercial").examples == ["Deliveries are fine.", "Too expensive."]
    with pytest.raises(CodebookError):
        merge_codes(small(), [], "pricing")


def test_split_replaces_a_code_by_children() -> None:
    split = split_code(small(), "pricing", [Code("pricing/level", "Price level"),
                                           Code("pricing/increases", "Price increases")])
    assert split.paths[-3:] == ["pricing", "pricing/level", "pricing/increases"]
    gone = split_code(small(), "pricing", [Code("pricing/level", "Price level")], keep_parent=False)
    assert "pricing" not in gone.paths and gone.get("pricing").name == "Pricing"  # implicit now


def test_name_from_path() -> None:
    assert name_from_path("delivery/late-shipments") == "Late shipments"


def test_to_dict_round_trip() -> None:
    assert Codebook.from_dict(small().to_dict()).to_dict() == small().to_dict()
