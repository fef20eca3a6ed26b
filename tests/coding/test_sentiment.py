"""Sentiment: clauses, prototypes, a trained model, per-code polarity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from embedding_fakes import FakeEmbedder

from coding import embeddings
from coding.errors import CodingError, NotEnoughData
from coding.sentiment import (
    POLARITIES,
    AspectSentiment,
    LinearSentiment,
    PrototypeSentiment,
    aspect_name,
    aspect_sentiment,
    combine_evidence,
    focus_texts,
    lexicon_evidence,
    overall_from_aspects,
    split_clauses,
    unit_sentiment,
)

pytestmark = pytest.mark.usefixtures("fresh_cache")


ANCHORS = {
    "positive": ["great excellent happy", "excellent great"],
    "negative": ["terrible awful angry", "awful terrible"],
    "neutral": ["ordinary usual monthly", "usual ordinary"],
}


def test_split_clauses_at_punctuation_and_conjunctions() -> None:
    assert split_clauses("The product is great, but deliveries are always late.") == [
        "The product is great", "but deliveries are always late"]
    assert split_clauses("Il personale è gentile ma la camera era sporca perché nessuno puliva.") == [
        "Il personale è gentile", "ma la camera era sporca", "perché nessuno puliva"]
    assert split_clauses("Ok.") == ["Ok"]
    # a one-word fragment joins its neighbour instead of standing alone
    assert split_clauses("Price, ok, but the support is slow") == ["Price ok", "but the support is slow"]
    assert split_clauses("   ") == [""]


def test_overall_from_aspects() -> None:
    assert overall_from_aspects(["positive", "negative"]) == "mixed"
    assert overall_from_aspects(["positive", "neutral"]) == "positive"
    assert overall_from_aspects(["conflict"]) == "mixed"
    assert overall_from_aspects([]) == "neutral"
    with pytest.raises(CodingError, match="Unknown polarity"):
        overall_from_aspects(["angry"])


def test_aspect_name_uses_every_segment() -> None:
    assert aspect_name("product-quality/defects") == "product quality defects"


def test_prototypes_pick_the_nearest_class(fake: FakeEmbedder) -> None:
    model = PrototypeSentiment(embedder=fake, anchors=ANCHORS)
    assert model.classes == ["positive", "negative", "neutral"]
    found = model.predict(["great and excellent service", "awful, terrible delays", "usual monthly order"])
    assert [label for label, _ in found] == ["positive", "negative", "neutral"]
    assert all(0.33 < conf <= 1.0 for _, conf in found)
    with pytest.raises(CodingError, match="Anchor classes"):
        PrototypeSentiment(embedder=fake, anchors={"happy": ["x"]})


def test_mixed_penalty_shifts_borderline_texts(fake: FakeEmbedder) -> None:
    anchors = {**ANCHORS, "mixed": ["great but terrible", "excellent but awful"]}
    text = ["great but awful"]
    assert PrototypeSentiment(embedder=fake, anchors=anchors, mixed_penalty=0.0).predict(text)[0][0] == "mixed"
    assert PrototypeSentiment(embedder=fake, anchors=anchors, mixed_penalty=0.5).predict(text)[0][0] != "mixed"


def labelled() -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for n in range(10):
        texts += [f"great excellent delivery {n}", f"terrible awful invoice {n}", f"usual monthly order {n}"]
        labels += ["positive", "negative", "neutral"]
    return texts, labels


def test_linear_sentiment_learns_and_persists(fake: FakeEmbedder, tmp_path: Path) -> None:
    texts, labels = labelled()
    model = LinearSentiment(embedder=fake).fit(texts, labels)
    assert model.classes == ["negative", "neutral", "positive"]
    probe = ["excellent great support", "awful terrible portal"]
    assert [label for label, _ in model.predict(probe)] == ["positive", "negative"]
    loaded = LinearSentiment.load(model.save(tmp_path / "sentiment"), embedder=fake)
    np.testing.assert_allclose(loaded.proba_embeddings(embeddings.embed(probe, embedder=fake)),
                               model.proba_embeddings(embeddings.embed(probe, embedder=fake)))
    two = LinearSentiment(embedder=fake).fit(texts[:20], labels[:20])  # two classes only
    assert two.predict(["great excellent"])[0][0] == "positive"
    with pytest.raises(NotEnoughData):
        LinearSentiment(embedder=fake).fit(["a", "b"], ["positive", "positive"])
    with pytest.raises(CodingError, match="not trained"):
        LinearSentiment(embedder=fake).predict(["x"])


def test_focus_texts_pick_each_aspects_clause(fake: FakeEmbedder) -> None:
    text = "The product quality is great, but the delivery is always late."
    assert focus_texts(text, ["product quality", "delivery late"], embedder=fake) == [
        "The product quality is great", "but the delivery is always late"]
    # one aspect in a text that pulls both ways: the clause that names it
    assert focus_texts(text, ["delivery"], embedder=fake) == ["but the delivery is always late"]
    calm = "The delivery is late and the driver never calls ahead."
    assert focus_texts(calm, ["delivery"], embedder=fake) == [calm]  # one way: the whole text
    # a named clause with no opinion of its own is read with the next one
    assert focus_texts("Sulle spedizioni, niente da dire, il problema è l'amministrazione.",
                       ["delivery"], embedder=fake) == ["Sulle spedizioni niente da dire"]


def test_aspect_sentiment_zero_shot_separates_aspects(fake: FakeEmbedder) -> None:
    model = AspectSentiment(embedder=fake, prototype=PrototypeSentiment(embedder=fake, anchors=ANCHORS))
    out = model.predict(["Product quality great excellent, but delivery terrible awful.", "Usual monthly order."],
                        [["product-quality", "delivery"], ["ordering"]])
    assert out[0]["product-quality"][0] == "positive"
    assert out[0]["delivery"][0] == "negative"
    assert out[1]["ordering"][0] == "neutral"
    assert aspect_sentiment(["x"], [[]], embedder=fake) == [{}]
    with pytest.raises(CodingError, match="one list of codes per text"):
        model.predict(["a", "b"], [["x"]])


def test_aspect_sentiment_trained_and_saved(fake: FakeEmbedder, tmp_path: Path) -> None:
    texts, polarities = [], []
    for n in range(8):
        texts.append(f"Quality great excellent {n}, but delivery terrible awful {n}.")
        polarities.append({"quality": "positive", "delivery": "negative"})
        texts.append(f"Delivery great excellent {n}, quality terrible awful {n}.")
        polarities.append({"quality": "negative", "delivery": "positive"})
        texts.append(f"Invoice usual monthly {n}.")
        polarities.append({"invoice": "neutral"})
    model = AspectSentiment(embedder=fake).fit(texts, polarities)
    assert model.trained and set(model.model.classes) == {"positive", "negative", "neutral"}
    probe = ["Quality excellent great, but delivery awful terrible."]
    out = model.predict(probe, [["quality", "delivery"]])
    assert out[0] == {"quality": out[0]["quality"], "delivery": out[0]["delivery"]}
    assert out[0]["quality"][0] == "positive" and out[0]["delivery"][0] == "negative"
    loaded = AspectSentiment.load(model.save(tmp_path / "aspects.npz"), embedder=fake)
    assert loaded.predict(probe, [["quality", "delivery"]]) == out
    with pytest.raises(NotEnoughData):
        AspectSentiment(embedder=fake).fit(["x"], [{}])
    with pytest.raises(CodingError, match="trained"):
        AspectSentiment(embedder=fake).save(tmp_path / "none.npz")


def test_polarities_constant() -> None:
    assert POLARITIES == ("positive", "negative", "neutral", "mixed")


@pytest.mark.models
def test_real_prototypes_on_b2b_sentences() -> None:
    cases = [
        ("Your account manager is fantastic, always available.", "positive"),
        ("The delivery arrived three weeks late and nobody called us.", "negative"),
        ("Invoices are full of mistakes, it is exhausting.", "negative"),
        ("We are really happy with the quality of your products.", "positive"),
        ("We order from you roughly once a month.", "neutral"),
        ("Support solved the problem in one hour, excellent.", "positive"),
        ("Il servizio clienti è eccellente, rispondono subito.", "positive"),
        ("Le consegne arrivano sempre in ritardo, siamo stufi.", "negative"),
        ("Le fatture hanno sempre errori, è un disastro.", "negative"),
        ("Siamo molto soddisfatti della qualità dei prodotti.", "positive"),
        ("Ordiniamo circa una volta al mese.", "neutral"),
        ("I prezzi sono troppo alti, stiamo valutando altri fornitori.", "negative"),
    ]
    found = PrototypeSentiment().predict([text for text, _ in cases])
    right = sum(1 for (_, gold), (label, _) in zip(cases, found, strict=True) if gold == label)
    assert right >= 10, list(zip([g for _, g in cases], [label for label, _ in found], strict=True))


# --- lexicon and rules (fake embedder: the rules decide, the prototypes barely matter) ----


def labels_of(found: list[tuple[str, float]]) -> list[str]:
    return [label for label, _ in found]


@pytest.fixture
def rules_only(fake: FakeEmbedder) -> PrototypeSentiment:
    """A prototype that always says neutral, so only the lexicon and the rating decide."""
    return PrototypeSentiment(embedder=fake, anchors={"neutral": ["usual"]})


def test_praise_joined_by_because_is_positive(rules_only: PrototypeSentiment) -> None:
    texts = ["I'd say that I have a 10, because Sarah always calls us back the same day.",
             "Direi un dieci, perché Giulia ci richiama sempre in giornata.",
             "We're happy since the technician came out on a Saturday."]
    assert labels_of(unit_sentiment(texts, model=rules_only)) == ["positive"] * 3
    assert labels_of(unit_sentiment(texts, model=rules_only, turn_ratings=[10, 10, None])) == \
        ["positive"] * 3
    evidence = lexicon_evidence(texts[0])
    assert evidence.positive > 0 and evidence.negative == 0


def test_negation_flips_and_softens(rules_only: PrototypeSentiment) -> None:
    found = unit_sentiment(["non male", "Not great.", "L'assistenza non è male.",
                            "Support is not great, to be honest.",
                            "Non ci avete mai deluso.", "Not a single error on the invoices."],
                           model=rules_only)
    assert labels_of(found) == ["positive", "negative", "positive", "negative", "positive",
                                "positive"]
    # a negation reaches only its own clause
    evidence = lexicon_evidence("Not cheap, but the quality is excellent.")
    assert ("NOT cheap", pytest.approx(-1.2)) in evidence.hits
    assert ("excellent", pytest.approx(4.5)) in evidence.hits


def test_a_denied_premise_is_set_aside() -> None:
    evidence = lexicon_evidence("It's not that the prices are bad, it's that the credit notes "
                                "take forever.")
    assert evidence.positive == 0 and evidence.negative > 0
    assert lexicon_evidence("Non è che il servizio sia pessimo, è che costa.").negative == 0
    assert lexicon_evidence("It is not that good.").net < 0  # a degree, not a premise


def test_contrast_weighs_the_last_clause_and_mixed_needs_both_clearly() -> None:
    evidence = lexicon_evidence("The product is good but the price is too high.")
    assert evidence.pos_clauses == 1 and evidence.neg_clauses == 1
    assert evidence.negative > evidence.raw_negative  # the clause after "but" counts 1.5
    assert combine_evidence({"neutral": 1.0}, lexicon_evidence(
        "Il prodotto è buono ma è caro")) [0] == "mixed"
    # a faint "fine" before "but" is not enough for mixed: the conclusion wins
    assert combine_evidence({"neutral": 1.0}, lexicon_evidence(
        "The service is fine but nothing special really"))[0] == "negative"


def test_rating_in_the_same_turn_informs_but_never_overrides_clear_words(
        fake: FakeEmbedder) -> None:
    plain = "We have been working together for a couple of years."
    assert lexicon_evidence(plain).hits == []
    unsure = PrototypeSentiment(embedder=fake, anchors={"neutral": ["usual"], "mixed": ["usual"]})
    found = unit_sentiment([plain] * 4, model=unsure, turn_ratings=[None, 10, 3, 8])
    assert labels_of(found) == ["neutral", "positive", "negative", "positive"]
    # a plain fact the prototype is sure about stays neutral beside a rating in its turn
    sure = PrototypeSentiment(embedder=fake, anchors=ANCHORS)
    usual = "usual monthly order"
    assert sure.predict([usual])[0] == ("neutral", pytest.approx(1.0, abs=0.05))
    assert labels_of(unit_sentiment([usual], model=sure, turn_ratings=[10])) == ["neutral"]
    angry = "The invoices are a disaster and nobody answers, it is frustrating."
    found = unit_sentiment([angry, angry], embedder=fake, turn_ratings=[None, 10])
    assert labels_of(found) == ["negative", "negative"]
    assert found[1][1] < found[0][1]  # the disagreeing rating lowers the confidence
    with pytest.raises(CodingError, match="one per text"):
        unit_sentiment([plain], embedder=fake, turn_ratings=[8, 9])
    with pytest.raises(CodingError, match="outside 0-10"):
        unit_sentiment([plain], embedder=fake, turn_ratings=[11])
    with pytest.raises(CodingError, match="not a number"):
        unit_sentiment([plain], embedder=fake, turn_ratings=["great"])
    assert unit_sentiment([], embedder=fake) == []


def test_no_evidence_falls_back_to_the_prototypes(fake: FakeEmbedder) -> None:
    model = PrototypeSentiment(embedder=fake, anchors=ANCHORS)
    assert unit_sentiment(["usual monthly order"], model=model) == model.predict(
        ["usual monthly order"])


def test_trained_model_is_used_as_it_is(fake: FakeEmbedder) -> None:
    texts, labels = labelled()
    model = LinearSentiment(embedder=fake).fit(texts, labels)
    probe = ["not great excellent delivery", "usual monthly order 3"]
    assert unit_sentiment(probe, model=model) == model.predict(probe)


def test_each_code_takes_the_polarity_of_its_clause(fake: FakeEmbedder) -> None:
    text = "The quality is good but the price is too high."
    out = aspect_sentiment([text, "Consegne sempre in ritardo."], [["quality", "price"], ["delivery"]],
                           embedder=fake, turn_ratings=[None, 10])
    assert out[0]["quality"][0] == "positive"
    assert out[0]["price"][0] == "negative"
    assert out[1]["delivery"][0] == "negative"  # a 10 in the turn does not undo "late"
    # a cue word names the aspect: "caro" is about price even without the word "prezzo"
    assert focus_texts("Il prodotto è buono, ma è caro", ["price", "product"], embedder=fake)[0] \
        == "ma è caro"
    plain = AspectSentiment(embedder=fake, rules=False)
    assert plain.rules is False and plain.predict(["x y"], [["a"]])[0]["a"][0] in POLARITIES


def b2b_macro_f1(half: str | None) -> tuple[float, list[tuple[str, str, str]]]:
    from benchmarks._sentiment_eval import b2b_predictions, load_b2b, macro_f1

    rows = load_b2b(half=half)
    pred = b2b_predictions(rows)
    gold = [r["sentiment"] for r in rows]
    misses = [(r["text"], g, p) for r, g, p in zip(rows, gold, pred, strict=True) if g != p]
    return macro_f1(gold, pred), misses


def test_b2b_test_set_is_balanced_and_spoken() -> None:
    from benchmarks._sentiment_eval import load_b2b

    rows = load_b2b()
    assert len(rows) >= 80 and len({r["id"] for r in rows}) == len(rows)
    for lang in ("it", "en"):
        counts = {p: sum(1 for r in rows if r["lang"] == lang and r["sentiment"] == p)
                  for p in POLARITIES}
        assert min(counts["positive"], counts["negative"], counts["neutral"]) >= 15, counts
        assert counts["mixed"] >= 3, counts
    assert len(load_b2b(half="even")) + len(load_b2b(half="odd")) == len(rows)


@pytest.mark.models
def test_real_model_on_the_b2b_test_set() -> None:
    score, misses = b2b_macro_f1(None)
    assert score >= 0.85, misses


@pytest.mark.models
def test_real_model_buono_ma_caro_per_code() -> None:
    out = aspect_sentiment(["Il prodotto è buono ma è caro."], [["product-quality", "price"]])
    assert out[0]["product-quality"][0] == "positive"
    assert out[0]["price"][0] == "negative"
    praise = "I'd say that I have a 10, because Sarah always calls us back the same day."
    found = unit_sentiment([praise, "non male", "not great"], turn_ratings=[10, None, None])
    assert labels_of(found) == ["positive", "positive", "negative"]


def test_an_affirming_phrase_built_on_a_negator_does_not_negate() -> None:
    from coding.sentiment import lexicon_evidence

    for text in ("Cinque senza dubbio, sono sempre gentili e preparati.", "Without a doubt they are kind."):
        evidence = lexicon_evidence(text)
        assert evidence.positive > 0 and evidence.negative == 0, (text, evidence)
    assert lexicon_evidence("Non sono gentili.").negative > 0  # a plain negator still negates


def test_phone_interview_phrases_the_lexicon_reads() -> None:
    # read off the demo's own transcripts, where each was misread before
    assert lexicon_evidence("The portal crashes whenever we upload a big order.").net < 0
    assert lexicon_evidence("Però quest'anno i prezzi sono aumentati molto.").net < 0
    assert lexicon_evidence("Ma la merce arriva tardi almeno una volta a settimana.").net < 0
    assert lexicon_evidence("Because I spend hours checking every invoice.").net < 0
    assert lexicon_evidence("Our account manager knows our business inside out.").net > 0
    assert lexicon_evidence("We feel like a partner, not a ticket number.").net > 0
    # "to be fair" is a discourse marker, not praise: only "not great" counts
    evidence = lexicon_evidence("To be fair it's not great.")
    assert evidence.positive == 0 and evidence.net < 0
    # a product type is no opinion: "frutta fresca" is what they buy
    assert lexicon_evidence("Compriamo soprattutto frutta fresca.").hits == []
