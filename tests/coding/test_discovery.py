"""Theme discovery: clusters, labels that occur in the texts, stability, codebook export."""

from __future__ import annotations

import pytest
from embedding_fakes import FakeEmbedder

from coding import embeddings
from coding.discovery import (
    Discovery,
    candidate_phrases,
    discover_themes,
    themes_to_codebook,
)
from coding.errors import NotEnoughData


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    embeddings.clear_cache()


class FirstCandidates:
    """A labeller with no model: candidates in their distinctiveness order."""

    def rank(self, centroid, candidates, top_n):
        return candidates[:top_n]


TOPICS = {
    "consegne": [
        "Le consegne arrivano in ritardo ogni settimana.",
        "Consegne in ritardo, il camion arriva sempre tardi.",
        "Il camion delle consegne arriva in ritardo.",
        "Ritardo nelle consegne anche questo mese.",
        "Consegne sempre in ritardo, camion lento.",
        "Il ritardo delle consegne ci blocca la produzione.",
        "Camion in ritardo e consegne incomplete.",
        "Le consegne del camion sono in ritardo da mesi.",
    ],
    "fatture": [
        "Le fatture riportano prezzi sbagliati.",
        "Prezzi sbagliati in fattura, di nuovo.",
        "Ogni fattura ha un prezzo sbagliato.",
        "Fatture con prezzi sbagliati e IVA errata.",
        "Il prezzo in fattura è sempre sbagliato.",
        "Fattura sbagliata, prezzi da correggere.",
        "Prezzi sbagliati nelle fatture del mese.",
        "Le fatture hanno prezzi sbagliati da un anno.",
    ],
    "assistenza": [
        "L'assistenza tecnica risponde subito ai ticket.",
        "Ticket di assistenza risolti in giornata.",
        "Assistenza tecnica rapida, ticket chiusi subito.",
        "I tecnici dell'assistenza rispondono ai ticket.",
        "Assistenza tecnica ottima, ticket gestiti bene.",
        "Ticket aperti e chiusi dall'assistenza tecnica.",
        "L'assistenza chiude i ticket tecnici velocemente.",
        "Assistenza tecnica e ticket sempre seguiti.",
    ],
}


def corpus() -> tuple[list[str], list[str]]:
    texts, gold = [], []
    for n in range(8):  # interleaved, so no cluster is a contiguous block
        for topic, items in TOPICS.items():
            texts.append(items[n])
            gold.append(topic)
    return texts, gold


def test_discovers_the_topics_with_labels_from_the_texts() -> None:
    texts, gold = corpus()
    found = discover_themes(texts, "it", embedder=FakeEmbedder(), labeller=FirstCandidates())
    assert len(found.themes) == 3
    assert found.unassigned == []
    for theme in found.themes:
        topics = {gold[i] for i in theme.members}
        assert len(topics) == 1, (theme.label, topics)
        label = theme.label.lower()
        assert any(label in t.lower() for t in (texts[i] for i in theme.members)), label
        assert theme.keyphrases and theme.examples and len(theme.scores) == theme.size
        assert all(0 < s < 1 for s in theme.scores)
    assert [t.id for t in found.themes] == ["T1", "T2", "T3"]
    assert sorted(i for t in found.themes for i in t.members) == list(range(len(texts)))
    assert len({t.label for t in found.themes}) == 3


def test_rerun_gives_the_same_themes_and_labels() -> None:
    texts, _ = corpus()
    first = discover_themes(texts, "it", embedder=FakeEmbedder(), labeller=FirstCandidates(), seed=1)
    embeddings.clear_cache()
    second = discover_themes(texts, "it", embedder=FakeEmbedder(), labeller=FirstCandidates(), seed=1)
    assert first.to_dict() == second.to_dict()
    assert Discovery.from_dict(first.to_dict()).to_dict() == first.to_dict()


def test_empty_texts_stay_unassigned_and_small_themes_dissolve() -> None:
    texts, _ = corpus()
    texts = [*texts, "", "   "]
    found = discover_themes(texts, "it", embedder=FakeEmbedder(), labeller=FirstCandidates(),
                            min_size=20, max_themes=4)
    assert {len(texts) - 2, len(texts) - 1} <= set(found.unassigned)
    assert all(t.size >= 8 for t in found.themes)
    assigned = found.assignments()
    assert len(assigned) == len(texts) and assigned[-1] is None


def test_too_few_texts() -> None:
    with pytest.raises(NotEnoughData, match="at least 6"):
        discover_themes(["a", "b", ""], "it", embedder=FakeEmbedder())


def test_themes_become_a_valid_codebook() -> None:
    texts, _ = corpus()
    found = discover_themes(texts, "it", embedder=FakeEmbedder(), labeller=FirstCandidates())
    book = themes_to_codebook(found, prefix="scoperti")
    assert len(book) == 3
    assert all(p.startswith("scoperti/") for p in book.paths)
    assert book.language == "it"
    for code, theme in zip(book.codes, found.themes, strict=True):
        assert code.name == theme.label and code.examples == theme.examples
        assert "Tema scoperto" in code.description


def test_italian_candidates_are_contiguous_content_words() -> None:
    phrases = candidate_phrases("Il personale è gentile, ma l'aria condizionata non funziona.", "it")
    assert "personale gentile" in phrases
    assert "aria condizionata" in phrases
    assert "gentile aria" not in phrases  # never across a comma
    assert not any(w in {"il", "ma", "non", "è"} for p in phrases for w in p.split())


def test_english_candidates_are_noun_chunks() -> None:
    phrases = candidate_phrases("The account manager never answers our emails about late deliveries.", "en")
    assert "account manager" in phrases
    assert "late deliveries" in phrases
    assert "our" not in " ".join(phrases).split()


@pytest.mark.models
def test_real_discovery_with_keybert_labels() -> None:
    texts = [
        "The delivery arrived two weeks late.", "Deliveries are always late.",
        "Late delivery again this month.", "Our delivery was late and incomplete.",
        "The invoice had the wrong price.", "Invoices always show wrong prices.",
        "Wrong prices on every invoice.", "The invoice price was wrong again.",
        "The support team never answers the phone.", "Nobody in support answers the phone.",
        "Support does not answer our calls.", "Calling support is useless, no answer.",
    ]
    first = discover_themes(texts, "en", min_size=3)
    again = discover_themes(texts, "en", min_size=3)
    assert first.to_dict() == again.to_dict()
    assert len(first.themes) >= 2
    words = " ".join(t.label.lower() for t in first.themes)
    assert any(w in words for w in ("delivery", "deliveries", "invoice", "prices", "support"))
    for theme in first.themes:
        assert any(theme.label.lower() in texts[i].lower() for i in theme.members)
