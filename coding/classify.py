"""Deductive coding: assign codebook codes to texts, offline, with a confidence.

A text gets a code only when the evidence supports it, and no code otherwise: there is no
forced top-k. Codes are decided top-down: a theme (a top-level code) first, then a
sub-code ("theme/sub") only when it clears its own threshold under an assigned theme.

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

import functools
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .codebook import Code, Codebook, name_from_path
from .embeddings import Embedder, embed
from .errors import CodingError, NotEnoughData

Prediction = list[tuple[str, float]]
FORMAT_VERSION = 2
FEATURES = ("both", "embeddings", "ngrams")
# The guide question as a prior: how much it can raise a confidence, and how much evidence
# of its own (a share of the code's threshold) the answer needs before it is raised at all.
QUESTION_BOOST = 0.12
QUESTION_FLOOR = 0.6
QUESTION_EVIDENCE = 2.0  # a question names a code: z-score + lexical evidence above this
QUESTION_MENTION = 1.0  # an answer mentions a code: z-score + lexical evidence above this
# The spread of the reference small talk's similarities to a code is at least this: with
# multilingual-e5 it is 0.020 to 0.031 on the starter codebook; a degenerate embedder with
# almost none would otherwise turn any similarity into certainty.
MIN_REFERENCE_SD = 0.015
# The evidence a theme needs (z-score units). Prototypes with example answers sit closer to
# real answers than a name and definition alone (embedded as a passage) do, so the two get
# their own offsets: chosen on the even ids of the B2B theme set (starter codebook, with
# examples) and on MAMS (names and definitions only) respectively.
OFFSET_WITH_EXAMPLES = 2.0
# A one-word answer ("Mostly the support.") is coded only with a code whose own name or
# definition holds its word, specific to one or two themes (lexical evidence at least this:
# "support", "invoices", "consegne" pass; "prices", shared by several themes, and "avvisi", found
# only in examples, do not).
SHORT_ANSWER_LEXICAL = 0.5
OFFSET_DEFINITIONS_ONLY = 0.5

# Generic sentences on unrelated subjects: the reference a code's similarities are
# compared with, so that even a single text gets a calibrated confidence.
REFERENCE_SENTENCES = (
    "Thank you, that is all from my side.",
    "Good morning, can you hear me well?",
    "We are a family company founded in 1982.",
    "I have been working here for about ten years.",
    "Let me think for a moment.",
    "The weather has been terrible this week.",
    "We have about forty employees in two plants.",
    "I would rather not answer that question.",
    "Our main market is Germany, then France.",
    "Yes, I think so.",
    "That's a good question.",
    "We are opening a new warehouse next year.",
    "My colleague in purchasing usually handles that.",
    "The meeting is scheduled for Tuesday afternoon.",
    "I don't really have an opinion on that.",
    "Everything else is fine, nothing to add.",
    "Grazie, per me è tutto.",
    "Buongiorno, mi sente bene?",
    "Siamo un'azienda di famiglia fondata nel 1982.",
    "Lavoro qui da circa dieci anni.",
    "Mi lasci pensare un attimo.",
    "Questa settimana il tempo è stato pessimo.",
    "Abbiamo una quarantina di dipendenti in due stabilimenti.",
    "Preferirei non rispondere a questa domanda.",
    "Il nostro mercato principale è la Germania, poi la Francia.",
    "Sì, credo di sì.",
    "Bella domanda.",
    "L'anno prossimo apriamo un nuovo magazzino.",
    "Di solito se ne occupa il mio collega degli acquisti.",
    "La riunione è fissata per martedì pomeriggio.",
    "Non ho un'opinione precisa su questo.",
    "Per il resto va tutto bene, non ho altro da aggiungere.",
)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


def resolve_languages(texts: Sequence[str], lang: str | Sequence[str | None] | None,
                      default: str = "en") -> list[str]:
    """One language code per text: given, given per text, or detected."""
    if isinstance(lang, str):
        return [lang] * len(texts)
    if lang is not None:
        langs = list(lang)
        if len(langs) != len(texts):
            raise CodingError(
                f"Got {len(langs)} languages for {len(texts)} texts; give one per text, "
                "a single language, or None to detect them."
            )
        if all(item for item in langs):
            return [str(item) for item in langs]
    from .language import detect_language

    given = list(lang) if lang is not None else [None] * len(texts)
    return [str(g) if g else detect_language(t, default=default) for t, g in zip(texts, given, strict=True)]


def _check_questions(questions: Sequence[str | None] | None, n: int) -> list[str] | None:
    if questions is None:
        return None
    questions = [str(q or "").strip() for q in questions]
    if len(questions) != n:
        raise CodingError(f"Got {len(questions)} questions for {n} texts; give one per text "
                          "(None for an answer with no known question), or leave questions out.")
    return questions if any(questions) else None


# --- lexical evidence ---------------------------------------------------------------------

_TOKEN = re.compile(r"[^\W\d_]+", re.UNICODE)


def _lemma_language(lang: str) -> str:
    return "it" if str(lang).lower().startswith("it") else "en"


@functools.lru_cache(maxsize=200_000)
def _lemma(word: str, lang: str) -> str:
    import simplemma

    from .language import fold

    return fold(simplemma.lemmatize(word, lang=lang).lower())


@functools.cache
def _stops(lang: str) -> frozenset[str]:
    from .language import fold, stop_words

    return frozenset(fold(w) for w in stop_words(lang))


def content_lemmas(text: str, lang: str) -> list[str]:
    """The text's content words as folded lemmas (simplemma), stop words and short words out."""
    lang = _lemma_language(lang)
    stops = _stops(lang)
    out = []
    for word in _TOKEN.findall(text.replace("’", "'").lower()):
        if len(word) < 3:
            continue
        lemma = _lemma(word, lang)
        if len(lemma) >= 3 and lemma not in stops and word not in stops:
            out.append(lemma)
    return out


_TOPIC_BREAK = re.compile(
    r"[.;!?]+\s+|,?\s*\b(?:but|though|although|however|whereas|while|ma|però|pero|tuttavia|"
    r"mentre|invece|eppure)\b", re.IGNORECASE)


