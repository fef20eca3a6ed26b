"""Which question of the interview guide is the interviewer asking?

- ``match_questions(turns, guide, lang=None, *, roles=None, threshold=0.2,
  order_penalty=0.1) -> list[QuestionMatch]``: the interviewer turns that ask a
  question of `guide`, with the question and a score in 0..1. Turns that match no
  question well enough (greetings, "capisco", follow-ups off the guide) are left out.
- ``assign_questions(units, matches) -> list[Unit]``: sets each unit's `question_id` to
  the question of the most recent matched turn at or before the unit's turn (None when
  there is none), in place, and returns the units.
- ``question_similarity(a, b, lang=None) -> float``: the score two texts would get.

`turns` are ``TurnText``s (or tuples in that order), or plain strings. With `roles`
(speaker -> role, from transcription.roles.detect_roles) only the interviewer's turns
are matched; otherwise every turn given is. `QuestionMatch.turn_index` is the turn's
position in `turns`; give the same list to coding.units.units_from_turns and the
units' `turn_index` lines up for assign_questions. `guide` is a sequence of
``(question_id, text)`` pairs in the guide's order, or a mapping in that order.

How turns are scored. Texts are lower-cased, stripped of accents and stop words, and
lemmatised with simplemma (so "consegne" meets "consegna"); number words become
digits ("dieci" meets "10") and a short list of words interviewers swap when they
paraphrase is read as one ("raccomandare"/"consigliare", "assistenza"/"supporto",
"giudicare"/"valutare", "recommend"/"suggest"...).
Two TF-IDF models are fitted on the guide and the turns: one on lemma unigrams and
bigrams, one on character 3- to 5-grams of the lemmas, which catches shared stems
across a paraphrase ("puntualità"/"puntuali"). The score of a turn for a question is
the mean of the two cosine similarities, taken for the turn's best sentence (an
interviewer often wraps a question in small talk: "Perfetto, grazie. Passiamo alle
consegne: ..."). A question is a candidate for a turn at score >= `threshold`. On
hand-written Italian interviews a paraphrased guide question scored 0.3 to 0.65 and
small talk below 0.1, hence the default of 0.2.

Order. Guides are mostly followed in order. Within each interview the assignment is
the one that maximises the sum of scores minus `order_penalty` for every step back in
the guide (a Viterbi pass over "last question asked"). So when two questions score
close, the one that keeps the guide's order wins, while a clearly better match still
goes back (interviewers do return to a topic). Repeating a question or skipping ahead
costs nothing.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .language import detect_language, fold, normalise_language, sentence_offsets, stop_words
from .schema import QuestionMatch, TurnText, Unit

if TYPE_CHECKING:
    import numpy as np

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*|\d+")
# Interview boilerplate that says nothing about the topic.
_BOILERPLATE = frozenset(
    """
    lei voi secondo suo sua vostro vostra vostri vostre mi ci puo potrebbe potreste
    dire dica dirmi racconti racconta raccontarmi parli parlarmi spieghi spiegarmi
    chiedo chiederle domanda volevo vorrei passiamo adesso ora invece cosa pensa
    tell could would please ask question talk let's move now next think
    """.split()
)


# Words interviewers swap for one another when they paraphrase a guide question; each
# group is read as its first word. Checked against lemmas and surface forms.
_SYNONYMS = """
consigliare raccomandare suggerire consiglio raccomandazione consiglierebbe raccomanderebbe
supporto assistenza helpdesk aiuto
valutare giudicare valuta valutazione giudizio giudica voto
consegna spedizione spedire consegnare recapito
puntualita puntuale puntualmente tempestivita tempestivo ritardo ritardi
prezzo costo tariffa listino prezzi costi
scegliere scelta scelto scelti sceglieste selezionare
migliorare miglioramento migliorie
soddisfatto soddisfazione contento soddisfatti
problema difficolta criticita problemi
acquisto vendita acquistare comprare postvendita
collega conoscente amico partner
fattura fatturazione fatture
recommend suggest recommendation
support assistance helpdesk help
rate evaluate assess judge score rating
delivery shipping shipment ship deliver
price cost pricing fee
choose choice select pick chose
improve improvement
satisfied satisfaction happy
problem issue difficulty
colleague friend peer
"""
_CANONICAL = {
    word: line.split()[0] for line in _SYNONYMS.strip().splitlines() for word in line.split()
}
_NUMBERS = {
    word: str(i)
    for i, words in enumerate(
        [
            "zero",
            "uno one",
            "due two",
            "tre three",
            "quattro four",
            "cinque five",
            "sei six",
            "sette seven",
            "otto eight",
            "nove nine",
            "dieci ten",
        ]
    )
    for word in words.split()
}


@functools.lru_cache(maxsize=20000)
def _lemma(word: str, lang: str) -> str:
    import simplemma

    if word in _NUMBERS:
        return _NUMBERS[word]
    if word in _CANONICAL:
        return _CANONICAL[word]
    lemma = fold(simplemma.lemmatize(word, lang=lang))
    return _CANONICAL.get(lemma, lemma)


def _normalise(text: str, lang: str) -> str:
    """Lemmas of the content words of `text`, space-separated."""
    stops = stop_words(lang)
    words = []
    for word in _WORD.findall(fold(text)):
        if word not in _NUMBERS and (
            word in stops or word in _BOILERPLATE or (len(word) < 3 and not word.isdigit())
        ):
            continue
        lemma = _lemma(word, lang)
        if lemma in stops or lemma in _BOILERPLATE:
            continue
        words.append(lemma)
    return " ".join(words)


def _guide_pairs(guide: Sequence[tuple[str, str]] | Mapping[str, str]) -> list[tuple[str, str]]:
    pairs = list(guide.items()) if isinstance(guide, Mapping) else [tuple(q) for q in guide]
    for pair in pairs:
        if len(pair) != 2:
            raise ValueError("Each guide question must be a (question_id, text) pair.")
    return [(str(qid), str(text)) for qid, text in pairs]


def _turn(turn: TurnText | tuple[Any, ...] | str) -> TurnText:
    if isinstance(turn, str):
        return TurnText(None, None, None, None, None, turn)  # type: ignore[arg-type]
    return turn if isinstance(turn, TurnText) else TurnText(*turn)


def _similarity(questions: list[str], sentences: list[str]) -> np.ndarray:
    """Matrix (sentences x questions) of the mean of word and character TF-IDF cosines."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    corpus = questions + sentences
    if not any(text.strip() for text in corpus):
        return np.zeros((len(sentences), len(questions)))
    scores = []
    for vectorizer in (
        TfidfVectorizer(
            analyzer="word", ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"\S+"  # noqa: S106  # nosec B106  # a tokenizer's regular expression
        ),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True),
    ):
        try:
            matrix = vectorizer.fit_transform(corpus)
        except ValueError:  # empty vocabulary: nothing but stop words everywhere
            scores.append(np.zeros((len(sentences), len(questions))))
            continue
        scores.append(cosine_similarity(matrix[len(questions) :], matrix[: len(questions)]))
    return (scores[0] + scores[1]) / 2


