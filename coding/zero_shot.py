"""ZeroShotCoder: codes texts against a codebook with no training data (see coding.classify)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .codebook import Code, Codebook
from .decision import (
    Prediction,
    _apply_question_prior,
    _check_questions,
    _decide,
    _parent_index,
    _sigmoid,
    resolve_languages,
)
from .embeddings import Embedder, embed
from .errors import CodingError
from .lexical import (
    _LEX_CHILD,
    _LEX_DEFINITION,
    _LEX_EXAMPLE,
    _LEX_NAME,
    _add_lemmas,
    _lexical_matrix,
    content_lemmas,
    topic_clauses,
)

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
OFFSET_DEFINITIONS_ONLY = 0.5
# A one-word answer ("Mostly the support.") is coded only with a code whose own name or
# definition holds its word, specific to one or two themes (lexical evidence at least this:
# "support", "invoices", "consegne" pass; "prices", shared by several themes, and "avvisi", found
# only in examples, do not).
SHORT_ANSWER_LEXICAL = 0.5

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
        self._reference_stats_cache: tuple[np.ndarray, np.ndarray] | None = None

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
        # Against the reference only: a text's codes do not depend on what else is coded
        # with it (one interview or two hundred).
        mean, sd = self._reference_stats()
        z_small_talk = (S - mean) / sd
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
        for j in reversed(self._deepest_first):  # themes before their sub-codes
            parent = self._parents[j]
            if parent >= 0:  # a sub-code is never surer than its theme
                confidence[:, j] = np.minimum(confidence[:, j], confidence[:, parent])
        return confidence, z_small_talk, evidence, gap

    def scores_embeddings(self, X: np.ndarray, langs: Sequence[str],
                          texts: Sequence[str] | None = None) -> np.ndarray:
        """Calibrated confidences (n, codes) for embedded texts (lexical evidence needs `texts`)."""
        return self._scored(X, langs, texts)[0]

    def _inputs(self, X: np.ndarray, langs: list[str], texts: Sequence[str] | None
                ) -> tuple[np.ndarray, np.ndarray]:
        """(similarities, lexical evidence) of embedded texts."""
        S = self.similarities(np.asarray(X, dtype=np.float32), langs)
        L = (self.lexical(list(texts), langs) if texts is not None and self.lexical_weight
             else np.zeros_like(S))
        return S, L

    def _scored(self, X: np.ndarray, langs: Sequence[str], texts: Sequence[str] | None
                ) -> tuple[np.ndarray, np.ndarray]:
        """(confidences, evidence) of embedded texts: what scores_embeddings and the question
        prior both need, computed once."""
        X = np.asarray(X, dtype=np.float32)
        langs = list(langs)
        S, L = self._inputs(X, langs, texts)
        confidence, z_small_talk, evidence, _ = self._confidence(S, L)
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
            return confidence, evidence
        # Nor for a text that is closer to some small-talk sentence than to any example
        # answer of the codebook ("Morning.", "Buongiorno, sì, può registrare", "Bye for
        # now"): in interviews these are common and otherwise pick up whatever code is
        # nearest. Sentences are compared with sentences: a definition embedded as a
        # passage always scores lower than a sentence does, so a codebook without
        # examples has no gate (on the benchmark categories such a comparison halved F1).
        nearest_small_talk = (X @ self._reference_vectors().T).max(axis=1)
        nearest_example = self._nearest_example(X, langs)
        talk = (nearest_example > -np.inf) & (nearest_small_talk >= nearest_example)
        return np.where(talk[:, None], 0.0, confidence), evidence

    def _reference_stats(self) -> tuple[np.ndarray, np.ndarray]:
        """Per code, the mean and spread (at least MIN_REFERENCE_SD) of the reference small
        talk's similarities: computed once per coder."""
        if self._reference_stats_cache is None:
            ref = self._reference_vectors()
            half = len(REFERENCE_SENTENCES) // 2
            RS = self.similarities(ref, ["en" if i < half else "it" for i in range(len(ref))])
            self._reference_stats_cache = (RS.mean(axis=0),
                                           np.maximum(RS.std(axis=0), MIN_REFERENCE_SD))
        return self._reference_stats_cache

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
        S, L = self._inputs(X, list(langs), texts)
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
        P, evidence = self._scored(X, langs, texts)
        thresholds = np.full(len(self.codes), self.threshold)
        questions = _check_questions(questions, len(langs))
        if questions is not None:
            P = _apply_question_prior(P, thresholds, self.question_relevance(questions, langs),
                                      evidence >= QUESTION_MENTION)
        return _decide(P, thresholds, self.codes, self._parents, self._assignable, self.max_codes)

    def predict(self, texts: Sequence[str], lang: str | Sequence[str | None] | None = None, *,
                questions: Sequence[str | None] | None = None) -> list[Prediction]:
        texts = list(texts)
        if not texts:
            return []
        langs = resolve_languages(texts, lang)
        return self.predict_embeddings(embed(texts, kind="query", embedder=self.embedder), langs,
                                       texts=texts, questions=questions)