def topic_clauses(text: str, lang: str) -> list[str]:
    """The parts of a text that may each be about a theme of their own: sentences, and the
    sides of a contrast ("ma", "però", "but", "though"). Parts with fewer than two content
    words join no count; a text with fewer than two parts is returned whole."""
    parts = [p.strip(" ,;:-") for p in _TOPIC_BREAK.split(text)]
    parts = [p for p in parts if len(content_lemmas(p, lang)) >= 2]
    return parts if len(parts) > 1 else [text]


# Weights of a lemma by where it occurs in a code's wording (the highest counts).
_LEX_NAME, _LEX_DEFINITION, _LEX_EXAMPLE, _LEX_CHILD = 1.0, 0.7, 0.35, 0.5


# Words of any verdict, about any theme ("nel complesso bene", "always good", "ogni anno"),
# and goods, which every delivery carries: no evidence for one code (in the starter codebook
# "merce" named only "Merce danneggiata", so "la merce arriva tardi" became damaged goods).
_GENERIC_LEMMAS = frozenset((
    "complesso", "generale", "generalmente", "overall", "general", "generally", "sempre",
    "always", "mai", "never", "bene", "well", "good", "buono", "ottimo", "excellent", "great",
    "really", "davvero", "molto", "very", "anno", "year", "mese", "month", "volta", "ogni",
    "every", "problema", "problem", "nessuno", "nothing", "niente", "merce", "goods",
))


def _add_lemmas(weights: dict[str, float], words: str, lang: str, weight: float) -> None:
    for lemma in content_lemmas(words, lang):
        if lemma not in _GENERIC_LEMMAS:
            weights[lemma] = max(weights.get(lemma, 0.0), weight)


def _lexical_matrix(text_lemmas: Sequence[set[str]], code_weights: Sequence[dict[str, float]]
                    ) -> np.ndarray:
    """(texts, codes) noisy-or of the weights of each code's lemmas found in each text."""
    L = np.zeros((len(text_lemmas), len(code_weights)), dtype=np.float32)
    for j, weights in enumerate(code_weights):
        if not weights:
            continue
        for i, lemmas in enumerate(text_lemmas):
            miss = 1.0
            for lemma in lemmas:
                w = weights.get(lemma)
                if w:
                    miss *= 1.0 - w
            L[i, j] = 1.0 - miss
    return L


# --- top-down decision --------------------------------------------------------------------

def _parent_index(paths: Sequence[str]) -> np.ndarray:
    """For each path, the index of its nearest ancestor among `paths` (-1: a top code)."""
    where = {p: i for i, p in enumerate(paths)}
    parents = np.full(len(paths), -1, dtype=np.int64)
    for i, path in enumerate(paths):
        head = path
        while "/" in head:
            head = head.rsplit("/", 1)[0]
            if head in where:
                parents[i] = where[head]
                break
    return parents


def _decide(P: np.ndarray, thresholds: np.ndarray, paths: Sequence[str], parents: np.ndarray,
            assignable: np.ndarray, max_codes: int | None) -> list[Prediction]:
    """Themes first (best first, at most `max_codes`), then each theme's best sub-code that
    clears its own threshold; a theme with no such sub-code is given itself if assignable."""
    children: dict[int, list[int]] = {}
    for k, parent in enumerate(parents):
        children.setdefault(int(parent), []).append(k)
    tops = children.get(-1, [])

    def descend(j: int, row: np.ndarray) -> tuple[str, float] | None:
        subs = [k for k in children.get(j, []) if row[k] >= thresholds[k]]
        for k in sorted(subs, key=lambda k: (-row[k], paths[k])):
            found = descend(k, row)
            if found is not None:
                return found
        return (paths[j], float(row[j])) if assignable[j] else None

    out = []
    for row in P:
        chosen: Prediction = []
        themes = sorted((j for j in tops if row[j] >= thresholds[j]),
                        key=lambda j: (-row[j], paths[j]))
        for j in themes:
            found = descend(j, row)
            if found is not None:
                chosen.append(found)
            if max_codes and len(chosen) >= max_codes:
                break
        chosen.sort(key=lambda item: (-item[1], item[0]))
        out.append(chosen)
    return out


def _apply_question_prior(P: np.ndarray, thresholds: np.ndarray, relevance: np.ndarray | None,
                          mentioned: np.ndarray | None = None) -> np.ndarray:
    """Raise a code's confidence by up to QUESTION_BOOST when the question names it and the
    answer already has evidence for it: a confidence of at least QUESTION_FLOOR times the
    threshold and (`mentioned`, when given) the answer's own zero-shot evidence for the
    code. A code without such evidence is never touched."""
    if relevance is None:
        return P
    supported = P >= QUESTION_FLOOR * thresholds[None, :]
    if mentioned is not None:
        supported &= mentioned
    raised = np.minimum(1.0, P + QUESTION_BOOST * relevance)
    return np.where(supported, raised, P)


# --- zero-shot ----------------------------------------------------------------------------

