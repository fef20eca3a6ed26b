"""Ratings said aloud: Italian and English phrasings, with the numbers that are not ratings."""

from __future__ import annotations

import json

import pytest

from coding.errors import InvalidRating, NotEnoughData
from coding.ratings import (
    extract_rating,
    find_ratings,
    is_rating_question,
    nps,
    nps_group,
    question_scale,
)
from coding.schema import SpokenRating

# (text, lang, answers a rating question?, expected value or None)
PHRASINGS = [
    ("Direi un otto.", "it", None, 8.0),
    ("Sette e mezzo.", "it", None, 7.5),
    ("Un 7 pieno, senza dubbio.", "it", None, 7.0),
    ("Otto su dieci.", "it", None, 8.0),
    ("Vi darei 7,5 su 10.", "it", None, 7.5),
    ("Vi darei 7.5", "it", None, 7.5),
    ("Mah, un sei, sei e mezzo.", "it", None, 6.5),
    ("Tra sette e otto.", "it", None, 7.5),
    ("Sette o otto.", "it", True, 7.5),
    ("Otto, anzi nove.", "it", True, 9.0),
    ("Otto.", "it", True, 8.0),
    ("Sei.", "it", True, 6.0),
    ("Dieci e lode!", "it", None, 10.0),
    ("Da zero a dieci direi otto.", "it", None, 8.0),
    ("Non vi darei mai un dieci, ma un otto sì.", "it", None, 8.0),
    ("Il mio voto è otto perché il servizio è buono.", "it", None, 8.0),
    ("L'anno scorso vi avrei dato un sei, oggi direi un otto.", "it", None, 8.0),
    ("Un otto abbondante.", "it", None, 8.0),
    ("Siamo clienti dal 2015 e direi che un 9 ve lo meritate.", "it", None, 9.0),
    ("Vi do 9.", "it", None, 9.0),
    ("Nine out of ten.", "en", None, 9.0),
    ("A solid 7.", "en", None, 7.0),
    ("I'd give you an 8.", "en", None, 8.0),
    ("Maybe a six, six and a half.", "en", None, 6.5),
    ("10/10, really.", "en", None, 10.0),
    ("On a scale of 1 to 10, I'd say 8.", "en", None, 8.0),
    ("Honestly? A nine.", "en", None, 9.0),
    ("Between 7 and 8 I think.", "en", None, 7.5),
    ("Eight-ish.", "en", True, 8.0),
    ("I'd rate you a 9 overall.", "en", None, 9.0),
    ("Ne abbiamo provati tre, voi siete i migliori: nove.", "it", True, 9.0),
    ("Lavoriamo con voi da 10 anni, direi otto.", "it", True, 8.0),
    ("Guardi, un sette glielo do volentieri.", "it", True, 7.0),
    ("Un otto ve lo meritate.", "it", None, 8.0),
    ("Ten, without hesitation.", "en", True, 10.0),
    ("Direi un sei, non di più.", "it", None, 6.0),
    # unpunctuated ASR runs, in answer to the rating question
    ("mah direi un sei non di più", "it", True, 6.0),
    ("cinque senza dubbio sono sempre gentili", "it", True, 5.0),
    ("quattro quando ho chiamato hanno corretto tutto", "it", True, 4.0),
    ("a five whenever i call i get a real person", "en", True, 5.0),
    # not ratings
    ("Otto.", "it", None, None),  # a bare number needs a rating question
    ("Direi otto.", "it", False, None),  # "direi" alone is too weak a cue
    ("Lavoriamo con voi da 10 anni.", "it", None, None),
    ("Le consegne arrivano con 2 giorni di ritardo.", "it", True, None),
    ("Abbiamo tre magazzini.", "it", True, None),
    ("Abbiamo ordinato tre o quattro bancali.", "it", True, None),
    ("Nel 2019 abbiamo cambiato fornitore.", "it", True, None),
    ("Sei stato molto gentile.", "it", True, None),
    ("Un fornitore affidabile.", "it", True, None),
    ("Il 15% degli ordini arriva tardi.", "it", True, None),
    ("Ci sentiamo alle 8 e mezza.", "it", None, None),
    ("Mi avete risposto dopo 3 ore.", "it", True, None),
    ("Il dieci percento.", "it", True, None),
    ("Non vi darei mai un dieci.", "it", None, None),
    ("L'anno scorso vi avrei dato un sei.", "it", None, None),  # past only
    ("The shipment was 2 days late.", "en", True, None),
    ("We've been customers since 2019.", "en", True, None),
    ("One of the best suppliers we have.", "en", True, None),
    ("We have two warehouses and ten people.", "en", True, None),
    ("I'd say two days.", "en", True, None),
    ("We called them 8 times.", "en", True, None),
    ("I wouldn't give you a ten.", "en", None, None),
    ("Our waiter helped pick a good one.", "en", None, None),
    ("We waited 10 minutes until they gave us the one we wanted 2) had to wait.", "en", None, None),
    ("The call is at 9:30 tomorrow.", "en", True, None),
    ("Four stars.", "en", None, None),  # stars only on the CSAT scale
    ("I have been a customer for 10 years.", "en", True, None),
    ("Siamo clienti da dieci anni.", "it", True, None),
    ("Abbiamo avuto 2 consegne in ritardo.", "it", True, None),
    ("two people are polite but slow", "en", True, None),  # a count, even after the question
    ("tre non bastano", "it", True, None),
]


@pytest.mark.parametrize(("text", "lang", "rating_question", "expected"), PHRASINGS)
def test_phrasings(
    text: str, lang: str, rating_question: bool | None, expected: float | None
) -> None:
    rating = extract_rating(text, lang, rating_question=rating_question)
    assert (rating.value if rating else None) == expected
    if rating is not None:
        assert text[rating.start_char : rating.end_char] == rating.text
        assert rating.scale == "nps" and (rating.scale_min, rating.scale_max) == (0.0, 10.0)


