"""code_transcript end to end with a fake coder and embedder: every spoken rating, small talk left alone."""

from __future__ import annotations

import json

import pytest
from embedding_fakes import FakeEmbedder

from coding.pipeline import (
    CodedTranscript,
    GuideItem,
    TranscriptTurn,
    code_transcript,
    is_codable,
)
from coding.schema import SpokenRating
from coding.units import is_substantive

ROLES = {"I": "interviewer", "R": "respondent"}
GUIDE_EN = [
    GuideItem("q1", "How is the relationship with us going overall?"),
    GuideItem("q2", "On a scale from zero to ten, how likely are you to recommend us to a colleague?",
              kind="rating", scale="nps"),
    GuideItem("q3", "Why that score?"),
    GuideItem("q4", "From one to five, how satisfied are you with our customer support?",
              kind="rating", scale="csat"),
]
GUIDE_IT = [
    GuideItem("q1", "Come sta andando, in generale, il rapporto con noi?"),
    GuideItem("q2", "Da zero a dieci, quanto è probabile che ci raccomandi a un collega?",
              kind="rating", scale="nps"),
    GuideItem("q3", "Perché questo punteggio?"),
    GuideItem("q4", "Da uno a cinque, quanto è soddisfatto del nostro servizio clienti?",
              kind="rating", scale="csat"),
]


class FakeCoder:
    """Codes every text it is given as 'x'; records texts and the questions it was told."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.questions: list[str | None] = []

    def predict(self, texts, lang, questions=None):
        self.texts += list(texts)
        self.questions += list(questions) if questions is not None else [None] * len(texts)
        return [[("x", 0.9)] for _ in texts]


class OldCoder:
    """A coder written before the question prior existed: predict(texts, lang) only."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def predict(self, texts, lang):
        self.texts += list(texts)
        return [[("x", 0.9)] for _ in texts]


def turns_of(script: list[tuple[str, str]]) -> list[TranscriptTurn]:
    return [TranscriptTurn(id=str(k), speaker=who, start=float(k), end=k + 0.9, text=text)
            for k, (who, text) in enumerate(script)]


def code(script: list[tuple[str, str]], guide: list[GuideItem], lang: str, coder=None) -> CodedTranscript:
    return code_transcript(turns_of(script), roles=ROLES, guide=guide, coder=coder or FakeCoder(),
                           language=lang, embedder=FakeEmbedder())


def interview_en(nps_answer: list[str], csat_answer: list[str]) -> list[tuple[str, str]]:
    return [
        ("I", "Good morning, this is Tom from Sirio Logistics. May I record this call?"),
        ("R", "Morning. Yes, go ahead."),
        ("I", "How is the relationship with us going overall?"),
        ("R", "Not great. The onboarding took six weeks and the portal is hard to use."),
        ("I", "On a scale from zero to ten, how likely are you to recommend us to a colleague?"),
        *[("R", text) for text in nps_answer],
        ("I", "Why that score?"),
        ("R", "Because support takes three days to reply, and we have been a customer for 10 years."),
        ("I", "From one to five, how satisfied are you with our customer support?"),
        *[("R", text) for text in csat_answer],
        ("I", "Thank you, that is really useful."),
        ("R", "Thanks. Bye for now."),
    ]


def by_scale(coded: CodedTranscript) -> dict[str, SpokenRating]:
    return {r.scale: r for r in coded.ratings}


def unit(coded: CodedTranscript, unit_id: str | None):
    return next(u for u in coded.units if u.id == unit_id)


def test_nps_and_csat_both_found_with_their_questions_and_headline_nps() -> None:
    coded = code(interview_en(["Honestly, a four."], ["Two. People are polite, but slow."]), GUIDE_EN, "en")
    found = by_scale(coded)
    assert set(found) == {"nps", "csat"}
    assert (found["nps"].value, found["nps"].question_id) == (4.0, "q2")
    assert (found["csat"].value, found["csat"].question_id) == (2.0, "q4")
    assert (found["csat"].scale_min, found["csat"].scale_max) == (1.0, 5.0)
    assert coded.rating is found["nps"] and coded.rating_unit_id == found["nps"].unit_id
    assert unit(coded, found["nps"].unit_id).text == "Honestly, a four."
    assert unit(coded, found["nps"].unit_id).rating is found["nps"]
    # the "10 years" in the why-answer is no rating
    assert [r.scale for r in coded.ratings] == ["nps", "csat"]


def test_headline_is_nps_even_when_csat_is_asked_first() -> None:
    script = [
        ("I", "From one to five, how satisfied are you with our customer support?"),
        ("R", "A five."),
        ("I", "On a scale from zero to ten, how likely are you to recommend us to a colleague?"),
        ("R", "I'd say a nine."),
    ]
    coded = code(script, GUIDE_EN, "en")
    assert [(r.scale, r.value) for r in coded.ratings] == [("csat", 5.0), ("nps", 9.0)]
    assert coded.rating.scale == "nps" and coded.rating.value == 9.0


