"""Reasons-why: explicit causal markers, implicit reasons, and grouping into sub-themes."""

from __future__ import annotations

import json

import pytest

from coding.errors import UnsupportedLanguage
from coding.reasons import ReasonItem, extract_reason, group_reasons, is_evaluative, reason_items
from coding.schema import CodeAssignment, Reason, ReasonGroup, Unit

EXPLICIT = [
    ("Non siamo soddisfatti perché le consegne arrivano sempre in ritardo.", "it",
     "perché", "le consegne arrivano sempre in ritardo"),
    ("Il prodotto si rompe poiché i materiali sono scadenti.", "it",
     "poiché", "i materiali sono scadenti"),
    ("Siccome il magazzino ha poco personale, gli ordini partono tardi.", "it",
     "Siccome", "il magazzino ha poco personale"),
    ("Dato che il listino cambia ogni mese, non riusciamo a pianificare.", "it",
     "Dato che", "il listino cambia ogni mese"),
    ("Abbiamo avuto problemi a causa del nuovo gestionale, che non funziona.", "it",
     "a causa del", "nuovo gestionale"),
    ("Vi consiglierei grazie al supporto tecnico sempre disponibile.", "it",
     "grazie al", "supporto tecnico sempre disponibile"),
    ("Le consegne arrivano in ritardo per via degli scioperi dei corrieri.", "it",
     "per via degli", "scioperi dei corrieri"),
    ("Le consegne arrivano in ritardo, quindi abbiamo perso dei clienti.", "it",
     "quindi", "Le consegne arrivano in ritardo"),
    ("Il portale è lento per cui ordiniamo ancora per telefono.", "it",
     "per cui", "Il portale è lento"),
    ("Perché? Perché costa troppo rispetto alla concorrenza.", "it",
     "Perché", "costa troppo rispetto alla concorrenza"),
    ("We left because the support never answered our tickets.", "en",
     "because", "the support never answered our tickets"),
    ("Since they never answer the phone, we escalate by email.", "en",
     "Since", "they never answer the phone"),
    ("Delays happen due to the understaffed warehouse, especially in summer.", "en",
     "due to", "the understaffed warehouse"),
    ("We renewed thanks to the new pricing model.", "en",
     "thanks to", "the new pricing model"),
    ("The support was slow, so we moved to another vendor.", "en",
     "so", "The support was slow"),
    ("The warehouse is understaffed, that's why orders ship late.", "en",
     "that's why", "The warehouse is understaffed"),
    ("We love the product because it just works, but the price is high.", "en",
     "because", "it just works"),
    ("Invoices were wrong for months and as a result we changed supplier.", "en",
     "as a result", "Invoices were wrong for months"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "lang", "marker", "reason"), EXPLICIT)
def test_explicit_reasons(text: str, lang: str, marker: str, reason: str) -> None:
    found = extract_reason(text, lang)
    assert found is not None
    assert (found.marker, found.text, found.explicit) == (marker, reason, True)
    assert text[found.start_char : found.end_char] == found.text


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("We've been customers since 2019.", "en"),
        ("Since the merger, invoices come from Milan.", "en"),
        ("Since we switched to you, things improved a lot.", "en"),
        ("It has been better since they hired a new manager.", "en"),
        ("It was so slow that we gave up.", "en"),
        ("I think so.", "en"),
        ("The food was so-so, the service good.", "en"),
        ("She was rude, and not because she was tired.", "en"),
        ("Non so perché abbiano cambiato il listino.", "it"),
        ("Grazie a lei.", "it"),
        ("Perché sì.", "it"),
        ("Il motivo per cui vi abbiamo scelto è storico.", "it"),
        ("Quindi niente, tutto bene.", "it"),
        ("Il servizio è buono.", "it"),
    ],
)
def test_markers_that_give_no_reason(text: str, lang: str) -> None:
    assert extract_reason(text, lang) is None


def test_implicit_reason_from_the_next_sentence() -> None:
    found = extract_reason(
        "Il servizio è peggiorato.", "it", next_text="Le consegne arrivano sempre in ritardo."
    )
    assert found == Reason("Le consegne arrivano sempre in ritardo", None, False, None, None)
    english = extract_reason(
        "Onboarding was painful.",
        "en",
        next_text="Nobody told us how to configure the integration.",
    )
    assert english is not None and not english.explicit
    assert english.text == "Nobody told us how to configure the integration"


def test_next_sentence_opening_with_a_marker_gives_the_reason() -> None:
    found = extract_reason(
        "Il servizio è ottimo.", "it", next_text="Perché rispondono subito al telefono."
    )
    assert found == Reason("rispondono subito al telefono", "Perché", False, None, None)


