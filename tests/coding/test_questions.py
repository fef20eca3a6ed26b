"""Interviewer turns matched to the interview guide, and units given their question."""

from __future__ import annotations

import json

import numpy as np
import pytest

from coding.questions import _viterbi, assign_questions, match_questions, question_similarity
from coding.schema import QuestionMatch, TurnText
from coding.units import units_from_turns

GUIDE = [
    ("q1", "Da quanto tempo lavorate con noi e come ci avete scelto?"),
    ("q2", "Come valuta la puntualità delle consegne?"),
    ("q3", "Come giudica il supporto tecnico dopo la vendita?"),
    ("q4", "Da 0 a 10, quanto ci consiglierebbe a un collega?"),
    ("q5", "Cosa dovremmo migliorare per primo?"),
]
ROLES = {"I": "interviewer", "R": "respondent"}


def interview(doc: str = "d1") -> list[TurnText]:
    lines = [
        ("I", "Buongiorno, mi sente bene? Grazie per il tempo che ci dedica."),
        ("R", "Sì, la sento benissimo."),
        ("I", "Allora, per cominciare: da quanto tempo siete clienti, e perché ci avete scelti?"),
        ("R", "Da circa quattro anni, per il prezzo."),
        ("I", "Perfetto. Passiamo alle consegne: arrivano puntuali secondo lei?"),
        ("R", "Non sempre. Spesso arrivano in ritardo di due giorni."),
        ("I", "Capisco. Interessante."),
        ("R", "Sì, è un problema serio per noi."),
        ("I", "E l'assistenza tecnica dopo l'acquisto, come la giudica?"),
        ("R", "Buona, i tecnici sono competenti."),
        ("I", "Su una scala da zero a dieci, con che probabilità ci raccomanderebbe a un collega?"),
        ("R", "Direi un otto."),
        ("I", "E cosa dovremmo migliorare?"),
        ("R", "Le consegne, senza dubbio."),
    ]
    return [
        TurnText(doc, f"s{i}", speaker, i * 5.0, i * 5.0 + 4.0, text)
        for i, (speaker, text) in enumerate(lines)
    ]


def test_italian_paraphrases_match_and_small_talk_does_not() -> None:
    matches = match_questions(interview(), GUIDE, "it", roles=ROLES)
    assert [(m.turn_index, m.question_id) for m in matches] == [
        (2, "q1"), (4, "q2"), (8, "q3"), (10, "q4"), (12, "q5"),
    ]  # fmt: skip
    assert all(0.2 <= m.score <= 1.0 and m.doc_id == "d1" for m in matches)


def test_only_the_interviewer_is_matched_when_roles_are_given() -> None:
    turns = interview()
    turns[13] = turns[13]._replace(text="Cosa dovreste migliorare per primo? Le consegne.")
    matched = {m.turn_index for m in match_questions(turns, GUIDE, "it", roles=ROLES)}
    assert 13 not in matched
    assert 13 in {m.turn_index for m in match_questions(turns, GUIDE, "it")}


def test_plain_strings_and_mapping_guide() -> None:
    turns = ["Buongiorno!", "Cosa dovremmo migliorare secondo lei?", "Grazie mille, arrivederci."]
    matches = match_questions(turns, dict(GUIDE))
    assert matches == [QuestionMatch(1, "q5", matches[0].score, None)]


def test_english_guide() -> None:
    guide = [
        ("onboarding", "How did the onboarding go for your team?"),
        ("support", "How would you rate our customer support?"),
        ("nps", "How likely are you to recommend us to a colleague, from 0 to 10?"),
    ]
    turns = [
        "Thanks for making the time today.",
        "Let's start with onboarding: how was it for your team?",
        "And when you need help, how is the support you get from us?",
        "Would you recommend us to a peer? Zero to ten.",
        "Great, that's all from me.",
    ]
    assert [(m.turn_index, m.question_id) for m in match_questions(turns, guide, "en")] == [
        (1, "onboarding"), (2, "support"), (3, "nps"),
    ]  # fmt: skip


def test_order_breaks_near_ties_but_not_clear_wins() -> None:
    scores = np.array(
        [
            [0.90, 0.00, 0.00, 0.00],
            [0.00, 0.80, 0.00, 0.00],
            [0.50, 0.00, 0.45, 0.00],  # close call: q3 keeps the guide's order
            [0.00, 0.00, 0.00, 0.70],
            [0.90, 0.00, 0.30, 0.00],  # clear win: going back to q1 is allowed
            [0.05, 0.10, 0.00, 0.00],  # below the threshold: no question
        ]
    )
    assert _viterbi(scores, threshold=0.2, penalty=0.1) == [0, 1, 2, 3, 0, None]
    assert _viterbi(scores, threshold=0.2, penalty=0.0) == [0, 1, 0, 3, 0, None]
    assert _viterbi(np.array([[0.1, 0.15]]), threshold=0.2, penalty=0.1) == [None]


def test_assign_questions_follows_the_last_matched_turn() -> None:
    turns = interview()
    units = units_from_turns(turns, "it", roles=ROLES)
    matches = match_questions(turns, GUIDE, "it", roles=ROLES)
    assign_questions(units, matches)
    by_text = {u.text: u.question_id for u in units}
    assert by_text["Sì, la sento benissimo."] is None
    assert by_text["Da circa quattro anni, per il prezzo."] == "q1"
    assert by_text["Spesso arrivano in ritardo di due giorni."] == "q2"
    assert by_text["Sì, è un problema serio per noi."] == "q2"  # after small talk, same topic
    assert by_text["Direi un otto."] == "q4"
    assert by_text["Le consegne, senza dubbio."] == "q5"


def test_documents_are_kept_apart() -> None:
    turns = interview("a") + interview("b")[:6]
    matches = match_questions(turns, GUIDE, "it", roles=ROLES)
    assert {m.doc_id for m in matches} == {"a", "b"}
    units = assign_questions(units_from_turns(turns, "it", roles=ROLES), matches)
    last_of_b = [u for u in units if u.doc_id == "b"][-1]
    assert last_of_b.question_id == "q2"  # not q5 from document a
    first_of_b = next(u for u in units if u.doc_id == "b")
    assert first_of_b.question_id is None


def test_empty_inputs_and_similarity() -> None:
    assert match_questions([], GUIDE) == []
    assert match_questions(interview(), []) == []
    assert match_questions(["", "  "], GUIDE) == []
    assert question_similarity("Cosa dovremmo migliorare?", GUIDE[4][1], "it") > 0.5
    assert question_similarity("Buongiorno, mi sente?", GUIDE[4][1], "it") < 0.1
    with pytest.raises(ValueError, match="question_id, text"):
        match_questions(["Cosa migliorare?"], [("q1", "a", "b")])  # type: ignore[list-item]


def test_match_round_trips_through_json() -> None:
    match = QuestionMatch(3, "q2", 0.42, "d1")
    assert QuestionMatch.from_dict(json.loads(json.dumps(match.to_dict()))) == match
