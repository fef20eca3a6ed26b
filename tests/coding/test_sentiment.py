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
    focus_texts,
    overall_from_aspects,
    split_clauses,
)


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    embeddings.clear_cache()


@pytest.fixture
def fake() -> FakeEmbedder:
    return FakeEmbedder()


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
    assert focus_texts(text, ["delivery"], embedder=fake) == [text]  # one aspect: whole text


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
