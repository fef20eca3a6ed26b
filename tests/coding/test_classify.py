"""Deductive coding: zero-shot against a codebook, supervised learning, persistence, cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from embedding_fakes import FakeEmbedder

from coding import embeddings
from coding.classify import SupervisedCoder, ZeroShotCoder, resolve_languages
from coding.codebook import Code, Codebook
from coding.errors import CodingError, NotEnoughData

pytestmark = pytest.mark.usefixtures("fresh_cache")


def codebook() -> Codebook:
    return Codebook([
        Code("delivery", "Delivery", "Shipping."),
        Code("delivery/late", "Late delivery", "Delivery arrives late after the promised date.",
             ["The delivery arrived late again.", "Late trucks every week."],
             translations={"it": {"name": "Consegna in ritardo",
                                  "description": "La consegna arriva in ritardo.",
                                  "examples": ["La consegna è arrivata in ritardo."]}}),
        Code("invoicing", "Invoice errors", "Invoices with wrong prices.",
             ["The invoice had wrong prices.", "Invoices wrong again."],
             translations={"it": {"name": "Errori in fattura",
                                  "description": "Fatture con prezzi sbagliati.",
                                  "examples": ["La fattura aveva prezzi sbagliati."]}}),
        Code("support", "Support team", "Support team answers tickets.",
             ["Support team answers tickets quickly."]),
    ])


TEXTS = [
    "The delivery was late again this month.",
    "Every invoice has wrong prices.",
    "The support team answers our tickets.",
    "Nice weather in Milan yesterday.",
]


def test_zero_shot_assigns_the_matching_leaf(fake: FakeEmbedder) -> None:
    coder = ZeroShotCoder(codebook(), embedder=fake)
    assert coder.codes == ["delivery", "delivery/late", "invoicing", "support"]
    assert ZeroShotCoder(codebook(), embedder=fake, leaves_only=True).codes == [
        "delivery/late", "invoicing", "support"]
    found = coder.predict(TEXTS, lang="en")
    assert found[0][0][0] == "delivery/late"
    assert found[1][0][0] == "invoicing"
    assert found[2][0][0] == "support"
    gated = ZeroShotCoder(codebook(), embedder=fake, reference_z=1.0).predict(TEXTS, lang="en")
    assert gated[3] == []  # about nothing in the codebook: no closer to it than small talk
    assert [p[0][0] for p in gated[:3]] == ["delivery/late", "invoicing", "support"]
    small_talk = coder.predict(["Thank you, that is all from my side."], lang="en")
    assert small_talk == [[]]
    ungated = ZeroShotCoder(codebook(), embedder=fake, small_talk_gate=False, threshold=0.0)
    assert ungated.predict(["Thank you, that is all from my side."], lang="en") != [[]]
    for prediction in found:
        confidences = [c for _, c in prediction]
        assert confidences == sorted(confidences, reverse=True)
        assert all(0.0 <= c <= 1.0 for c in confidences)


def test_zero_shot_uses_the_text_language(fake: FakeEmbedder) -> None:
    # No gap term: the fake embedder's raw similarities have code-specific baselines far
    # apart in units of their tiny spread, which the real model's do not.
    coder = ZeroShotCoder(codebook(), embedder=fake, gap_weight=0.0)
    italian = ["La fattura ha prezzi sbagliati.", "La consegna è arrivata in ritardo."]
    found = coder.predict(italian, lang="it")
    assert [p[0][0] for p in found] == ["invoicing", "delivery/late"]
    # The fake embedder does not translate: with English wording nothing matches as well.
    english_scores = coder.scores(italian, lang="en")
    italian_scores = coder.scores(italian, lang="it")
    assert italian_scores[0, coder.codes.index("invoicing")] > english_scores[0, coder.codes.index("invoicing")]


def test_zero_shot_limits_and_threshold(fake: FakeEmbedder) -> None:
    top = float(ZeroShotCoder(codebook(), embedder=fake).scores(TEXTS, lang="en").max())
    strict = ZeroShotCoder(codebook(), embedder=fake, threshold=float(np.nextafter(top, 2.0)))
    assert all(p == [] for p in strict.predict(TEXTS, lang="en"))
    capped = ZeroShotCoder(codebook(), embedder=fake, threshold=0.0, max_codes=2)
    assert all(len(p) == 2 for p in capped.predict(TEXTS, lang="en"))
    everything = ZeroShotCoder(codebook(), embedder=fake, threshold=0.0, max_codes=None)
    assert all(len(p) == 3 for p in everything.predict(TEXTS, lang="en"))  # one path per theme
    assert ZeroShotCoder(codebook(), embedder=fake).predict([], lang="en") == []
    with pytest.raises(CodingError, match="no codes"):
        ZeroShotCoder(Codebook([]), embedder=fake)


def test_languages_given_per_text_or_detected() -> None:
    assert resolve_languages(["a", "b"], "it") == ["it", "it"]
    assert resolve_languages(["a", "b"], ["en", "it"]) == ["en", "it"]
    assert resolve_languages(["The delivery is late and the invoices are wrong.",
                              "La consegna è in ritardo e le fatture sono sbagliate."], None) == ["en", "it"]
    with pytest.raises(CodingError, match="one per text"):
        resolve_languages(["a", "b"], ["en"])


def training_data() -> tuple[list[str], list[list[str]]]:
    texts, labels = [], []
    for n in range(12):
        texts.append(f"Delivery late truck number {n} arrived after the date")
        labels.append(["delivery/late"])
        texts.append(f"Invoice wrong price on bill {n} again")
        labels.append(["invoicing"])
        texts.append(f"Support ticket {n} answered by the helpdesk")
        labels.append(["support"])
        texts.append(f"Delivery late and invoice wrong price, case {n}")
        labels.append(["delivery/late", "invoicing"])
    return texts, labels


def test_supervised_learns_labels(fake: FakeEmbedder) -> None:
    texts, labels = training_data()
    coder = SupervisedCoder(embedder=fake).fit(texts, labels)
    assert coder.labels_ == ["delivery", "delivery/late", "invoicing", "support"]
    assert coder.positives_.tolist() == [24, 24, 24, 12]  # a sub-code's decisions count for its theme
    assert coder.assignable_.tolist() == [False, True, True, True]  # never coded at theme level
    found = coder.predict(["The delivery truck was late", "Wrong price on the invoice",
                           "Helpdesk answered my support ticket"])
    assert found[0][0][0] == "delivery/late"
    assert found[1][0][0] == "invoicing"
    assert found[2][0][0] == "support"
    assert "support" not in {c for c, _ in found[0] + found[1]}
    assert {c for c, _ in found[2]} == {"support"}


def test_supervised_is_deterministic_and_persists(fake: FakeEmbedder, tmp_path: Path) -> None:
    texts, labels = training_data()
    first = SupervisedCoder(embedder=fake, seed=3).fit(texts, labels)
    second = SupervisedCoder(embedder=fake, seed=3).fit(texts, labels)
    np.testing.assert_array_equal(first.coef_, second.coef_)
    np.testing.assert_array_equal(first.thresholds_, second.thresholds_)
    path = first.save(tmp_path / "study-7-coder")
    assert path.suffix == ".npz"
    loaded = SupervisedCoder.load(path, embedder=fake)
    probe = ["Late delivery truck", "Invoice price wrong"]
    assert loaded.predict(probe) == first.predict(probe)
    np.testing.assert_allclose(loaded.predict_proba(probe), first.predict_proba(probe))
    other = FakeEmbedder()
    other.name = "another-model"
    with pytest.raises(CodingError, match="trained on fake-bag-of-words embeddings"):
        SupervisedCoder.load(path, embedder=other)


def test_supervised_sample_weight_changes_the_model(fake: FakeEmbedder) -> None:
    texts, labels = training_data()
    plain = SupervisedCoder(embedder=fake, tune_thresholds=False).fit(texts, labels)
    weights = [5.0 if "support" in row else 1.0 for row in labels]
    weighted = SupervisedCoder(embedder=fake, tune_thresholds=False).fit(texts, labels,
                                                                         sample_weight=weights)
    assert not np.allclose(plain.coef_, weighted.coef_)
    with pytest.raises(CodingError, match="one non-negative weight per text"):
        SupervisedCoder(embedder=fake).fit(texts, labels, sample_weight=[1.0])


def test_codebook_prior_covers_codes_without_labels(fake: FakeEmbedder) -> None:
    texts, labels = training_data()
    only_support = [[x for x in row if x != "invoicing"] for row in labels]
    coder = SupervisedCoder(embedder=fake, codebook=codebook()).fit(texts, only_support, lang="en")
    assert "invoicing" in coder.labels_
    assert not coder.trained_[coder.labels_.index("invoicing")]
    found = coder.predict(["Every invoice has wrong prices."], lang="en")
    assert found[0] and found[0][0][0] == "invoicing"


def test_supervised_errors(fake: FakeEmbedder, tmp_path: Path) -> None:
    with pytest.raises(CodingError, match="not trained"):
        SupervisedCoder(embedder=fake).predict(["x"])
    with pytest.raises(NotEnoughData):
        SupervisedCoder(embedder=fake).fit(["a", "b"], [[], []])
    with pytest.raises(CodingError, match="one per text"):
        SupervisedCoder(embedder=fake).fit(["a", "b"], [["x"]])
    bogus = tmp_path / "bogus.npz"
    bogus.write_bytes(b"not a zip")
    with pytest.raises(CodingError, match="Retrain"):
        SupervisedCoder.load(bogus)


def test_embedding_cache_avoids_re_embedding(fake: FakeEmbedder) -> None:
    first = embeddings.embed(["one text", "two texts", "one text"], embedder=fake)
    assert fake.calls == 1 and fake.texts == ["one text", "two texts"]  # duplicates once
    again = embeddings.embed(["two texts", "three"], embedder=fake)
    assert fake.texts == ["one text", "two texts", "three"]
    np.testing.assert_array_equal(first[1], again[0])
    np.testing.assert_allclose(np.linalg.norm(again, axis=1), 1.0, rtol=1e-5)
    embeddings.embed(["one text"], kind="passage", embedder=fake)  # another prefix: new vector
    assert fake.texts[-1] == "one text"
    with pytest.raises(ValueError, match="query' or 'passage"):
        embeddings.embed(["x"], kind="document", embedder=fake)


def test_embedding_cache_survives_a_restart(fake: FakeEmbedder, tmp_path: Path) -> None:
    embeddings.embed(["kept"], embedder=fake)
    assert embeddings.save_cache(tmp_path / "cache.npz") == 1
    embeddings.clear_cache()
    assert embeddings.load_cache(tmp_path / "cache.npz") == 1
    embeddings.embed(["kept"], embedder=fake)
    assert fake.calls == 1
    assert embeddings.load_cache(tmp_path / "missing.npz") == 0


@pytest.mark.models
def test_real_zero_shot_on_the_starter_codebook() -> None:
    from coding.codebook import starter_codebook

    coder = ZeroShotCoder(starter_codebook())
    texts = [
        "The goods arrived two weeks late and our production line stopped.",
        "Le fatture arrivano sempre con errori nei prezzi.",
        "Il nostro referente commerciale è bravissimo, risponde sempre.",
        "You raised prices twice this year without any warning.",
        "Support never answers the phone after four o'clock.",
    ]
    expected = ["delivery/late-shipments", "invoicing/invoice-errors",
                "account-management/account-manager", "pricing/price-increases",
                "support/reachability"]
    found = coder.predict(texts)
    assert [p[0][0] if p else None for p in found] == expected


@pytest.mark.models
@pytest.mark.xfail(strict=True, reason=(
    "Known miss: 'si blocca' shares the lemma 'bloccare' with the credit-limit code's name "
    "('Fido e ordini bloccati'), and that lexical evidence outweighs the portal code."))
def test_real_zero_shot_portal_sentence_with_a_misleading_shared_word() -> None:
    from coding.codebook import starter_codebook

    found = ZeroShotCoder(starter_codebook()).predict(
        ["Il portale per gli ordini è lento e si blocca spesso."], "it")
    assert found[0] and found[0][0][0] == "digital/ordering-portal"


@pytest.mark.models
def test_zero_shot_leaves_small_talk_uncoded_with_the_real_model():
    from coding.codebook import starter_codebook

    coder = ZeroShotCoder(starter_codebook())
    texts = ["Bye for now.", "Buongiorno, sì, certo, può registrare.", "Hi Tom, yes, that's fine.",
             "Invoices arrive late and often with errors.",
             "Però negli ultimi mesi le consegne sono arrivate spesso in ritardo."]
    found = coder.predict(texts, ["en", "it", "en", "en", "it"])
    assert found[:3] == [[], [], []]
    assert found[3][0][0] == "invoicing/invoice-errors"
    assert found[4][0][0] == "delivery/late-shipments"


def _delivery_book() -> Codebook:
    return Codebook([
        Code("delivery", "Delivery", "Shipping and deliveries of our orders.",
             ["The delivery of our orders.", "Deliveries and shipping."]),
        Code("delivery/late", "Late delivery", "Delivery arrives late after the promised date.",
             ["The delivery arrived late again.", "Late trucks every week."]),
        Code("delivery/damaged", "Damaged goods", "Goods arrive broken or damaged.",
             ["The pallets arrived broken.", "Damaged boxes in every shipment."]),
        Code("invoicing", "Invoice errors", "Invoices with wrong prices.",
             ["The invoice had wrong prices.", "Invoices wrong again."]),
    ])


def test_zero_shot_sub_code_needs_evidence_beyond_its_theme(fake: FakeEmbedder) -> None:
    coder = ZeroShotCoder(_delivery_book(), embedder=fake)
    texts = ["The delivery of our orders and shipping.", "The delivery arrived late again.",
             "Every invoice has wrong prices."]
    found = coder.predict(texts, lang="en")
    # About the theme only: the theme, not whichever sub-code is nearest.
    assert [c for c, _ in found[0]] == ["delivery"]
    assert found[1][0][0] == "delivery/late"
    assert found[2][0][0] == "invoicing"
    # A sub-code's confidence comes from what it has above its theme.
    scores = coder.scores(texts[:1], lang="en")[0]
    for sub in ("delivery/late", "delivery/damaged"):
        assert scores[coder.codes.index(sub)] < 0.5


@pytest.mark.models
def test_real_zero_shot_gives_one_theme_per_side_of_a_contrast() -> None:
    from coding.codebook import starter_codebook

    coder = ZeroShotCoder(starter_codebook())
    found = coder.predict([("Delivery is fast, no complaints there, but the invoices are a mess "
                            "every single month."),
                           ("Sono rapidi a fare i preventivi, ma quando qualcosa va storto è "
                            "difficile trovare qualcuno."),
                           "I think we've been with you about six years now."], ["en", "it", "en"])
    themes = [sorted(path.split("/")[0] for path, _ in codes) for codes in found]
    assert themes == [["delivery", "invoicing"], ["pricing", "support"], []]


@pytest.mark.models
def test_real_zero_shot_codes_a_one_word_answer_only_by_the_word_it_names() -> None:
    from coding.codebook import starter_codebook
    from coding.pipeline import TranscriptTurn, code_transcript

    coder = ZeroShotCoder(starter_codebook())
    found = coder.predict(["Mostly the support.", "Mostly good.", "Honestly, the people."], "en")
    assert [[path.split("/")[0] for path, _ in codes] for codes in found] == [["support"], [], []]
    assert coder.predict(["Gli avvisi."], "it") == [[]]  # a word of the examples only: doubtful
    turns = [TranscriptTurn("1", "A", 0, 2, "What is the main reason for your score?"),
             TranscriptTurn("2", "B", 2, 3, "Mostly the support.")]
    coded = code_transcript(turns, roles={"A": "interviewer", "B": "respondent"}, guide=[],
                            coder=coder, language="en")
    assert [c.code.split("/")[0] for c in coded.units[-1].codes] == ["support"]