def test_study_without_its_headline_rating_gets_no_headline() -> None:
    coded = code(interview_en(["I'd rather not say."], ["Four out of five."]), GUIDE_EN, "en")
    assert [(r.scale, r.value) for r in coded.ratings] == [("csat", 4.0)]
    assert coded.rating is None and coded.rating_unit_id is None


def test_rating_split_across_two_turns() -> None:
    coded = code(interview_en(["Honestly, a", "4"], ["Two."]), GUIDE_EN, "en")
    nps_rating = by_scale(coded)["nps"]
    assert nps_rating.value == 4.0 and nps_rating.question_id == "q2"
    holder = unit(coded, nps_rating.unit_id)
    assert holder.text == "4"
    assert holder.text[nps_rating.start_char:nps_rating.end_char] == nps_rating.text == "4"
    assert nps_rating.quote == "Honestly, a 4"


@pytest.mark.parametrize(
    ("answer", "lang", "value"),
    [
        ("a 10", "en", 10.0),
        ("Ten, without hesitation.", "en", 10.0),
        ("Dieci.", "it", 10.0),
        ("Dieci, senza esitazione.", "it", 10.0),
        ("Direi un sei, non di più.", "it", 6.0),
        ("Mah. Guardi, un sette glielo do volentieri.", "it", 7.0),
    ],
)
def test_rating_answers_as_asr_writes_them(answer: str, lang: str, value: float) -> None:
    if lang == "en":
        coded = code(interview_en([answer], ["Three."]), GUIDE_EN, "en")
    else:
        script = [
            ("I", "Come sta andando, in generale, il rapporto con noi?"),
            ("R", "Bene, ma le consegne arrivano spesso in ritardo."),
            ("I", "Da zero a dieci, quanto è probabile che ci raccomandi a un collega?"),
            ("R", answer),
            ("I", "Perché questo punteggio?"),
            ("R", "Perché siamo clienti da dieci anni e abbiamo avuto 2 consegne in ritardo."),
        ]
        coded = code(script, GUIDE_IT, "it")
    found = by_scale(coded)
    assert found["nps"].value == value and found["nps"].question_id == "q2"
    assert coded.rating is found["nps"]
    holder = unit(coded, found["nps"].unit_id)
    assert holder.text[found["nps"].start_char:found["nps"].end_char] == found["nps"].text
    assert holder.codes == []  # a bare rating keeps its rating but gets no theme
    assert len(coded.ratings) == (2 if lang == "en" else 1)  # "10 years", "dieci anni", "2 consegne": no ratings


def test_rating_said_in_passing_without_its_question() -> None:
    script = [
        ("I", "Come sta andando, in generale, il rapporto con noi?"),
        ("R", "Nel complesso bene. Direi un sei, non di più, per via dei ritardi."),
    ]
    coded = code(script, GUIDE_IT, "it")
    assert [(r.scale, r.value, r.question_id) for r in coded.ratings] == [("nps", 6.0, None)]
    assert coded.rating is coded.ratings[0]


def test_counts_in_answers_are_never_ratings() -> None:
    script = [
        ("I", "Come sta andando, in generale, il rapporto con noi?"),
        ("R", "Siamo clienti da dieci anni. Abbiamo avuto 2 consegne in ritardo a settembre."),
        ("I", "How long have you worked with us?"),
        ("R", "I have been a customer for 10 years."),
    ]
    coded = code(script, GUIDE_IT, "it")
    assert coded.ratings == [] and coded.rating is None


def test_answer_after_an_unmatched_rating_question_is_found() -> None:
    script = [
        ("I", "Da zero a dieci, quanto ci consiglierebbe a un collega?"),
        ("R", "Otto."),
        ("I", "Da uno a cinque, quanto è soddisfatto del supporto?"),
        ("R", "Quattro."),
    ]
    coded = code(script, [], "it")  # no guide: nothing to match the questions to
    assert [(r.scale, r.value, r.question_id) for r in coded.ratings] == [("nps", 8.0, None), ("csat", 4.0, None)]
    assert coded.rating.scale == "nps"


def test_custom_scale_from_the_guide() -> None:
    guide = [GuideItem("q9", "Da uno a sei, che voto darebbe alla puntualità delle consegne?", kind="rating",
                       scale="custom", scale_min=1, scale_max=6)]
    script = [("I", "Da uno a sei, che voto darebbe alla puntualità delle consegne?"), ("R", "Un cinque.")]
    coded = code(script, guide, "it")
    assert [(r.scale, r.value, r.scale_max, r.question_id) for r in coded.ratings] == [("custom", 5.0, 6.0, "q9")]


def test_small_talk_and_bare_ratings_are_never_coded() -> None:
    coder = FakeCoder()
    coded = code(interview_en(["Honestly, a four."], ["Two."]), GUIDE_EN, "en", coder=coder)
    uncoded = {u.text for u in coded.units if not u.codes}
    assert {"Morning.", "Yes, go ahead.", "Honestly, a four.", "Two.", "Thanks.", "Bye for now."} <= uncoded
    assert not set(coder.texts) & uncoded
    for u in coded.units:
        if u.text in uncoded and not is_substantive(u.text, "en"):
            assert u.sentiment == "neutral" and u.sentiment_score == 0.0 and u.reason is None
    assert any(u.codes for u in coded.units)
    assert is_codable("The portal is hard to use.", "en") and not is_codable("Okay, go ahead.", "en")


