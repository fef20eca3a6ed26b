"""Units: sentences and opinion clauses with exact offsets, from answers and transcript turns."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from coding.errors import UnsupportedLanguage
from coding.language import (
    SUPPORTED_LANGUAGES,
    detect_language,
    fold,
    nlp,
    normalise_language,
    sentence_offsets,
)
from coding.schema import CodeAssignment, Reason, SpokenRating, TurnText, Unit
from coding.units import content_words, is_substantive, split_units, units_from_turns

SHARED_CODING = Path(__file__).resolve().parents[3] / "shared" / "data" / "coding"


def texts(text: str, lang: str | None = None, **kwargs: int) -> list[str]:
    units = split_units(text, lang, **kwargs)
    for unit in units:
        assert text[unit.start_char : unit.end_char] == unit.text
        assert unit.text == unit.text.strip()
    return [u.text for u in units]


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        (
            "Il prodotto è ottimo, ma le consegne arrivano sempre in ritardo.",
            "it",
            ["Il prodotto è ottimo", "ma le consegne arrivano sempre in ritardo."],
        ),
        (
            "Il prodotto è ottimo, il supporto invece è molto lento.",
            "it",
            ["Il prodotto è ottimo", "il supporto invece è molto lento."],
        ),
        (
            "Il servizio commerciale è attento; tuttavia le fatture arrivano sbagliate.",
            "it",
            ["Il servizio commerciale è attento", "tuttavia le fatture arrivano sbagliate."],
        ),
        (
            "Anche se il prezzo è alto, la qualità dei componenti è eccellente.",
            "it",
            ["Anche se il prezzo è alto", "la qualità dei componenti è eccellente."],
        ),
        (
            "The product is great, but the delivery is always late.",
            "en",
            ["The product is great", "but the delivery is always late."],
        ),
        (
            "The platform is reliable, the reporting however is really clunky.",
            "en",
            ["The platform is reliable", "the reporting however is really clunky."],
        ),
        (
            "Although the price is high, the quality is excellent.",
            "en",
            ["Although the price is high", "the quality is excellent."],
        ),
        (
            "Our account manager is great, whereas the billing team never answers.",
            "en",
            ["Our account manager is great", "whereas the billing team never answers."],
        ),
    ],
)
def test_contrast_splits_two_opinions(text: str, lang: str, expected: list[str]) -> None:
    assert texts(text, lang) == expected


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Il supporto però è lento.", "it"),  # "però" inside one clause
        ("Non solo il prezzo è giusto ma anche il servizio è ottimo.", "it"),
        ("Buono ma caro.", "it"),  # sides too short to be opinions
        ("Ma certo, nessun problema con le consegne.", "it"),  # marker opens the sentence
        ("I waited while they fixed the machine.", "en"),  # temporal "while"
        ("Not only the price but also the service is excellent.", "en"),
        ("They offer nothing but problems with every single order.", "en"),
    ],
)
def test_no_split_without_two_opinions(text: str, lang: str) -> None:
    assert texts(text, lang) == [text]


def test_sentences_keep_abbreviations_and_numbers_together() -> None:
    text = "Il sig. Rossi della Acme S.p.A. dice che costa 2.5 euro. Direi un 8. Forse un 9."
    assert texts(text, "it") == [
        "Il sig. Rossi della Acme S.p.A. dice che costa 2.5 euro.",
        "Direi un 8.",
        "Forse un 9.",
    ]
    assert texts("I'd give you an 8. Maybe a 9. Fine.", "en") == [
        "I'd give you an 8.",
        "Maybe a 9.",
        "Fine.",
    ]


def test_unpunctuated_speech_is_cut_at_discourse_markers() -> None:
    text = (
        "allora diciamo che il servizio in generale è buono le persone sono gentili e "
        "competenti però le consegne arrivano sempre in ritardo e questo ci crea problemi "
        "con i nostri clienti comunque il prezzo è giusto e la qualità del prodotto è alta "
        "per quanto riguarda la fatturazione ci sono spesso errori nelle fatture che "
        "dobbiamo correggere a mano ogni mese"
    )
    units = texts(text, "it")
    assert len(units) == 4
    assert units[1].startswith("però le consegne")
    assert units[2].startswith("comunque il prezzo")
    assert units[3].startswith("per quanto riguarda la fatturazione")
    assert all(len(u.split()) <= 40 for u in units)


def test_long_run_without_markers_is_cut_to_max_words() -> None:
    words = " ".join(f"parola{i}" for i in range(100))
    units = texts(words, "it", max_words=30)
    assert len(units) >= 4
    assert all(5 <= len(u.split()) <= 30 for u in units)
    assert " ".join(units) == words


def test_english_run_without_punctuation() -> None:
    text = (
        "so the onboarding was great honestly the team was really helpful but the pricing "
        "is a bit high for us and we had some issues with invoices last quarter anyway I "
        "would give you an eight because you are reliable"
    )
    units = texts(text, "en")
    assert units[-1] == "anyway I would give you an eight because you are reliable"
    assert any(u.startswith("but the pricing") for u in units)


def test_hesitations_empty_text_and_dangling_conjunctions() -> None:
    assert texts("Ehm. Mh mh. Direi un otto.", "it") == ["Direi un otto."]
    assert split_units("", "it") == [] and split_units("   \n ", "en") == []
    assert (
        texts("I love the food here, and although it is pricey, the portions are huge.", "en")[0]
        == "I love the food here"
    )


def test_language_is_detected_and_checked() -> None:
    assert texts("The support team is great. But invoices are always wrong.") == [
        "The support team is great.",
        "But invoices are always wrong.",
    ]
    with pytest.raises(UnsupportedLanguage, match="'it', 'en'"):
        split_units("Der Service ist gut.", "de")


def test_units_from_turns_skips_interviewer_and_interpolates_times() -> None:
    turns = [
        TurnText("doc1", "s1", "A", 0.0, 4.0, "Come valuta le consegne?"),
        TurnText(
            "doc1", "s2", "B", 4.0, 14.0, "Il prodotto è ottimo, ma le consegne arrivano tardi."
        ),
        ("doc1", "s3", "B", 14.0, 16.0, "Direi un otto."),
    ]
    units = units_from_turns(turns, "it", roles={"A": "interviewer", "B": "respondent"})
    assert [u.text for u in units] == [
        "Il prodotto è ottimo",
        "ma le consegne arrivano tardi.",
        "Direi un otto.",
    ]
    first, second, third = units
    assert first.id == "doc1:s2:0" and first.source_id == "s2" and first.speaker == "B"
    assert first.turn_index == 1 and third.turn_index == 2
    assert first.start_s == 4.0 and 4.0 < first.end_s < second.start_s < second.end_s <= 14.0
    assert third.start_s == 14.0 and third.end_s == 16.0
    assert all(u.lang == "it" and u.doc_id == "doc1" for u in units)
    assert len(units_from_turns(turns, "it")) == 4  # without roles every turn is split


def test_units_from_turns_uses_word_timings_and_detects_language_per_document() -> None:
    words = [
        (0.0, 0.5, " The"), (0.5, 1.0, " product"), (1.0, 1.2, " is"), (1.2, 2.0, " great,"),
        (5.0, 5.3, " but"), (5.3, 5.6, " the"), (5.6, 6.0, " delivery"), (6.0, 6.2, " is"),
        (6.2, 6.5, " always"), (6.5, 7.0, " late."),
    ]  # fmt: skip
    turns = [
        TurnText(
            "en1",
            None,
            "B",
            0.0,
            7.0,
            "The product is great, but the delivery is always late.",
            words,
        ),
        TurnText("it1", None, "B", 0.0, 3.0, "Il supporto è veloce e le persone sono gentili."),
    ]
    units = units_from_turns(turns)
    assert [(u.lang, u.start_s, u.end_s) for u in units] == [
        ("en", 0.0, 2.0),
        ("en", 5.0, 7.0),
        ("it", 0.0, 3.0),
    ]
    assert units[0].id == "en1:0:0" and units[2].id == "it1:1:0"


def test_unit_round_trips_through_json() -> None:
    unit = Unit(
        id="d:s:0", doc_id="d", text="Direi un otto perché funziona.", lang="it", start_char=0,
        end_char=30, source_id="s", speaker="B", start_s=1.0, end_s=2.5, turn_index=3,
        question_id="q4",
        codes=[CodeAssignment("product/quality", 0.8, "positive", "model")],
        sentiment="positive", sentiment_score=0.7,
        reason=Reason("funziona", "perché", True, 22, 30),
        rating=SpokenRating(8.0, "nps", 0.0, 10.0, "un otto", 6, 13, "q4"),
    )  # fmt: skip
    assert Unit.from_dict(json.loads(json.dumps(unit.to_dict()))) == unit
    with pytest.raises(ValueError, match="positive"):
        CodeAssignment("a/b", 0.5, sentiment="happy")
    with pytest.raises(ValueError, match="0..1"):
        CodeAssignment("a/b", 1.5)


def test_language_helpers() -> None:
    assert SUPPORTED_LANGUAGES == ("it", "en")
    assert [normalise_language(x) for x in ("IT", "it-IT", "italiano", "en_US", "English")] == [
        "it", "it", "it", "en", "en",
    ]  # fmt: skip
    for bad in ("fr", "", None):
        with pytest.raises(UnsupportedLanguage):
            normalise_language(bad)  # type: ignore[arg-type]
    assert detect_language("Le consegne sono sempre in ritardo e il supporto non risponde") == "it"
    assert detect_language("The deliveries are always late and support does not answer") == "en"
    assert detect_language("OK 8", default="en") == "en"
    assert fold("Perché PIÙ l’azienda") == "perche piu l'azienda"
    assert len(fold("ﬁ İ")) == 3


def test_italian_pipeline_has_sentences_and_lemmas() -> None:
    doc = nlp("it")("Le consegne arrivano in ritardo. Il supporto è ottimo!")
    assert [s.text for s in doc.sents] == [
        "Le consegne arrivano in ritardo.",
        "Il supporto è ottimo!",
    ]
    assert [t.lemma_ for t in doc][:3] == ["il", "consegna", "arrivare"]
    assert nlp("it") is nlp("IT")


def test_sentence_offsets_strip_spaces() -> None:
    text = "  Prima frase senza punto  "
    assert [text[a:b] for a, b in sentence_offsets(text, "it")] == ["Prima frase senza punto"]


@pytest.mark.skipif(not SHARED_CODING.exists(), reason="shared evaluation data not present")
@pytest.mark.parametrize(
    ("name", "lang"), [("absita2018_it.csv", "it"), ("semeval2014_restaurants_en.csv", "en")]
)
def test_offsets_hold_on_real_review_sentences(name: str, lang: str) -> None:
    with (SHARED_CODING / name).open(encoding="utf-8") as handle:
        rows = [row["text"] for _, row in zip(range(300), csv.DictReader(handle), strict=False)]
    for text in rows:
        units = split_units(text, lang)
        assert units or not text.strip()
        for unit in units:
            assert text[unit.start_char : unit.end_char] == unit.text
        starts = [u.start_char for u in units]
        assert starts == sorted(starts)


# (unit text, language, substantive?): small talk, backchannels, bare ratings and questions
# back never carry a theme; short real answers do. Independent of any codebook.
GATE = [
    ("Buongiorno, nessun problema.", "it", False),
    ("Buongiorno.", "it", False),
    ("Buongiorno a lei.", "it", False),
    ("Sì, certo, può registrare.", "it", False),
    ("Sì, va bene.", "it", False),
    ("Grazie a lei, arrivederci.", "it", False),
    ("Grazie Giulia, buona giornata!", "it", False),
    ("Mah, direi un sei.", "it", False),
    ("Direi un sei, non di più.", "it", False),
    ("Oggi le darei un cinque.", "it", False),
    ("Guardi, un sette glielo do volentieri.", "it", False),
    ("Un quattro su cinque.", "it", False),
    ("Tre, diciamo.", "it", False),
    ("Ho solo dieci minuti, però.", "it", False),
    ("Scusi, può ripetere la domanda?", "it", False),
    ("In che senso?", "it", False),
    ("Hi Tom.", "en", False),
    ("Yes, that's fine.", "en", False),
    ("Morning.", "en", False),
    ("Okay, go ahead.", "en", False),
    ("My pleasure. Bye for now.", "en", False),
    ("Thanks.", "en", False),
    ("Ten, without hesitation.", "en", False),
    ("Honestly, a four.", "en", False),
    ("I'd give you a five at the moment.", "en", False),
    ("Nine out of ten.", "en", False),
    ("Can you repeat the question?", "en", False),
    ("What do you mean by support?", "en", False),
    ("Sorry, which one?", "en", False),
    ("Nel complesso bene, lavoriamo insieme da tre anni.", "it", True),
    ("Gli avvisi.", "it", True),
    ("La fatturazione.", "it", True),
    ("Troppo lento.", "it", True),
    ("Tre. Al telefono sono disponibili.", "it", True),
    ("Sì, va bene, ma le dico subito che non è un bel periodo.", "it", True),
    ("Grazie, ma le fatture sono ancora sbagliate.", "it", True),
    ("Perché pagare di più per un servizio più lento?", "it", True),
    ("Un otto, perché il supporto risponde subito.", "it", True),
    ("The tracking.", "en", True),
    ("Support response times.", "en", True),
    ("Not great, I'm afraid.", "en", True),
    ("Hi Tom, the invoices are wrong again.", "en", True),
    ("Thanks. Sarah calls us back the same day.", "en", True),
    ("Why would we pay more for a slower service?", "en", True),
    ("I'd say a nine out of ten, because Sarah always calls us back.", "en", True),
    ("We have been a customer for 10 years.", "en", True),
    ("Buongiorno, le consegne arrivano sempre in ritardo.", "it", True),
    ("Certo, il portale è difficile da usare.", "it", True),
    ("Non va bene per niente.", "it", True),
    ("Ciao, ho un problema con le fatture.", "it", True),
    ("Okay, the portal is hard to use.", "en", True),
    ("That's not right.", "en", True),
    ("Yes, delivery is the main issue.", "en", True),
]


@pytest.mark.parametrize(("text", "lang", "expected"), GATE)
def test_small_talk_gate(text: str, lang: str, expected: bool) -> None:
    assert is_substantive(text, lang) is expected


def test_gate_table_is_balanced_and_bilingual() -> None:
    assert len(GATE) >= 40
    coded = sum(expected for *_, expected in GATE)
    assert 0.4 <= coded / len(GATE) <= 0.6
    assert {(lang, expected) for _, lang, expected in GATE} == {
        ("it", True), ("it", False), ("en", True), ("en", False)
    }


def test_content_words_drop_small_talk_numbers_and_greeted_names() -> None:
    assert content_words("Hi Tom, the invoices are wrong again.", "en") == ["invoices", "wrong"]
    assert content_words("Grazie a lei, arrivederci.", "it") == []
    # a capitalised word after a full stop is a new sentence, not a greeted name
    assert "sarah" in content_words("Thanks. Sarah calls us back.", "en")
    assert not is_substantive("", "en") and not is_substantive("   ", "it")
