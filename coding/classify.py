"""Deductive coding: assign codebook codes to texts, offline, with a confidence.

A text gets a code only when the evidence supports it, and no code otherwise: there is no
forced top-k. Codes are decided top-down: a theme (a top-level code) first, then a
sub-code ("theme/sub") only when it clears its own threshold under an assigned theme.

The code lives in coding.zero_shot, coding.supervised, coding.lexical (lemmas and topic
clauses) and coding.decision (languages, the question prior, the top-down decision); this
module is their one public front.

Public API:
    ZeroShotCoder(codebook, *, embedder=None, threshold=0.5, max_codes=2, leaves_only=False,
                  use_examples=True, scale=1.5, offset=None, sub_offset=0.0, gap_weight=4.0,
                  lexical_weight=3.0, clauses=True, reference_z=None, small_talk_gate=True)
        .codes                                   the code paths it scores
        .scores(texts, lang=None) -> np.ndarray  (n, codes) confidences in 0..1
        .predict(texts, lang=None, *, questions=None) -> list[Prediction]
        .predict_embeddings(X, langs, *, texts=None, questions=None) / .scores_embeddings(X, langs, texts=None)
    SupervisedCoder(*, embedder=None, features="both", C=10.0, text_C=10.0, codebook=None,
                    min_positives=5, prior_strength=10.0, tune_thresholds=True, inner_folds=3,
                    max_codes=3, seed=0)
        .fit(texts, label_sets, sample_weight=None, lang=None) -> self
        .fit_embeddings(X, label_sets, sample_weight=None, langs=None, texts=None) -> self
        .predict(texts, lang=None, *, questions=None) -> list[Prediction]
        .predict_proba(texts, lang=None) -> np.ndarray   (n, labels_) in labels_ order
        .predict_embeddings(X, langs=None, *, texts=None, questions=None) / .predict_proba_embeddings(...)
        .save(path) -> Path (.npz) / SupervisedCoder.load(path, *, embedder=None)
    Prediction = list[tuple[str, float]]         (code path, confidence), best first
    content_lemmas(text, lang) -> list[str]      folded lemmas without stop words
    topic_clauses(text, lang) -> list[str]       sentences and sides of a contrast
    resolve_languages(texts, lang, default="en") -> list[str]
    REFERENCE_SENTENCES                          the small talk confidences are relative to

`lang` is None (detected per text), one language for all texts, or a list with one
language per text; it picks the wording of each code (its translation) the zero-shot
coder compares against. `questions` is None or one guide question per text (None or ""
for an answer with no known question): a question that clearly names a code raises that
code's confidence by at most QUESTION_BOOST, and only for an answer that already has some
evidence for the code (at least QUESTION_FLOOR times its threshold); a question never
gives a code by itself.

Zero-shot: every code becomes prototype sentences (its name and definition, under its
parent's name, and each example) embedded in each language the codebook has. A text's
raw similarity to a code means little with multilingual-e5 (unrelated pairs score about
0.78), so it is turned into a z-score against reference small talk (REFERENCE_SENTENCES;
the other texts coded with it play no part). Lexical evidence is added to it: the text's
lemmas (simplemma, accents folded, stop words left out) that appear in the code's own
wording (name, definition, examples, in the text's language), each weighted by how
specific it is to one theme. A theme stands for its subtree (its value is the best
evidence in it), and only the best theme of a text clears the threshold unless another is
practically tied; a text with a contrast ("la consegna è veloce, però le fatture...") is
also scored side by side, so each side can bring its own theme. A sub-code needs evidence
beyond its theme's own and to be the best of its siblings, and is never surer than its
theme. On the B2B theme set (benchmarks/_b2b_themes.py) this decision raised theme
micro-F1 from 0.70 to 0.84 (precision 0.61 to 0.86) against the earlier per-code one.

Supervised: per code, the average of two logistic regressions (class weights balanced):
one on the embeddings, one on TF-IDF of word 1-2 grams and character 2-5 grams (hashed;
the vocabulary and IDF are those of the training rows). Thresholds per code come from
out-of-fold probabilities of an inner k-fold on the training rows only. A code needs
`min_positives` analyst decisions (default 5) to get its own models; with a codebook,
codes with fewer lean on the zero-shot prior, and every code's models are blended with
the prior with weight n / (n + prior_strength). Training is deterministic for a seed.
"""


from __future__ import annotations

from .decision import (
    QUESTION_BOOST,
    QUESTION_FLOOR,
    Prediction,
    _apply_question_prior,
    _decide,
    _parent_index,
    resolve_languages,
)
from .lexical import content_lemmas, topic_clauses
from .supervised import FEATURES, FORMAT_VERSION, SupervisedCoder
from .zero_shot import (
    MIN_REFERENCE_SD,
    OFFSET_DEFINITIONS_ONLY,
    OFFSET_WITH_EXAMPLES,
    QUESTION_EVIDENCE,
    QUESTION_MENTION,
    REFERENCE_SENTENCES,
    SHORT_ANSWER_LEXICAL,
    ZeroShotCoder,
)

__all__ = [
    "FEATURES",
    "FORMAT_VERSION",
    "MIN_REFERENCE_SD",
    "OFFSET_DEFINITIONS_ONLY",
    "OFFSET_WITH_EXAMPLES",
    "QUESTION_BOOST",
    "QUESTION_EVIDENCE",
    "QUESTION_FLOOR",
    "QUESTION_MENTION",
    "REFERENCE_SENTENCES",
    "SHORT_ANSWER_LEXICAL",
    "Prediction",
    "SupervisedCoder",
    "ZeroShotCoder",
    "_apply_question_prior",
    "_decide",
    "_parent_index",
    "content_lemmas",
    "resolve_languages",
    "topic_clauses",
]