def test_table_is_big_and_balanced() -> None:
    assert len(PHRASINGS) >= 25
    assert sum(e is None for *_, e in PHRASINGS) >= 10
    assert {lang for _, lang, *_ in PHRASINGS} == {"it", "en"}


def test_rating_text_covers_the_spoken_words() -> None:
    assert extract_rating("Guardi, direi un otto pieno.", "it").text == "un otto pieno"
    assert extract_rating("Nine out of ten, easily.", "en").text == "Nine out of ten"
    assert extract_rating("Maybe a six, six and a half.", "en").text == "six and a half"
    assert extract_rating("Tra sette e otto.", "it").text == "Tra sette e otto"


@pytest.mark.parametrize(
    ("text", "lang", "scale", "expected"),
    [
        ("Quattro stelle su cinque.", "it", "csat", 4.0),
        ("Four stars.", "en", "csat", 4.0),
        ("CSAT: 4 su 5", "it", "csat", 4.0),
        ("Direi un 8.", "it", "csat", None),  # outside 1-5
        ("Otto su dieci.", "it", "csat", None),  # another scale stated
        ("A 6 out of 7, it was easy.", "en", "ces", 6.0),
        ("Zero.", "it", "csat", None),  # below the CSAT minimum
    ],
)
def test_scales(text: str, lang: str, scale: str, expected: float | None) -> None:
    rating = extract_rating(text, lang, scale, rating_question=True)
    assert (rating.value if rating else None) == expected
    if rating:
        assert rating.scale == scale


def test_the_question_decides_for_bare_numbers() -> None:
    answer = "Otto, perché il supporto è veloce."
    assert extract_rating(answer, "it") is None
    asked = extract_rating(
        answer, "it", question="Da 0 a 10, quanto ci consiglierebbe a un collega?", question_id="q4"
    )
    assert asked is not None and asked.value == 8.0 and asked.question_id == "q4"
    assert extract_rating(answer, "it", question="Quanti fornitori avete?") is None
    assert (
        extract_rating("Eight.", "en", question="How likely are you to recommend us?").value == 8.0
    )


def test_is_rating_question() -> None:
    assert is_rating_question("Da 0 a 10, quanto ci consiglierebbe a un collega?")
    assert is_rating_question("Che voto darebbe al nostro supporto?")
    assert is_rating_question("On a scale from one to ten, how likely are you to recommend us?")
    assert not is_rating_question("Come sono andate le consegne quest'anno?")
    assert not is_rating_question("")


def test_find_ratings_lists_every_rating_in_order() -> None:
    found = find_ratings("I'd rate the onboarding a 9 but support a 6.", "en")
    assert [r.value for r in found] == [9.0, 6.0]
    assert extract_rating("I'd rate the onboarding a 9 but support a 6.", "en").value == 9.0
    assert find_ratings("", "it") == []


def test_language_is_detected_when_not_given() -> None:
    assert extract_rating("Direi un otto pieno, il servizio è buono.").value == 8.0
    assert extract_rating("I would give you a nine.").value == 9.0


def test_unknown_scale_is_refused() -> None:
    with pytest.raises(InvalidRating, match="nps, csat, ces"):
        extract_rating("Otto.", "it", "stars")


def test_rating_round_trips_through_json() -> None:
    rating = extract_rating("Direi un otto.", "it", question_id="q1")
    assert SpokenRating.from_dict(json.loads(json.dumps(rating.to_dict()))) == rating


@pytest.mark.parametrize(
    ("score", "group"),
    [
        (10, "promoter"),
        (9, "promoter"),
        (8.5, "passive"),
        (7, "passive"),
        (6.5, "detractor"),
        (0, "detractor"),
    ],
)
def test_nps_group(score: float, group: str) -> None:
    assert nps_group(score) == group


def test_nps() -> None:
    assert nps([10, 9, 8, 7, 6, 0]) == pytest.approx(100 * (2 - 2) / 6)
    assert nps([10, 10, 3, None]) == pytest.approx(100 / 3)
    assert nps([9, 10]) == 100.0 and nps([0, 6]) == -100.0
    with pytest.raises(NotEnoughData):
        nps([None])
    with pytest.raises(InvalidRating, match="between 0 and 10"):
        nps_group(11)


@pytest.mark.parametrize(
    ("question", "scale"),
    [
        ("Da zero a dieci, quanto è probabile che ci raccomandi a un collega?", "nps"),
        ("On a scale from 0 to 10, how likely are you to recommend us?", "nps"),
        ("Da uno a cinque, quanto è soddisfatta del nostro servizio clienti?", "csat"),
        ("From one to five, how satisfied are you with our support?", "csat"),
        ("How easy was it to solve your problem, from 1 to 7?", "ces"),
        ("Quanto ci consiglierebbe a un collega?", "nps"),
        ("Perché questo punteggio?", None),  # asks why, names no scale
        ("Why that score?", None),
        ("Come sta andando il rapporto con noi?", None),
    ],
)
def test_question_scale(question: str, scale: str | None) -> None:
    assert question_scale(question) == scale


def test_custom_scale_range() -> None:
    rating = extract_rating("Direi un sei.", "it", "custom", rating_question=True, scale_range=(1, 6))
    assert rating is not None and rating.value == 6.0 and (rating.scale_min, rating.scale_max) == (1.0, 6.0)
    assert extract_rating("Sette.", "it", "custom", rating_question=True, scale_range=(1, 6)) is None
    with pytest.raises(InvalidRating, match="0-10"):
        extract_rating("Otto.", "it", "custom", scale_range=(1, 100))
