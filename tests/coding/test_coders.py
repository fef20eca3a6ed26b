"""Theme coders: no forced codes, themes before sub-codes, few examples, the guide question prior."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from embedding_fakes import FakeEmbedder

from coding.classify import (
    QUESTION_BOOST,
    SupervisedCoder,
    ZeroShotCoder,
    _apply_question_prior,
    _decide,
    _parent_index,
    content_lemmas,
)
from coding.codebook import Code, Codebook
from coding.errors import CodingError

pytestmark = pytest.mark.usefixtures("fresh_cache")


def book() -> Codebook:
    return Codebook([
        Code("delivery", "Delivery", "Shipping and delivery of the goods.",
             ["The delivery was fine.", "Shipping works."]),
        Code("delivery/late", "Late delivery", "Goods arrive late, after the promised date.",
             ["The truck arrived late again.", "Late shipments every week."]),
        Code("delivery/damaged", "Damaged goods", "Goods broken or damaged in transport.",
             ["The boxes arrived broken.", "Damaged pallets."]),
        Code("invoicing", "Invoice errors", "Invoices with wrong prices.",
             ["The invoice had wrong prices.", "Invoices wrong again."],
             translations={"it": {"name": "Errori in fattura",
                                  "description": "Fatture con prezzi sbagliati.",
                                  "examples": ["La fattura aveva prezzi sbagliati."]}}),
        Code("support", "Support team", "Support team answers tickets.",
             ["Support team answers tickets quickly."]),
    ])


UNRELATED = "Nice weather in Milan yesterday, we went skiing."


def test_lemmas_fold_accents_and_drop_stop_words() -> None:
    assert content_lemmas("The invoices were wrong", "en") == ["invoice", "wrong"]
    assert "fattura" in content_lemmas("Le fatture sono sbagliate, perché?", "it")
    assert "perche" not in content_lemmas("Le fatture sono sbagliate, perché?", "it")


def test_zero_shot_gives_no_code_to_an_unrelated_answer(fake: FakeEmbedder) -> None:
    coder = ZeroShotCoder(book(), embedder=fake)
    found = coder.predict([UNRELATED, "Every invoice has wrong prices."], lang="en")
    assert found[0] == []
    assert [c for c, _ in found[1]] == ["invoicing"]


def test_zero_shot_gives_at_most_two_codes(fake: FakeEmbedder) -> None:
    coder = ZeroShotCoder(book(), embedder=fake, threshold=0.0)
    assert coder.max_codes == 2
    text = ("The delivery was late, the invoice had wrong prices and the support team "
            "never answers tickets.")
    found = coder.predict([text], lang="en")[0]
    assert len(found) == 2
    assert len({c.split("/")[0] for c, _ in found}) == 2  # two themes, not a theme twice


def test_lexical_evidence_uses_the_code_words_in_the_text_language(fake: FakeEmbedder) -> None:
    coder = ZeroShotCoder(book(), embedder=fake)
    L = coder.lexical(["Le fatture hanno prezzi sbagliati.", UNRELATED], ["it", "en"])
    assert L[0, coder.codes.index("invoicing")] > 0.5
    assert np.all(L[1] == 0)
    # Lemmas shared by siblings count less than a lemma only one code has.
    lexicon = coder._lexicon_for("en")
    late = lexicon[coder.codes.index("delivery/late")]
    assert late["late"] > late.get("goods", 0.0)


def test_a_sub_code_never_comes_without_its_theme() -> None:
    paths = ["delivery", "delivery/late", "invoicing"]
    parents = _parent_index(paths)
    assert parents.tolist() == [-1, 0, -1]
    thresholds = np.array([0.5, 0.5, 0.5])
    assignable = np.ones(3, dtype=bool)
    P = np.array([[0.4, 0.9, 0.1],    # the sub-code is sure, its theme is not: nothing
                  [0.7, 0.9, 0.1],    # both: the sub-code
                  [0.7, 0.3, 0.6],    # the theme alone, then invoicing
                  [0.1, 0.1, 0.1]])   # nothing
    found = _decide(P, thresholds, paths, parents, assignable, 2)
    assert found == [[], [("delivery/late", 0.9)], [("delivery", 0.7), ("invoicing", 0.6)], []]
    not_assignable = np.array([False, True, True])
    assert _decide(P[2:3], thresholds, paths, parents, not_assignable, 2) == [[("invoicing", 0.6)]]


def test_zero_shot_sub_codes_only_under_an_assigned_theme(fake: FakeEmbedder) -> None:
    # No gap term (see test_zero_shot_uses_the_text_language): the fake's raw similarities
    # have code-specific baselines the real model's do not.
    coder = ZeroShotCoder(book(), embedder=fake, max_codes=None, gap_weight=0.0)
    texts = ["The truck with the goods arrived late, after the promised date.",
             "Late, as usual.", UNRELATED, "Support team answers tickets."]
    scores = coder.scores(texts, lang="en")
    found = coder.predict(texts, lang="en")
    assert found[0][0][0] == "delivery/late"
    theme = coder.codes.index("delivery")
    for row, prediction in zip(scores, found, strict=True):
        for path, _ in prediction:
            if "/" in path:
                assert row[theme] >= coder.threshold


def five_per_code() -> tuple[list[str], list[list[str]]]:
    texts = [
        "The truck arrived late after the promised date",
        "Late delivery again this week",
        "Our shipment came two days late",
        "Deliveries are always late",
        "The goods were late and production stopped",
        "The invoice had wrong prices",
        "Every invoice shows a wrong price",
        "Wrong prices on the bill again",
        "The invoice amount was wrong",
        "Invoices with wrong discounts",
        "The support team answered our ticket quickly",
        "Support answers tickets in an hour",
        "The helpdesk team solved the ticket",
        "Support team replied to my ticket",
        "Tickets are answered by the support team",
    ]
    labels = [["delivery/late"]] * 5 + [["invoicing"]] * 5 + [["support"]] * 5
    return texts, labels


def test_supervised_learns_from_five_decisions_per_code(fake: FakeEmbedder) -> None:
    texts, labels = five_per_code()
    coder = SupervisedCoder(embedder=fake).fit(texts, labels)
    assert coder.trained_.all()
    found = coder.predict(["The delivery truck was late again", "Wrong price on the invoice",
                           "The support team answered the ticket", UNRELATED])
    assert [c for c, _ in found[0]] == ["delivery/late"]
    assert [c for c, _ in found[1]] == ["invoicing"]
    assert [c for c, _ in found[2]] == ["support"]
    assert found[3] == []
    # Four decisions are not enough for a model of its own.
    fewer = SupervisedCoder(embedder=fake).fit(texts[1:], labels[1:])
    assert not fewer.trained_[fewer.labels_.index("delivery/late")]
    assert fewer.trained_[fewer.labels_.index("invoicing")]


@pytest.mark.parametrize("features", ["both", "embeddings", "ngrams"])
def test_every_feature_set_trains_and_round_trips(fake: FakeEmbedder, tmp_path: Path,
                                                  features: str) -> None:
    texts, labels = five_per_code()
    coder = SupervisedCoder(embedder=fake, features=features, codebook=book()).fit(
        texts, labels, lang="en")
    probe = ["The delivery truck was late again", "Wrong price on the invoice", UNRELATED,
             "The boxes arrived broken"]
    questions = ["How were the deliveries?", None, "How were the deliveries?", None]
    before = coder.predict(probe, "en", questions=questions)
    assert before[0] and before[0][0][0] == "delivery/late"
    loaded = SupervisedCoder.load(coder.save(tmp_path / f"coder-{features}"), embedder=fake)
    assert loaded.features == features
    assert loaded.predict(probe, "en", questions=questions) == before
    np.testing.assert_allclose(loaded.predict_proba(probe, "en"), coder.predict_proba(probe, "en"))


def test_supervised_respects_the_hierarchy(fake: FakeEmbedder) -> None:
    texts, labels = five_per_code()
    texts += ["The boxes arrived broken", "Damaged pallets again", "Broken goods in transport",
              "The goods were damaged", "Two boxes arrived damaged"]
    labels += [["delivery/damaged"]] * 5
    coder = SupervisedCoder(embedder=fake, codebook=book()).fit(texts, labels, lang="en")
    theme = coder.labels_.index("delivery")
    assert coder.positives_[theme] == 10  # late and damaged both teach the theme
    probe = ["The truck was late", "Broken boxes", "Late and damaged goods", UNRELATED,
             "Wrong prices on the invoice and the truck was late"]
    P = coder.predict_proba(probe, "en")
    for row, prediction in zip(P, coder.predict(probe, "en"), strict=True):
        assert len(prediction) <= 3
        for path, _ in prediction:
            if path.startswith("delivery/"):
                assert row[theme] >= coder.thresholds_[theme]


def test_question_prior_raises_modestly_and_only_with_evidence() -> None:
    thresholds = np.array([0.5, 0.5, 0.5])
    P = np.array([[0.45, 0.10, 0.0], [0.95, 0.29, 0.31]])
    relevance = np.array([[1.0, 1.0, 1.0], [1.0, 0.5, 0.5]])
    raised = _apply_question_prior(P, thresholds, relevance)
    assert raised[0, 0] == pytest.approx(0.45 + QUESTION_BOOST)  # some evidence: raised
    assert raised[0, 1] == 0.10 and raised[0, 2] == 0.0          # no evidence: untouched
    assert raised[1, 0] == 1.0                                   # capped
    assert raised[1, 1] == 0.29                                  # below QUESTION_FLOOR x threshold
    assert raised[1, 2] == pytest.approx(0.31 + QUESTION_BOOST / 2)
    assert np.all(raised >= P)
    assert _apply_question_prior(P, thresholds, None) is P


def test_question_prior_never_assigns_alone(fake: FakeEmbedder) -> None:
    coder = ZeroShotCoder(book(), embedder=fake, max_codes=None)
    question = "Tell me about the invoices: were the prices on the invoice wrong?"
    relevance = coder.question_relevance([question, "Where is your company based?", None],
                                         ["en", "en", "en"])
    assert relevance[0, coder.codes.index("invoicing")] == 1.0
    assert relevance[0, coder.codes.index("support")] == 0.0
    assert np.all(relevance[1:] == 0.0)  # an unrelated question, or none, names nothing
    # An answer with no evidence for the code stays uncoded whatever the question.
    assert coder.predict([UNRELATED], "en", questions=[question]) == [[]]
    answer = "Prices were a problem."
    plain = dict(coder.predict([answer], "en")[0])
    asked = dict(coder.predict([answer], "en", questions=[question])[0])
    assert set(asked) == set(plain) == {"invoicing"}
    assert plain["invoicing"] <= asked["invoicing"] <= plain["invoicing"] + QUESTION_BOOST
    assert (coder.predict([answer], "en", questions=["Where is your company based?"])
            == coder.predict([answer], "en"))
    with pytest.raises(CodingError, match="one per text"):
        coder.predict([answer, UNRELATED], "en", questions=[question])


def test_supervised_question_prior_never_assigns_alone(fake: FakeEmbedder) -> None:
    texts, labels = five_per_code()
    coder = SupervisedCoder(embedder=fake).fit(texts, labels)
    found = coder.predict([UNRELATED, "Wrong price on the invoice"],
                          questions=["Were the invoices wrong?", "Were the invoices wrong?"])
    assert found[0] == []
    assert found[1][0][0] == "invoicing"
