"""Customer stories: prose in the study's language, verbatim quotes, reasons, actions."""

from __future__ import annotations

import pytest
from storytelling_corpora import unit

from storytelling import build_account_story, build_stories, build_story, choose_quote
from storytelling.errors import InvalidCorpus
from storytelling.schema import CodedCorpus, InterviewData, StudyInfo


def test_english_detractor_story(en_corpus: CodedCorpus) -> None:
    interview = en_corpus.interviews[0]
    story = build_story(interview, en_corpus.study, en_corpus.code_names)
    text = story.text
    assert story.kind == "interview" and story.language == "en"
    assert story.title.startswith("Acme Foods:")
    assert "late shipments" in story.title
    assert "3 out of 10" in text and "detractor" in text
    assert "Maria Lopez" in text and "Sarah Collins" in text
    assert "the trucks are always booked at the last minute" in text
    # the quote is verbatim, with its timestamp, set after a paragraph
    quote = story.quotes[0]
    assert quote.unit_id == "e1-u1" and quote.timestamp == "1:01"
    assert quote.text in interview.units[0].text
    assert quote.paragraph is not None and quote.paragraph < len(story.paragraphs)
    assert story.nps_group == "detractor" and story.rating == 3
    assert [p.path for p in story.pains] == ["delivery/late-shipments"]
    assert [d.path for d in story.delights] == ["product/quality"]
    # one action, drawn from the negative reason the customer gave, with its count
    assert [a.owner for a in story.actions] == ["Logistics"]
    assert story.actions[0].text == ("Address: “the trucks are always booked at the last minute” "
                                     "(1 account)")
    assert story.status == "draft"


def test_story_is_deterministic(en_corpus: CodedCorpus) -> None:
    first = build_stories(en_corpus)
    assert build_stories(en_corpus) == first


def test_italian_story_reads_italian(it_corpus: CodedCorpus) -> None:
    story = build_story(it_corpus.interviews[0], it_corpus.study, it_corpus.code_names)
    text = story.text
    for word in ("è un cliente", "perché", "detrattori", "Intervenire su", "l'8 marzo 2025",
                 "«Ritardi nelle consegne»", "criticità" if "criticità" in text else "dolente"):
        assert word in text, word
    assert "because" not in text and " the " not in text
    assert "«Le consegne arrivano sempre in ritardo" in text
    assert story.actions[0].owner == "Logistica"
    assert "Contabilità clienti" in [a.owner for a in story.actions]


def test_account_story_joins_respondents(it_corpus: CodedCorpus) -> None:
    verdi = [i for i in it_corpus.interviews if i.account.startswith("Verdi")]
    story = build_account_story(verdi, it_corpus.study, it_corpus.code_names)
    assert story.kind == "account" and story.id == "account:Verdi Alimentari S.p.A."
    assert story.respondents == ["Chiara Esposito", "Luca Marino"]
    assert story.rating == 8 and story.nps_group == "passive"
    assert "Abbiamo parlato con due persone" in story.text
    assert "un promotore e un passivo" in story.text
    assert {q.respondent for q in story.quotes} <= {"Chiara Esposito", "Luca Marino"}


def test_build_stories_makes_one_per_account(it_corpus: CodedCorpus) -> None:
    stories = build_stories(it_corpus)
    assert [s.kind for s in stories] == ["interview", "account"]


def test_account_story_refuses_two_accounts(it_corpus: CodedCorpus) -> None:
    with pytest.raises(InvalidCorpus, match="one story per account"):
        build_account_story(it_corpus.interviews, it_corpus.study)


def test_pinned_quote_overrides_the_choice(en_corpus: CodedCorpus) -> None:
    interview = en_corpus.interviews[1]  # late shipments and good support
    default = build_story(interview, en_corpus.study, en_corpus.code_names)
    assert "e2-u3" not in [q.unit_id for q in default.quotes]
    pinned = build_story(interview, en_corpus.study, en_corpus.code_names,
                         pinned_quote_ids=["e2-u3"])
    assert "e2-u3" in [q.unit_id for q in pinned.quotes]


def test_quote_choice_prefers_length_reason_and_strength() -> None:
    short = unit("a", "Too slow.", sentiment="negative", reason="slow", score=-1.0)
    long = unit("b", " ".join(["word"] * 45), sentiment="negative", reason="x", score=-1.0)
    plain = unit("c", "The deliveries are late nearly every single week this year.",
                 sentiment="negative", score=-0.9)
    reasoned = unit("d", "The deliveries are late because trucks are booked at the last minute.",
                    sentiment="negative", reason="trucks are booked at the last minute", score=-0.5)
    stronger = unit("e", "Deliveries are always late because nobody plans the trucks ahead.",
                    sentiment="negative", reason="nobody plans the trucks ahead", score=-0.8)
    assert choose_quote([short, long, plain, reasoned]).id == "d"
    assert choose_quote([short, long, plain, reasoned, stronger]).id == "e"
    assert choose_quote([short, long]).id == "a"  # nothing in 8-40 words: the shorter one
    assert choose_quote([short, long], pinned_ids=["b"]).id == "b"
    assert choose_quote([plain, reasoned], sentiments=["positive"]) is None


def test_interviewer_lines_are_never_quoted() -> None:
    question = unit("q", "So tell me why the deliveries are late so often these days?",
                    sentiment="negative", speaker="interviewer", reason="why", score=-1.0)
    study = StudyInfo(id="s", title="t")
    interview = InterviewData(id="i", account="A", respondent="Ann", units=[question])
    story = build_story(interview, study)
    assert story.quotes == []


def test_story_without_rating_or_themes_still_reads(en_corpus: CodedCorpus) -> None:
    study = StudyInfo(id="s", title="t", language="en")
    interview = InterviewData(id="i", account="Quiet Ltd", respondent="Sam Hill",
                              units=[unit("u", "We have been customers for years.")])
    story = build_story(interview, study)
    assert "did not give a rating" in story.text
    assert "No real pain points" in story.text
    assert story.nps_group is None and story.actions == []
    italian = build_story(interview, StudyInfo(id="s", title="t", language="it"))
    assert "non ha dato una valutazione" in italian.text
    assert "non sono emerse vere criticità" in italian.text


def test_story_in_another_language_than_the_study(en_corpus: CodedCorpus) -> None:
    story = build_story(en_corpus.interviews[0], en_corpus.study, language="it")
    assert story.language == "it" and "su 10" in story.text


def test_a_mixed_unit_is_not_quoted_as_praise_or_complaint() -> None:
    mixed = unit("m", "Sulle spedizioni niente da dire, il problema è l'amministrazione.",
                 ("delivery", "positive"), ("invoicing", "negative"), sentiment="mixed")
    plain = unit("p", "Le spedizioni arrivano sempre puntuali, anche d'estate.",
                 ("delivery", "positive"), sentiment="positive")
    assert choose_quote([mixed], sentiments=["positive"], path="delivery") is None
    assert choose_quote([mixed], sentiments=["negative"], path="invoicing") is None
    assert choose_quote([mixed, plain], sentiments=["positive"], path="delivery").id == "p"
    confirmed = unit("c", mixed.text, ("delivery", "positive"), sentiment="mixed", analyst=True)
    assert choose_quote([confirmed], sentiments=["positive"], path="delivery").id == "c"