def test_a_one_word_verdict_keeps_its_sentiment_but_gets_no_theme() -> None:
    # "Mostly good." is an opinion (it reaches the review queue) but one word cannot tell a theme
    assert is_substantive("Mostly good.", "en") and not is_codable("Mostly good.", "en")
    assert is_substantive("Gli avvisi.", "it") and not is_codable("Gli avvisi.", "it")


def test_coder_gets_the_guide_question_as_prior() -> None:
    coder = FakeCoder()
    coded = code(interview_en(["Honestly, a four."], ["Two."]), GUIDE_EN, "en", coder=coder)
    asked = dict(zip(coder.texts, coder.questions, strict=True))
    assert asked["Because support takes three days to reply, and we have been a customer for 10 years."] \
        == GUIDE_EN[2].text
    assert any(u.question_id == "q3" for u in coded.units)


def test_coder_without_the_questions_keyword_still_works() -> None:
    coder = OldCoder()
    coded = code(interview_en(["Honestly, a four."], ["Two."]), GUIDE_EN, "en", coder=coder)
    assert coder.texts and "Morning." not in coder.texts
    assert coded.rating.value == 4.0


def test_to_dict_carries_every_rating() -> None:
    coded = code(interview_en(["Honestly, a four."], ["Two."]), GUIDE_EN, "en")
    data = json.loads(json.dumps(coded.to_dict()))
    assert [(r["scale"], r["value"], r["question_id"]) for r in data["ratings"]] == [("nps", 4.0, "q2"),
                                                                                      ("csat", 2.0, "q4")]
    assert data["ratings"][0]["unit_id"] == data["rating_unit_id"]
    assert SpokenRating.from_dict(data["ratings"][1]) == coded.ratings[1]


def test_interviewer_backchannel_inside_a_split_rating() -> None:
    script = [
        ("I", "On a scale from zero to ten,"),
        ("I", "how likely are you to recommend us to a colleague?"),
        ("R", "Honestly, a"),
        ("I", "Mm-hm."),
        ("R", "4."),
        ("I", "Why that score?"),
        ("R", "Because two of our last three invoices were wrong."),
    ]
    for guide in (GUIDE_EN, []):
        coded = code(script, guide, "en")
        assert [(r.scale, r.value) for r in coded.ratings] == [("nps", 4.0)]
        assert unit(coded, coded.rating_unit_id).text == "4."


def test_why_question_is_not_taken_for_a_rating_question() -> None:
    guide = [GuideItem("q2", "Che voto ci darebbe, da zero a dieci?", kind="rating", scale="nps")]
    script = [
        ("I", "Che voto ci darebbe?"),
        ("R", "Non saprei, davvero."),
        ("I", "Perché questo punteggio?"),
        ("R", "Tre. Tre consegne su dieci arrivano tardi."),
    ]
    coded = code(script, guide, "it")
    assert [m.turn_index for m in coded.question_matches] == [0]  # the why-question matches nothing
    assert coded.ratings == [] and coded.rating is None


def test_rating_question_of_unknown_scale_gives_no_rating() -> None:
    unknown_range = [GuideItem("q7", "Che voto darebbe alla puntualità?", kind="rating", scale="custom"),
                     GuideItem("q8", "Da zero a dieci, quanto ci raccomanderebbe?", kind="rating", scale="nps")]
    script = [("I", "Che voto darebbe alla puntualità?"), ("R", "Un cinque.")]
    coded = code(script, unknown_range, "it")
    assert coded.ratings == []  # never guessed onto 0-10, nor onto the NPS still missing
    two_scales = [GuideItem("q1", "Da zero a dieci, quanto ci raccomanderebbe?", kind="rating", scale="nps"),
                  GuideItem("q2", "Da uno a cinque, quanto è soddisfatto?", kind="rating", scale="csat")]
    script = [("I", "E che voto darebbe, in generale, ai nostri autisti?"), ("R", "Un quattro.")]
    assert code(script, two_scales, "it").ratings == []


def test_an_answer_to_an_improvement_question_is_never_praise() -> None:
    guide = [*GUIDE_EN, GuideItem("q5", "What is the one thing we should improve first?")]
    script = [
        ("I", "How is the relationship with us going overall?"),
        ("R", "Really good, the drivers are excellent and always friendly."),
        ("I", "What is the one thing we should improve first?"),
        ("R", "The excellent punctuality of your deliveries, which we always loved."),
    ]
    coded = code(script, guide, "en")
    praise, improvement = (next(u for u in coded.units if text in u.text) for text in ("drivers", "punctuality"))
    assert improvement.question_id == "q5" and praise.question_id == "q1"
    assert praise.sentiment == "positive"  # the same words elsewhere are praise
    assert improvement.sentiment != "positive" and improvement.codes
    assert all(c.sentiment != "positive" for c in improvement.codes)