class ZeroShotCoder:
    """Codes texts against a codebook with no training data (see the module docstring).

    `threshold` is the confidence a code needs; `max_codes` caps codes per text (0 or
    None: no cap). With `leaves_only` the parent codes are not scored and every leaf is
    decided on its own (flat); by default themes are decided first and a sub-code needs
    its theme. A code's evidence is e = z + lexical_weight * L: `z` its similarity z-score
    against the reference small talk, `L` (0..1) its lexical evidence. A theme's confidence
    is sigmoid(scale * (v - offset) + gap_weight * gap), `v` the best e in its subtree and
    `gap` (<= 0) how far v is behind the best theme's; a sub-code's is the same with its
    evidence beyond its theme's own against `sub_offset`, among its siblings, capped by its
    theme's confidence. With `clauses`, a text's confidences are raised to the best of its
    topic_clauses'. Lexical weight (3) and gap weight (4) were chosen on the MAMS categories;
    `offset` None takes OFFSET_WITH_EXAMPLES (2.0, chosen on the even ids of the B2B theme set,
    benchmarks/_b2b_themes.py) for a codebook with example answers and
    OFFSET_DEFINITIONS_ONLY (0.5, chosen on MAMS) for one without.

    `small_talk_gate` (on) gives no code to a text closer to one of the reference small-talk
    sentences than to any example answer of the codebook (codebooks with examples only).
    `reference_z` (off by default) gives confidence 0 to a code whose similarity is less
    than that many standard deviations above the reference small talk's.
    """

    codes_short_answers = True  # see SHORT_ANSWER_LEXICAL and coding.pipeline.code_transcript

    def __init__(self, codebook: Codebook, *, embedder: Embedder | None = None,
                 threshold: float = 0.5, max_codes: int | None = 2, leaves_only: bool = False,
                 use_examples: bool = True, scale: float = 1.5, offset: float | None = None,
                 sub_offset: float = 0.0, gap_weight: float = 4.0, lexical_weight: float = 3.0,
                 clauses: bool = True, reference_z: float | None = None,
                 small_talk_gate: bool = True) -> None:
        if not len(codebook):
            raise CodingError("The codebook has no codes; add codes or load a codebook file.")
        self.codebook = codebook
        self.embedder = embedder
        self.threshold = float(threshold)
        self.max_codes = max_codes
        self.use_examples = use_examples
        if offset is None:
            with_examples = use_examples and any(
                code.text(lang).examples for code in codebook.codes for lang in codebook.languages())
            offset = OFFSET_WITH_EXAMPLES if with_examples else OFFSET_DEFINITIONS_ONLY
        self.scale, self.offset, self.gap_weight = float(scale), float(offset), float(gap_weight)
        self.sub_offset = float(sub_offset)
        self.clauses = clauses
        self.lexical_weight = float(lexical_weight)
        self.reference_z = None if reference_z is None else float(reference_z)
        self.small_talk_gate = small_talk_gate
        chosen = codebook.leaves() if leaves_only else list(codebook.codes)
        self._codes: list[Code] = chosen
        self.codes = [code.path for code in chosen]
        self._parents = _parent_index(self.codes)
        depth = [path.count("/") for path in self.codes]
        self._deepest_first = sorted(range(len(self.codes)), key=lambda j: -depth[j])
        self._assignable = np.ones(len(self.codes), dtype=bool)
        self._prototypes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._examples: dict[str, np.ndarray] = {}  # all example vectors, per language
        self._lexicon: dict[str, list[dict[str, float]]] = {}
        self._reference: np.ndarray | None = None

    def _code_sentences(self, code: Code, lang: str) -> tuple[str, list[str]]:
        text = code.text(lang)
        label = text.prompt()
        parent = code.parent
        if parent is not None:
            label = f"{self.codebook.get(parent).text(lang).name} - {label}"
        examples = list(text.examples) if self.use_examples else []
        return label, examples

    def _prototypes_for(self, lang: str) -> tuple[np.ndarray, np.ndarray]:
        """(label vectors (codes, dim), example centroids (codes, dim)) in one language."""
        if lang not in self._prototypes:
            labels, examples = [], []
            for code in self._codes:
                label, sample = self._code_sentences(code, lang)
                labels.append(label)
                examples.append(sample)
            # "passage" for definitions, "query" for texts and examples: on the benchmark
            # categories this asymmetric pairing gained 0.08 to 0.10 micro F1 in English
            # over "query" everywhere, and made no difference in Italian.
            label_vectors = embed(labels, kind="passage", embedder=self.embedder)
            flat = [e for sample in examples for e in sample]
            example_vectors = embed(flat, kind="query", embedder=self.embedder) if flat else None
            centroids = label_vectors.copy()
            start = 0
            for row, sample in enumerate(examples):
                if sample and example_vectors is not None:
                    block = example_vectors[start:start + len(sample)]
                    mean = block.mean(axis=0)
                    # label and examples together: the definition anchors, examples widen
                    mixed = 0.5 * label_vectors[row] + 0.5 * mean / max(np.linalg.norm(mean), 1e-12)
                    centroids[row] = mixed / max(np.linalg.norm(mixed), 1e-12)
                start += len(sample)
            self._prototypes[lang] = (label_vectors, centroids)
            self._examples[lang] = (example_vectors if example_vectors is not None
                                    else np.zeros((0, label_vectors.shape[1]), np.float32))
        return self._prototypes[lang]

    def _lexicon_for(self, lang: str) -> list[dict[str, float]]:
        """Per code, {lemma: weight} from its own wording in `lang` (and its children's
        names and definitions, for a theme), divided by the number of themes whose codes'
        wording has the lemma: a word of one theme only is evidence, a common one is not."""
        if lang not in self._lexicon:
            own: list[dict[str, float]] = []
            for code in self._codes:
                text = code.text(lang)
                weights: dict[str, float] = {}
                if self.use_examples:
                    _add_lemmas(weights, " ".join(text.examples), lang, _LEX_EXAMPLE)
                _add_lemmas(weights, text.description, lang, _LEX_DEFINITION)
                _add_lemmas(weights, text.name, lang, _LEX_NAME)
                own.append(weights)
            # Specificity counts themes, not codes: "delivery" in the wording of the delivery
            # theme and its four sub-codes is one theme's word, not a word of five codes.
            holders: dict[str, set[str]] = {}
            for code, weights in zip(self._codes, own, strict=True):
                for lemma in weights:
                    holders.setdefault(lemma, set()).add(code.path.split("/", 1)[0])
            df = {lemma: len(themes) for lemma, themes in holders.items()}
            lexicon = []
            for j, code in enumerate(self._codes):
                weights = dict(own[j])
                for child in self.codebook.children(code.path):
                    if child.path in self.codes:
                        wording = child.text(lang)
                        _add_lemmas(weights, wording.description, lang, _LEX_CHILD * _LEX_DEFINITION)
                        _add_lemmas(weights, wording.name, lang, _LEX_CHILD * _LEX_NAME)
                lexicon.append({lemma: w / max(df.get(lemma, 1), 1) for lemma, w in weights.items()})
            self._lexicon[lang] = lexicon
        return self._lexicon[lang]

    def lexical(self, texts: Sequence[str], langs: Sequence[str]) -> np.ndarray:
        """(n, codes) lexical evidence in 0..1: the code's own words found in each text."""
        L = np.zeros((len(texts), len(self.codes)), dtype=np.float32)
        langs = list(langs)
        for lang in sorted(set(langs)):
            rows = [i for i, item in enumerate(langs) if item == lang]
            wording = self._wording(lang)
            lemmas = [set(content_lemmas(texts[i], wording)) for i in rows]
            L[rows] = _lexical_matrix(lemmas, self._lexicon_for(wording))
        return L

    def _nearest_example(self, X: np.ndarray, langs: Sequence[str]) -> np.ndarray:
        """Each text's highest similarity to any code's example answer (-inf: no examples)."""
        best = np.full(X.shape[0], -np.inf, dtype=np.float32)
        langs = list(langs)
        for lang in sorted(set(langs)):
            wording = self._wording(lang)
            self._prototypes_for(wording)
            examples = self._examples[wording]
            if examples.shape[0]:
                rows = [i for i, item in enumerate(langs) if item == lang]
                best[rows] = (X[rows] @ examples.T).max(axis=1)
        return best

    def _reference_vectors(self) -> np.ndarray:
        if self._reference is None:
            self._reference = embed(list(REFERENCE_SENTENCES), kind="query", embedder=self.embedder)
        return self._reference

    def similarities(self, X: np.ndarray, langs: Sequence[str]) -> np.ndarray:
        """Raw cosine similarity of each row of X to each code, in the row's language."""
        X = np.asarray(X, dtype=np.float32)
        S = np.zeros((X.shape[0], len(self.codes)), dtype=np.float32)
        langs = list(langs)
        for lang in sorted(set(langs)):
            rows = [i for i, item in enumerate(langs) if item == lang]
            _, centroids = self._prototypes_for(self._wording(lang))
            S[rows] = X[rows] @ centroids.T
        return S

    def _wording(self, lang: str) -> str:
        return lang if lang in self.codebook.languages() else self.codebook.language

    def _confidence(self, S: np.ndarray, L: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(confidences, z-scores against the small-talk reference, evidence, gap) for S.

        A code's evidence is its similarity z-score against the reference small talk plus
        `lexical_weight` times its lexical evidence. A code stands for its whole subtree: its
        level value is the best evidence in it, so a theme is as strong as its best sub-code.
        `gap` (<= 0) is how far that value is behind the best of its siblings: with the default
        gap weight only the best theme of a text (or of a clause) clears the threshold, unless
        another is practically tied with it. A theme's confidence is a logistic of its value
        above `offset`; a sub-code's, of its evidence beyond its theme's own (see
        `_own_evidence`) above `sub_offset`, under the same gap rule among its siblings."""
        ref = self._reference_vectors()
        ref_langs = ["en" if i < len(REFERENCE_SENTENCES) // 2 else "it" for i in range(len(ref))]
        RS = self.similarities(ref, ref_langs)
        # Against the reference only: a text's codes do not depend on what else is coded
        # with it (one interview or two hundred).
        z_small_talk = (S - RS.mean(axis=0)) / np.maximum(RS.std(axis=0), MIN_REFERENCE_SD)
        evidence = z_small_talk + self.lexical_weight * L
        value = evidence.copy()
        for j in self._deepest_first:
            parent = self._parents[j]
            if parent >= 0:
                value[:, parent] = np.maximum(value[:, parent], value[:, j])
        gap = np.zeros_like(value)
        for parent in np.unique(self._parents):
            group = np.flatnonzero(self._parents == parent)
            gap[:, group] = value[:, group] - value[:, group].max(axis=1, keepdims=True)
        sub = self._parents >= 0
        margin = value - self.offset
        margin[:, sub] = self._own_evidence(evidence)[:, sub] - self.sub_offset
        confidence = _sigmoid(self.scale * margin + self.gap_weight * gap)
        for j in sorted(range(len(self.codes)), key=lambda j: self.codes[j].count("/")):
            parent = self._parents[j]
            if parent >= 0:  # a sub-code is never surer than its theme
                confidence[:, j] = np.minimum(confidence[:, j], confidence[:, parent])
        return confidence, z_small_talk, evidence, gap

    def scores_embeddings(self, X: np.ndarray, langs: Sequence[str],
                          texts: Sequence[str] | None = None) -> np.ndarray:
        """Calibrated confidences (n, codes) for embedded texts (lexical evidence needs `texts`)."""
        X = np.asarray(X, dtype=np.float32)
        langs = list(langs)
        S = self.similarities(X, langs)
        L = (self.lexical(list(texts), langs) if texts is not None and self.lexical_weight
             else np.zeros_like(S))
        confidence, z_small_talk, _, _ = self._confidence(S, L)
        if texts is not None and self.clauses:
            confidence = self._with_clauses(confidence, list(texts), langs)
        if texts is not None:
            # An answer of one content word gets only a code that its word names.
            short = np.array([len(content_lemmas(t, self._wording(lang))) < 2
                              for t, lang in zip(texts, langs, strict=True)])
            if short.any():
                named = L >= SHORT_ANSWER_LEXICAL
                confidence = np.where(short[:, None] & ~named, 0.0, confidence)
        if self.reference_z is not None:
            # No code for a text that is no closer to it than small talk usually is.
            confidence = np.where(z_small_talk >= self.reference_z, confidence, 0.0)
        if not self.small_talk_gate:
            return confidence
        # Nor for a text that is closer to some small-talk sentence than to any example
        # answer of the codebook ("Morning.", "Buongiorno, sì, può registrare", "Bye for
        # now"): in interviews these are common and otherwise pick up whatever code is
        # nearest. Sentences are compared with sentences: a definition embedded as a
        # passage always scores lower than a sentence does, so a codebook without
        # examples has no gate (on the benchmark categories such a comparison halved F1).
        nearest_small_talk = (X @ self._reference_vectors().T).max(axis=1)
        nearest_example = self._nearest_example(X, langs)
        talk = (nearest_example > -np.inf) & (nearest_small_talk >= nearest_example)
        return np.where(talk[:, None], 0.0, confidence)

    def _own_evidence(self, evidence: np.ndarray) -> np.ndarray:
        """A sub-code's evidence beyond its theme's own (a theme's is its evidence as is).

        Sub-codes share their theme's subject, so a text about the theme is similar to all
        of them: their z-scores against small talk say "about the theme", not "about this
        sub-code". Only what a sub-code has above its theme is its own evidence; without
        it the theme itself is given (on the demo study, sub-codes with no evidence of
        their own, e.g. delivery/tracking for "Nel complesso bene, lavoriamo insieme da tre
        anni.", were given at 0.7 to 0.99). Flat codebooks are unchanged."""
        sub = self._parents >= 0
        if not sub.any():
            return evidence
        own = evidence.copy()
        own[:, sub] = evidence[:, sub] - evidence[:, self._parents[sub]]
        return own

    def _with_clauses(self, confidence: np.ndarray, texts: list[str], langs: list[str]
                      ) -> np.ndarray:
        """Each text's confidences, raised to the best of its clauses' (see topic_clauses).

        "Delivery is fast, but the invoices are a mess" is about two themes; as a whole its
        best theme hides the other behind the gap rule, clause by clause each is the best."""
        pieces: list[str] = []
        owner: list[int] = []
        for i, (text, lang) in enumerate(zip(texts, langs, strict=True)):
            parts = topic_clauses(text, lang)
            if len(parts) > 1:
                pieces += parts
                owner += [i] * len(parts)
        if not pieces:
            return confidence
        piece_langs = [langs[i] for i in owner]
        XC = embed(pieces, kind="query", embedder=self.embedder)
        SC = self.similarities(XC, piece_langs)
        LC = self.lexical(pieces, piece_langs) if self.lexical_weight else np.zeros_like(SC)
        out = confidence.copy()
        np.maximum.at(out, np.asarray(owner), self._confidence(SC, LC)[0])
        return out

    def mentions(self, X: np.ndarray, langs: Sequence[str],
                 texts: Sequence[str] | None = None) -> np.ndarray:
        """(n, codes) bool: the text's own evidence for the code (similarity z-score plus
        lexical evidence) is at least QUESTION_MENTION; what the question prior needs."""
        X = np.asarray(X, dtype=np.float32)
        S = self.similarities(X, list(langs))
        L = (self.lexical(list(texts), list(langs)) if texts is not None and self.lexical_weight
             else np.zeros_like(S))
        return self._confidence(S, L)[2] >= QUESTION_MENTION

    def question_relevance(self, questions: Sequence[str | None], langs: Sequence[str]
                           ) -> np.ndarray:
        """(n, codes) in 0..1: how clearly each guide question names each code (0: not at all
        or no question). Only the best code of its level counts, and only with evidence
        (z-score plus lexical evidence) above QUESTION_EVIDENCE: 0 there, 1 at twice that."""
        questions = [str(q or "").strip() for q in questions]
        out = np.zeros((len(questions), len(self.codes)), dtype=np.float32)
        keys = sorted({(q, lang) for q, lang in zip(questions, langs, strict=True) if q})
        if not keys:
            return out
        Q = embed([q for q, _ in keys], kind="query", embedder=self.embedder)
        q_langs = [lang for _, lang in keys]
        S = self.similarities(Q, q_langs)
        L = self.lexical([q for q, _ in keys], q_langs) if self.lexical_weight else np.zeros_like(S)
        _, _, evidence, gap = self._confidence(S, L)
        relevance = np.where(gap >= 0.0, np.clip(evidence / QUESTION_EVIDENCE - 1.0, 0.0, 1.0),
                             0.0)
        index = {key: row for row, key in enumerate(keys)}
        for i, (q, lang) in enumerate(zip(questions, langs, strict=True)):
            if q:
                out[i] = relevance[index[(q, lang)]]
        return out

    def scores(self, texts: Sequence[str], lang: str | Sequence[str | None] | None = None
               ) -> np.ndarray:
        texts = list(texts)
        langs = resolve_languages(texts, lang)
        return self.scores_embeddings(embed(texts, kind="query", embedder=self.embedder), langs,
                                      texts=texts)

    def predict_embeddings(self, X: np.ndarray, langs: Sequence[str], *,
                           texts: Sequence[str] | None = None,
                           questions: Sequence[str | None] | None = None) -> list[Prediction]:
        langs = list(langs)
        P = self.scores_embeddings(X, langs, texts=texts)
        thresholds = np.full(len(self.codes), self.threshold)
        questions = _check_questions(questions, len(langs))
        if questions is not None:
            P = _apply_question_prior(P, thresholds, self.question_relevance(questions, langs),
                                      self.mentions(X, langs, texts))
        return _decide(P, thresholds, self.codes, self._parents, self._assignable, self.max_codes)

    def predict(self, texts: Sequence[str], lang: str | Sequence[str | None] | None = None, *,
                questions: Sequence[str | None] | None = None) -> list[Prediction]:
        texts = list(texts)
        if not texts:
            return []
        langs = resolve_languages(texts, lang)
        return self.predict_embeddings(embed(texts, kind="query", embedder=self.embedder), langs,
                                       texts=texts, questions=questions)


# --- supervised ---------------------------------------------------------------------------

def _default_embedder_name() -> str:
    from .embeddings import get_embedder

    return get_embedder().name


def _clean_label_sets(label_sets: Sequence[Any]) -> list[list[str]]:
    cleaned = []
    for labels in label_sets:
        if isinstance(labels, str):
            labels = labels.split(";")
        cleaned.append(sorted({str(label).strip().strip("/") for label in labels
                               if str(label).strip().strip("/")}))
    return cleaned


def _with_ancestors(labels: Sequence[str]) -> set[str]:
    out = set()
    for label in labels:
        parts = label.split("/")
        out.update("/".join(parts[:k]) for k in range(1, len(parts) + 1))
    return out


def _best_threshold(y: np.ndarray, p: np.ndarray) -> float:
    grid = np.arange(0.15, 0.86, 0.05)
    best, best_f1 = 0.5, -1.0
    for t in grid:
        pred = p >= t
        tp = float(np.sum(pred & (y == 1)))
        fp = float(np.sum(pred & (y == 0)))
        fn = float(np.sum(~pred & (y == 1)))
        f1 = 2 * tp / max(2 * tp + fp + fn, 1.0)
        if f1 > best_f1 + 1e-9:
            best, best_f1 = float(t), f1
    return best


class _Ngrams:
    """TF-IDF of word 1-2 grams and character 2-5 grams (char_wb), hashed, so that the
    fitted state is two arrays per block (kept columns, their IDF) and saves without pickle."""

    N_FEATURES = 2 ** 20

    def __init__(self) -> None:
        self.cols: list[np.ndarray] = []
        self.idf: list[np.ndarray] = []

    @classmethod
    def raw(cls, texts: Sequence[str]) -> list[Any]:
        from sklearn.feature_extraction.text import HashingVectorizer

        common = {"n_features": cls.N_FEATURES, "alternate_sign": False, "norm": None,
                  "lowercase": True, "strip_accents": "unicode"}
        word = HashingVectorizer(analyzer="word", ngram_range=(1, 2),
                                 token_pattern=r"(?u)\b\w+\b", **common)
        char = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), **common)
        texts = [str(t) for t in texts]
        return [word.transform(texts).tocsc(), char.transform(texts).tocsc()]

    def fit(self, raw: Sequence[Any]) -> _Ngrams:
        self.cols, self.idf = [], []
        for block in raw:
            n = block.shape[0]
            df = np.diff(block.indptr)  # csc: non-zero rows per column
            cols = np.flatnonzero(df).astype(np.int64)
            self.cols.append(cols)
            self.idf.append((np.log((1.0 + n) / (1.0 + df[cols])) + 1.0).astype(np.float32))
        return self

    def transform(self, raw: Sequence[Any]) -> Any:
        from scipy import sparse
        from sklearn.preprocessing import normalize

        blocks = []
        for block, cols, idf in zip(raw, self.cols, self.idf, strict=True):
            kept = block[:, cols].tocsr().astype(np.float64)
            kept.data = 1.0 + np.log(kept.data)  # sublinear tf
            kept = kept.multiply(idf[None, :]).tocsr()
            blocks.append(normalize(kept))
        return sparse.hstack(blocks).tocsr()


def _rows(raw: Sequence[Any] | None, rows: np.ndarray) -> list[Any] | None:
    return None if raw is None else [block[rows] for block in raw]


class SupervisedCoder:
    """Multi-label coder learnt from coded texts (the analyst's codes and corrections).

    `features`: "both" (default: embeddings and n-grams, probabilities averaged),
    "embeddings" or "ngrams". `C` and `text_C` are the inverse regularisation of the
    embedding and n-gram logistic regressions. A code needs `min_positives` labelled texts
    to get its own models; with a `codebook`, rarer codes use the zero-shot prior, and a
    code's models are blended with the prior with weight n / (n + prior_strength). A label
    "theme/sub" also counts as a label of "theme", so themes are learnt from all their
    sub-codes' decisions. `max_codes` caps the codes per text (None: no cap).
    """

    def __init__(self, *, embedder: Embedder | None = None, features: str = "both",
                 C: float = 10.0, text_C: float = 10.0, codebook: Codebook | None = None,
                 min_positives: int = 5, prior_strength: float = 10.0,
                 tune_thresholds: bool = True, inner_folds: int = 3,
                 max_codes: int | None = 3, seed: int = 0) -> None:
        if features not in FEATURES:
            raise CodingError(f"features must be one of {', '.join(FEATURES)}, got {features!r}.")
        self.embedder = embedder
        self.features = features
        self.C = float(C)
        self.text_C = float(text_C)
        self.codebook = codebook
        self.min_positives = max(1, int(min_positives))
        self.prior_strength = float(prior_strength)
        self.tune_thresholds = tune_thresholds
        self.inner_folds = max(2, int(inner_folds))
        self.max_codes = max_codes
        self.seed = int(seed)
        self.labels_: list[str] = []
        self.coef_ = np.zeros((0, 0), dtype=np.float32)
        self.intercept_ = np.zeros(0, dtype=np.float32)
        self.text_coef_ = np.zeros((0, 0), dtype=np.float32)
        self.text_intercept_ = np.zeros(0, dtype=np.float32)
        self.thresholds_ = np.zeros(0, dtype=np.float32)
        self.positives_ = np.zeros(0, dtype=np.int64)
        self.trained_ = np.zeros(0, dtype=bool)
        self.assignable_ = np.zeros(0, dtype=bool)
        self._ngrams = _Ngrams()
        self._prior: ZeroShotCoder | None = None
        self._question_coder: ZeroShotCoder | None = None

    @property
    def _uses_embeddings(self) -> bool:
        return self.features in ("both", "embeddings")

    @property
    def _uses_ngrams(self) -> bool:
        return self.features in ("both", "ngrams")

    # -- training --------------------------------------------------------------------------
    def fit(self, texts: Sequence[str], label_sets: Sequence[Any],
            sample_weight: Sequence[float] | None = None,
            lang: str | Sequence[str | None] | None = None) -> SupervisedCoder:
        texts = list(texts)
        X = embed(texts, kind="query", embedder=self.embedder)
        langs = resolve_languages(texts, lang) if self.codebook is not None else None
        return self.fit_embeddings(X, label_sets, sample_weight=sample_weight, langs=langs,
                                   texts=texts)

    def _fit_models(self, X: np.ndarray, raw: list[Any] | None, Y: np.ndarray,
                    weights: np.ndarray | None, trainable: np.ndarray) -> None:
        from sklearn.linear_model import LogisticRegression

        n_labels = Y.shape[1]
        self.coef_ = np.zeros((n_labels, X.shape[1] if self._uses_embeddings else 0), np.float32)
        self.intercept_ = np.zeros(n_labels, dtype=np.float32)
        T = None
        if self._uses_ngrams:
            assert raw is not None
            self._ngrams.fit(raw)
            T = self._ngrams.transform(raw)
            self.text_coef_ = np.zeros((n_labels, T.shape[1]), dtype=np.float32)
        else:
            self.text_coef_ = np.zeros((n_labels, 0), dtype=np.float32)
        self.text_intercept_ = np.zeros(n_labels, dtype=np.float32)
        self.trained_ = np.zeros(n_labels, dtype=bool)
        for j in np.flatnonzero(trainable):
            y = Y[:, j]
            if y.sum() == 0 or y.sum() == len(y):
                continue
            if self._uses_embeddings:
                model = LogisticRegression(C=self.C, class_weight="balanced", max_iter=2000)
                model.fit(X, y, sample_weight=weights)
                self.coef_[j], self.intercept_[j] = model.coef_[0], model.intercept_[0]
            if T is not None:
                model = LogisticRegression(C=self.text_C, class_weight="balanced",
                                           solver="liblinear", random_state=self.seed)
                model.fit(T, y, sample_weight=weights)
                self.text_coef_[j], self.text_intercept_[j] = model.coef_[0], model.intercept_[0]
            self.trained_[j] = True

    def _model_proba(self, X: np.ndarray, raw: list[Any] | None) -> np.ndarray:
        """The models' own probabilities (n, labels): 0 for a code without models."""
        parts = []
        if self._uses_embeddings:
            parts.append(_sigmoid(np.asarray(X, dtype=np.float64) @ self.coef_.T + self.intercept_))
        if self._uses_ngrams:
            if raw is None:
                raise CodingError("This coder uses n-gram features: pass the texts too "
                                  "(texts=...), or call predict() with the texts.")
            T = self._ngrams.transform(raw)
            parts.append(_sigmoid(np.asarray(T @ self.text_coef_.T) + self.text_intercept_))
        P = np.mean(parts, axis=0)
        P[:, ~self.trained_] = 0.0
        return P

    def fit_embeddings(self, X: np.ndarray, label_sets: Sequence[Any],
                       sample_weight: Sequence[float] | None = None,
                       langs: Sequence[str] | None = None,
                       texts: Sequence[str] | None = None) -> SupervisedCoder:
        from sklearn.model_selection import KFold

        X = np.asarray(X, dtype=np.float64)
        sets = _clean_label_sets(label_sets)
        if X.shape[0] != len(sets):
            raise CodingError(f"Got {X.shape[0]} texts but {len(sets)} label sets; give one per text.")
        if texts is not None and len(texts) != len(sets):
            raise CodingError(f"Got {len(texts)} texts but {len(sets)} label sets; give one per text.")
        if self._uses_ngrams and texts is None:
            raise CodingError("This coder uses n-gram features: pass the texts (texts=...) or "
                              "call fit() with the texts.")
        if X.shape[0] < 2:
            raise NotEnoughData("Training needs at least two coded texts; code more and retry.")
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        if weights is not None and (weights.shape[0] != X.shape[0] or np.any(weights < 0)):
            raise CodingError("sample_weight needs one non-negative weight per text.")
        observed = {label for labels in sets for label in labels}
        if not observed and self.codebook is None:
            raise NotEnoughData("No codes in the training data: every text has an empty label set.")
        labels = set(_with_ancestors(sorted(observed)))
        if self.codebook is not None:
            labels |= set(self.codebook.paths)
        self.labels_ = sorted(labels)
        expanded = [_with_ancestors(row) for row in sets]
        Y = np.array([[label in row for label in self.labels_] for row in expanded], dtype=np.int64)
        self.assignable_ = np.array([label in observed or (self.codebook is not None
                                                          and label in self.codebook.paths)
                                     for label in self.labels_], dtype=bool)
        self.positives_ = Y.sum(axis=0).astype(np.int64)
        trainable = (self.positives_ >= self.min_positives) & (self.positives_ < len(sets))
        if not trainable.any() and self.codebook is None:
            raise NotEnoughData(
                f"No code has {self.min_positives} coded examples yet; code at least "
                f"{self.min_positives} texts for a code, then train.")
        raw = _Ngrams.raw(list(texts)) if self._uses_ngrams else None
        self._prior = None
        self._question_coder = None
        prior = self._prior_coder()
        Z = None
        if prior is not None:
            if langs is None:
                langs = [self.codebook.language] * X.shape[0]  # type: ignore[union-attr]
            Z = prior.scores_embeddings(X, list(langs), texts=texts)

        thresholds = np.full(len(self.labels_), 0.5, dtype=np.float32)
        n = X.shape[0]
        if self.tune_thresholds and trainable.any() and n >= 2 * self.inner_folds:
            # Out-of-fold probabilities from an inner k-fold on these training rows only.
            oof = np.zeros((n, len(self.labels_)))
            splitter = KFold(n_splits=self.inner_folds, shuffle=True, random_state=self.seed)
            for train, test in splitter.split(X):
                self._fit_models(X[train], _rows(raw, train), Y[train],
                                 None if weights is None else weights[train], trainable)
                oof[test] = self._model_proba(X[test], _rows(raw, test))
            blended = self._blend_with(oof, Z, trainable)
            for j in np.flatnonzero(trainable):
                best = _best_threshold(Y[:, j], blended[:, j])
                # A few decisions give a noisy threshold: shrink it toward 0.5.
                n_pos = float(self.positives_[j])
                thresholds[j] = (n_pos * best + 10.0 * 0.5) / (n_pos + 10.0)
        self._fit_models(X, raw, Y, weights, trainable)
        if prior is not None:
            for j, label in enumerate(self.labels_):
                if not self.trained_[j]:
                    thresholds[j] = prior.threshold
        self.thresholds_ = thresholds
        return self

    # -- prediction ------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not self.labels_:
            raise CodingError("The coder is not trained yet: call fit() or load() first.")

    def _prior_coder(self) -> ZeroShotCoder | None:
        if self.codebook is None:
            return None
        if self._prior is None:
            self._prior = ZeroShotCoder(self.codebook, embedder=self.embedder, max_codes=None)
        return self._prior

    def _blend_with(self, P: np.ndarray, Z: np.ndarray | None, trained: np.ndarray) -> np.ndarray:
        """P with the codebook prior Z (in the prior's code order) mixed in."""
        prior = self._prior_coder()
        if prior is None or Z is None:
            return P
        P = P.copy()
        for k, path in enumerate(prior.codes):
            if path not in self.labels_:
                continue
            j = self.labels_.index(path)
            n = float(self.positives_[j]) if trained[j] else 0.0
            w = n / (n + self.prior_strength)
            P[:, j] = w * P[:, j] + (1 - w) * Z[:, k]
        return P

    def _proba(self, X: np.ndarray, langs: Sequence[str] | None,
               texts: Sequence[str] | None) -> np.ndarray:
        raw = _Ngrams.raw(list(texts)) if (self._uses_ngrams and texts is not None) else None
        P = self._model_proba(X, raw)
        prior = self._prior_coder()
        if prior is None:
            return P
        if langs is None:
            langs = [self.codebook.language] * X.shape[0]  # type: ignore[union-attr]
        Z = prior.scores_embeddings(X, list(langs), texts=texts)
        return self._blend_with(P, Z, self.trained_)

    def _question_prior(self, P: np.ndarray, thresholds: np.ndarray, X: np.ndarray,
                        questions: Sequence[str], langs: Sequence[str] | None,
                        texts: Sequence[str] | None) -> np.ndarray:
        """P raised where the question names a label the answer itself mentions."""
        if langs is None:
            langs = resolve_languages(list(texts) if texts is not None else list(questions), None)
        coder = self._question_zero_shot()
        relevance = self._to_labels(coder, coder.question_relevance(questions, list(langs)))
        mentioned = self._to_labels(coder, coder.mentions(X, list(langs), texts)).astype(bool)
        return _apply_question_prior(P, thresholds, relevance, mentioned)

    def _to_labels(self, coder: ZeroShotCoder, M: np.ndarray) -> np.ndarray:
        out = np.zeros((M.shape[0], len(self.labels_)), dtype=M.dtype)
        for k, path in enumerate(coder.codes):
            if path in self.labels_:
                out[:, self.labels_.index(path)] = M[:, k]
        return out

    def _question_zero_shot(self) -> ZeroShotCoder:
        """The codebook's zero-shot coder, or one on the label names without a codebook."""
        if self._question_coder is None:
            book = self.codebook
            if book is None:
                book = Codebook([Code(path, name_from_path(path)) for path in self.labels_])
            self._question_coder = ZeroShotCoder(book, embedder=self.embedder, max_codes=None)
        return self._question_coder

    def predict_proba_embeddings(self, X: np.ndarray, langs: Sequence[str] | None = None, *,
                                 texts: Sequence[str] | None = None) -> np.ndarray:
        self._check_fitted()
        return self._proba(X, langs, texts)

    def predict_embeddings(self, X: np.ndarray, langs: Sequence[str] | None = None, *,
                           texts: Sequence[str] | None = None,
                           questions: Sequence[str | None] | None = None) -> list[Prediction]:
        self._check_fitted()
        P = self._proba(X, langs, texts)
        thresholds = self.thresholds_.astype(np.float64)
        questions = _check_questions(questions, P.shape[0])
        if questions is not None:
            P = self._question_prior(P, thresholds, np.asarray(X, dtype=np.float32), questions,
                                     langs, texts)
        return _decide(P, thresholds, self.labels_, _parent_index(self.labels_),
                       self.assignable_, self.max_codes)

    def predict_proba(self, texts: Sequence[str], lang: str | Sequence[str | None] | None = None
                      ) -> np.ndarray:
        texts = list(texts)
        langs = resolve_languages(texts, lang) if self.codebook is not None else None
        return self.predict_proba_embeddings(embed(texts, kind="query", embedder=self.embedder),
                                             langs, texts=texts)

    def predict(self, texts: Sequence[str], lang: str | Sequence[str | None] | None = None, *,
                questions: Sequence[str | None] | None = None) -> list[Prediction]:
        texts = list(texts)
        if not texts:
            return []
        self._check_fitted()
        langs = (resolve_languages(texts, lang)
                 if self.codebook is not None or questions is not None else None)
        return self.predict_embeddings(embed(texts, kind="query", embedder=self.embedder), langs,
                                       texts=texts, questions=questions)

    # -- persistence -----------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the trained coder to one .npz file (arrays plus JSON metadata, no pickle)."""
        self._check_fitted()
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_suffix(".npz")
        meta = {
            "format": FORMAT_VERSION,
            "labels": self.labels_,
            "features": self.features,
            "C": self.C,
            "text_C": self.text_C,
            "min_positives": self.min_positives,
            "prior_strength": self.prior_strength,
            "inner_folds": self.inner_folds,
            "max_codes": self.max_codes,
            "seed": self.seed,
            "embedder": getattr(self.embedder, "name", None) or _default_embedder_name(),
            "codebook": self.codebook.to_dict() if self.codebook is not None else None,
        }
        ngrams = {}
        for b, (cols, idf) in enumerate(zip(self._ngrams.cols, self._ngrams.idf, strict=True)):
            ngrams[f"ngram_cols_{b}"] = cols
            ngrams[f"ngram_idf_{b}"] = idf
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp.npz")
        np.savez(tmp, coef=self.coef_, intercept=self.intercept_, text_coef=self.text_coef_,
                 text_intercept=self.text_intercept_, thresholds=self.thresholds_,
                 positives=self.positives_, trained=self.trained_, assignable=self.assignable_,
                 meta=np.array(json.dumps(meta)), **ngrams)
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path, *, embedder: Embedder | None = None) -> SupervisedCoder:
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                arrays = {k: data[k] for k in data.files if k != "meta"}
        except (OSError, KeyError, ValueError) as exc:
            raise CodingError(
                f"{path} is not a saved coder ({exc}). Retrain it with SupervisedCoder.fit()."
            ) from exc
        version = meta.get("format")
        if version not in (1, FORMAT_VERSION):
            raise CodingError(f"{path} was saved by another version of Perché; retrain the coder.")
        trained_with = meta.get("embedder")
        if embedder is not None and trained_with and getattr(embedder, "name", None) != trained_with:
            raise CodingError(
                f"{path} was trained on {trained_with} embeddings, not "
                f"{getattr(embedder, 'name', type(embedder).__name__)}; retrain the coder."
            )
        codebook = Codebook.from_dict(meta["codebook"]) if meta.get("codebook") else None
        coder = cls(embedder=embedder, features=meta.get("features", "embeddings"),
                    C=meta["C"], text_C=meta.get("text_C", 10.0), codebook=codebook,
                    min_positives=meta["min_positives"], prior_strength=meta["prior_strength"],
                    inner_folds=meta.get("inner_folds", 3), max_codes=meta.get("max_codes"),
                    seed=meta["seed"])
        try:
            coder.labels_ = list(meta["labels"])
            n = len(coder.labels_)
            coder.coef_ = arrays["coef"]
            coder.intercept_ = arrays["intercept"]
            coder.thresholds_ = arrays["thresholds"]
            coder.positives_ = arrays["positives"]
            coder.trained_ = arrays["trained"].astype(bool)
            # Format 1 (embeddings only, flat) had no sub-code rules: every label is assignable.
            coder.assignable_ = arrays.get("assignable", np.ones(n, dtype=bool)).astype(bool)
            coder.text_coef_ = arrays.get("text_coef", np.zeros((n, 0), dtype=np.float32))
            coder.text_intercept_ = arrays.get("text_intercept", np.zeros(n, dtype=np.float32))
            blocks = sorted(int(k.rsplit("_", 1)[1]) for k in arrays if k.startswith("ngram_cols_"))
            coder._ngrams.cols = [arrays[f"ngram_cols_{b}"].astype(np.int64) for b in blocks]
            coder._ngrams.idf = [arrays[f"ngram_idf_{b}"] for b in blocks]
        except KeyError as exc:
            raise CodingError(f"{path} is incomplete (no {exc}); retrain the coder.") from exc
        return coder