def question_similarity(a: str, b: str, lang: str | None = None) -> float:
    """The score match_questions gives text `a` for question `b` (fitted on the two alone)."""
    code = normalise_language(lang) if lang else detect_language(f"{a} {b}")
    return float(_similarity([_normalise(b, code)], [_normalise(a, code)])[0, 0])


def _viterbi(scores: np.ndarray, threshold: float, penalty: float) -> list[int | None]:
    """Per turn, the question index assigned (or None), maximising score minus back-steps."""
    n_turns, n_questions = scores.shape
    # state s = index of the last question assigned + 1 (0: none yet)
    best = [0.0] + [float("-inf")] * n_questions
    back: list[list[tuple[int, int | None]]] = []
    for t in range(n_turns):
        new = list(best)  # skipping the turn keeps the state
        pointer: list[tuple[int, int | None]] = [(s, None) for s in range(n_questions + 1)]
        for q in range(n_questions):
            score = float(scores[t, q])
            if score < threshold:
                continue
            for s in range(n_questions + 1):
                if best[s] == float("-inf"):
                    continue
                gain = best[s] + score - (penalty if s - 1 > q else 0.0)
                if gain > new[q + 1] + 1e-12:
                    new[q + 1] = gain
                    pointer[q + 1] = (s, q)
        best = new
        back.append(pointer)
    state = max(range(n_questions + 1), key=lambda s: (best[s], -s))
    assigned: list[int | None] = [None] * n_turns
    for t in range(n_turns - 1, -1, -1):
        previous, question = back[t][state]
        assigned[t] = question
        state = previous
    return assigned