@pytest.mark.parametrize(
    ("text", "next_text"),
    [
        ("Il servizio è peggiorato.", "Però il prezzo è giusto."),  # contrast: a new opinion
        ("Il prodotto funziona bene.", "Poi abbiamo anche un altro fornitore."),  # new topic
        ("Il prodotto funziona bene.", "Il prezzo invece è alto."),
        ("Siamo molto contenti.", "Grazie."),  # too short
        (
            "Abbiamo quattro sedi in Lombardia.",
            "Le consegne arrivano sempre il martedì.",
        ),  # no opinion
        ("Il servizio è peggiorato.", "Lei cosa ne pensa?"),  # a question
        ("The service got worse.", "So we are looking at other vendors now."),  # a consequence
    ],
)
def test_no_implicit_reason(text: str, next_text: str) -> None:
    assert extract_reason(text, None, next_text=next_text) is None


def test_explicit_reason_wins_over_the_next_sentence() -> None:
    found = extract_reason(
        "Siamo insoddisfatti perché il portale è lento.",
        "it",
        next_text="Le fatture sono sbagliate.",
    )
    assert found is not None and found.explicit and found.text == "il portale è lento"


def test_edge_inputs() -> None:
    assert extract_reason("", "it") is None
    assert extract_reason("   ", "en", next_text="Because.") is None
    with pytest.raises(UnsupportedLanguage):
        extract_reason("Parce que c'est cher.", "fr")
    assert is_evaluative("Il supporto è lento") and is_evaluative("Pricing is too expensive")
    assert not is_evaluative("Abbiamo quattro sedi in Lombardia")


def test_group_reasons_italian() -> None:
    items = [
        ReasonItem("delivery/late", "il magazzino ha poco personale", "d1", "Acme"),
        ReasonItem("delivery/late", "manca personale in magazzino", "d2", "Beta"),
        ReasonItem("delivery/late", "poco personale nel magazzino", "d3", "Gamma"),
        ReasonItem("delivery/late", "il magazzino è sotto organico", "d4", "Acme"),
        ReasonItem("delivery/late", "il corriere cambia spesso", "d5", "Delta"),
        ReasonItem("delivery/late", "hanno cambiato corriere di nuovo", "d6", "Delta"),
        ReasonItem("price/high", "il listino è aumentato", "d1", "Acme"),
    ]
    groups = group_reasons(items, "it")
    assert list(groups) == ["delivery/late", "price/high"]
    first, second = groups["delivery/late"]
    assert first.label == "magazzino" and first.n_docs == 4 and first.n_accounts == 3
    assert first.doc_ids == ["d1", "d2", "d3", "d4"]
    assert first.example == "poco personale nel magazzino"
    assert first.keywords[:2] == ["magazzino", "personale"]
    assert set(second.texts) == {"il corriere cambia spesso", "hanno cambiato corriere di nuovo"}
    assert second.n_docs == 2 and second.n_accounts == 1
    assert "corriere" in second.keywords
    # the label is a phrase that really occurs in the reasons
    for group in groups["delivery/late"]:
        assert any(group.label in text for text in group.texts)
    # input order does not matter
    assert group_reasons(list(reversed(items)), "it") == groups


def test_group_reasons_english_and_phrase_labels() -> None:
    items = [
        ("support", "the ticket queue is too long", "d1"),
        ("support", "a long ticket queue every week", "d2"),
        ("support", "the ticket queue never moves", "d3"),
        ("support", "nobody speaks Italian on the phone", "d4"),
    ]
    groups = group_reasons(items, "en")["support"]
    assert groups[0].label == "ticket queue" and groups[0].n_docs == 3
    assert groups[1].texts == ["nobody speaks Italian on the phone"]
    assert group_reasons([], "en") == {}
    with pytest.raises(ValueError, match="threshold"):
        group_reasons(items, "en", threshold=0)


def test_reason_items_from_units_and_json() -> None:
    units = [
        Unit("u1", "d1", "Lenti perché manca personale.", "it", 0, 29,
             codes=[CodeAssignment("delivery/late"), CodeAssignment("staff")],
             reason=Reason("manca personale", "perché", True, 13, 28)),
        Unit("u2", "d2", "Ottimo.", "it", 0, 7, codes=[CodeAssignment("quality")]),
    ]  # fmt: skip
    items = reason_items(units, accounts={"d1": "Acme"})
    assert items == [
        ReasonItem("delivery/late", "manca personale", "d1", "Acme", "u1"),
        ReasonItem("staff", "manca personale", "d1", "Acme", "u1"),
    ]
    group = group_reasons(items, "it")["staff"][0]
    assert group.unit_ids == ["u1"]
    assert ReasonGroup.from_dict(json.loads(json.dumps(group.to_dict()))) == group