def match_questions(
    turns: Sequence[TurnText | tuple[Any, ...] | str],
    guide: Sequence[tuple[str, str]] | Mapping[str, str],
    lang: str | None = None,
    *,
    roles: Mapping[str, str] | None = None,
    threshold: float = 0.2,
    order_penalty: float = 0.1,
) -> list[QuestionMatch]:
    """The turns that ask a guide question, in turn order; see the module docstring."""
    pairs = _guide_pairs(guide)
    parsed = [_turn(t) for t in turns]
    if not pairs or not parsed:
        return []
    asking = [
        i
        for i, turn in enumerate(parsed)
        if (turn.text or "").strip()
        and (roles is None or roles.get(str(turn.speaker)) == "interviewer")
    ]
    if not asking:
        return []
    if lang is None:
        sample = " ".join([text for _, text in pairs] + [parsed[i].text for i in asking])
        code = detect_language(sample)
    else:
        code = normalise_language(lang)

    questions = [_normalise(text, code) for _, text in pairs]
    sentences: list[str] = []
    owner: list[int] = []  # position in `asking` of each sentence
    for k, i in enumerate(asking):
        text = parsed[i].text
        pieces = [text[a:b] for a, b in sentence_offsets(text, code)]
        for piece in [text, *pieces] if len(pieces) > 1 else [text]:
            sentences.append(_normalise(piece, code))
            owner.append(k)
    import numpy as np

    per_sentence = _similarity(questions, sentences)
    per_turn = np.zeros((len(asking), len(pairs)))
    for row, k in enumerate(owner):
        per_turn[k] = np.maximum(per_turn[k], per_sentence[row])

    by_doc: dict[str | None, list[int]] = defaultdict(list)
    for k, i in enumerate(asking):
        doc_id = parsed[i].doc_id
        by_doc[None if doc_id is None else str(doc_id)].append(k)
    matches: list[QuestionMatch] = []
    for doc, ks in by_doc.items():
        assigned = _viterbi(per_turn[ks], threshold, order_penalty)
        for k, q in zip(ks, assigned, strict=True):
            if q is not None:
                matches.append(
                    QuestionMatch(
                        turn_index=asking[k],
                        question_id=pairs[q][0],
                        score=round(float(per_turn[k, q]), 4),
                        doc_id=doc,
                    )
                )
    matches.sort(key=lambda m: m.turn_index)
    return matches


def assign_questions(units: Sequence[Unit], matches: Sequence[QuestionMatch]) -> Sequence[Unit]:
    """Give every unit the question of the last matched turn at or before its own turn.

    A match without a doc_id applies to units of any document. Units without a
    `turn_index` get None. Changes the units in place and returns them.
    """
    per_doc: dict[str | None, list[QuestionMatch]] = defaultdict(list)
    for match in matches:
        per_doc[match.doc_id].append(match)
    for found in per_doc.values():
        found.sort(key=lambda m: m.turn_index)
    positions = {doc: [m.turn_index for m in found] for doc, found in per_doc.items()}
    for unit in units:
        best: QuestionMatch | None = None
        if unit.turn_index is not None:
            for doc in (unit.doc_id, None):
                if doc not in per_doc:
                    continue
                k = bisect.bisect_right(positions[doc], unit.turn_index) - 1
                if k >= 0 and (best is None or per_doc[doc][k].turn_index > best.turn_index):
                    best = per_doc[doc][k]
        unit.question_id = best.question_id if best else None
    return units
