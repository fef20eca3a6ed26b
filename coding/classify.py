"""Deductive coding: assign codebook codes to texts, offline, with a confidence.

Public API:
    ZeroShotCoder(codebook, *, embedder=None, threshold=0.5, max_codes=3, leaves_only=True,
                  use_examples=True, scale=1.5, offset=-0.25, gap_weight=7.5,
                  reference_z=None, small_talk_gate=True)
        .codes                                   the code paths it can assign (the leaves)
        .scores(texts, lang=None) -> np.ndarray  (n, codes) confidences in 0..1
        .predict(texts, lang=None) -> list[Prediction]
        .predict_embeddings(X, langs) / .scores_embeddings(X, langs)   on vectors from embed()
    SupervisedCoder(*, embedder=None, C=1.0, codebook=None, min_positives=3,
                    prior_strength=10.0, tune_thresholds=True, max_codes=None, seed=0)
        .fit(texts, label_sets, sample_weight=None, lang=None) -> self
        .fit_embeddings(X, label_sets, sample_weight=None, langs=None) -> self
        .predict(texts, lang=None) -> list[Prediction]
        .predict_proba(texts, lang=None) -> np.ndarray   (n, labels_) in labels_ order
        .predict_embeddings(X, langs=None) / .predict_proba_embeddings(X, langs=None)
        .save(path) -> Path (.npz) / SupervisedCoder.load(path, *, embedder=None)
    Prediction = list[tuple[str, float]]         (code path, confidence), best first
    resolve_languages(texts, lang, default="en") -> list[str]
    REFERENCE_SENTENCES                          the small talk confidences are relative to

`lang` is None (detected per text), one language for all texts, or a list with one
language per text; it picks the wording of each code (its translation) the zero-shot
coder compares against.

Zero-shot: every code becomes prototype sentences (its name and definition, under its
parent's name, and each example) embedded in each language the codebook has. A text's
raw similarity to a code means little with multilingual-e5 (unrelated pairs score about
0.78), so it is turned into two relative measures: how unusual the similarity is for that
code (a z-score against reference sentences that include the texts being coded) and how
far the code is behind the text's best code. A logistic of both gives the confidence.

Supervised: one logistic regression per code on the embeddings (class_weight balanced),
with a threshold per code tuned by 3-fold cross-validation on the training data. With a
codebook, codes with few labelled examples lean on the zero-shot prior, and codes with no
labels at all are still assignable. Training is deterministic for a given seed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .codebook import Code, Codebook
from .embeddings import Embedder, embed
from .errors import CodingError, NotEnoughData

Prediction = list[tuple[str, float]]
FORMAT_VERSION = 1

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


def _top_labels(row: np.ndarray, thresholds: np.ndarray, labels: Sequence[str],
                max_codes: int | None) -> Prediction:
    chosen = [(labels[j], float(row[j])) for j in np.flatnonzero(row >= thresholds)]
    chosen.sort(key=lambda item: (-item[1], item[0]))
    return chosen[:max_codes] if max_codes else chosen


# --- zero-shot ----------------------------------------------------------------------------

class ZeroShotCoder:
    """Codes texts against a codebook with no training data (see the module docstring).

    `threshold` is the confidence a code needs; `max_codes` caps codes per text (0 or
    None: no cap). `scale`, `offset` and `gap_weight` are the calibration of the logistic:
    confidence = sigmoid(scale * (z - offset) + gap_weight * gap), with `z` the code's
    similarity z-score and `gap` (<= 0) its distance behind the text's best code in units
    of the reference spread. The defaults are a compromise measured on two kinds of data:
    the benchmark categories (coarse, every text has one) favour a permissive setting
    (offset -0.75, gap_weight 3: +0.01 to +0.08 micro F1), while the starter codebook's own examples
    (33 fine-grained codes, siblings close together) favour a strict one. A text's best
    code must be no more than 0.25 standard deviations below the code's usual similarity,
    and a second code must be nearly as close as the first (gap_weight/scale = 5).

    `small_talk_gate` (on) gives no code to a text closer to one of the reference small-talk
    sentences than to any example answer of the codebook (codebooks with examples only). `reference_z` (off by default) gives confidence 0 to a
    code whose similarity is less than that many standard deviations above the reference
    small talk's: at 1.0 it kept 3 of 12 off-topic answers uncoded on the starter codebook
    but cost 0.08 micro F1 on SemEval; with e5-small, off-topic answers are not reliably
    told apart by similarity.
    """

    def __init__(self, codebook: Codebook, *, embedder: Embedder | None = None,
                 threshold: float = 0.5, max_codes: int | None = 3, leaves_only: bool = True,
                 use_examples: bool = True, scale: float = 1.5, offset: float = -0.25,
                 gap_weight: float = 7.5, reference_z: float | None = None,
                 small_talk_gate: bool = True) -> None:
        if not len(codebook):
            raise CodingError("The codebook has no codes; add codes or load a codebook file.")
        self.codebook = codebook
        self.embedder = embedder
        self.threshold = float(threshold)
        self.max_codes = max_codes
        self.use_examples = use_examples
        self.scale, self.offset, self.gap_weight = float(scale), float(offset), float(gap_weight)
        self.reference_z = None if reference_z is None else float(reference_z)
        self.small_talk_gate = small_talk_gate
        chosen = codebook.leaves() if leaves_only else list(codebook.codes)
        self._codes: list[Code] = chosen
        self.codes = [code.path for code in chosen]
        self._prototypes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._examples: dict[str, np.ndarray] = {}  # all example vectors, per language
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

    def scores_embeddings(self, X: np.ndarray, langs: Sequence[str]) -> np.ndarray:
        """Calibrated confidences (n, codes) for embedded texts."""
        S = self.similarities(X, langs)
        ref = self._reference_vectors()
        ref_langs = ["en" if i < len(REFERENCE_SENTENCES) // 2 else "it" for i in range(len(ref))]
        # The texts themselves join the reference: in a batch most texts are not about any
        # one code, so this adapts the calibration to the corpus while a lone text still
        # gets the built-in reference.
        RS = self.similarities(ref, ref_langs)
        R = np.vstack([RS, S])
        mu = R.mean(axis=0, keepdims=True)
        sd = np.maximum(R.std(axis=0, keepdims=True), 1e-3)
        z = (S - mu) / sd
        gap = (S - S.max(axis=1, keepdims=True)) / sd
        confidence = _sigmoid(self.scale * (z - self.offset) + self.gap_weight * gap)
        if self.reference_z is not None:
            # No code for a text that is no closer to it than small talk usually is.
            z_small_talk = (S - RS.mean(axis=0)) / np.maximum(RS.std(axis=0), 1e-3)
            confidence = np.where(z_small_talk >= self.reference_z, confidence, 0.0)
        if not self.small_talk_gate:
            return confidence
        # Nor for a text that is closer to some small-talk sentence than to any example
        # answer of the codebook ("Morning.", "Buongiorno, sì, può registrare", "Bye for
        # now"): in interviews these are common and otherwise pick up whatever code is
        # nearest. Sentences are compared with sentences: a definition embedded as a
        # passage always scores lower than a sentence does, so a codebook without
        # examples has no gate (on the benchmark categories such a comparison halved F1).
        X = np.asarray(X, dtype=np.float32)
        nearest_small_talk = (X @ ref.T).max(axis=1)
        nearest_example = self._nearest_example(X, langs)
        talk = (nearest_example > -np.inf) & (nearest_small_talk >= nearest_example)
        return np.where(talk[:, None], 0.0, confidence)

    def scores(self, texts: Sequence[str], lang: str | Sequence[str | None] | None = None
               ) -> np.ndarray:
        texts = list(texts)
        langs = resolve_languages(texts, lang)
        return self.scores_embeddings(embed(texts, kind="query", embedder=self.embedder), langs)

    def predict_embeddings(self, X: np.ndarray, langs: Sequence[str]) -> list[Prediction]:
        P = self.scores_embeddings(X, langs)
        thresholds = np.full(len(self.codes), self.threshold)
        return [_top_labels(row, thresholds, self.codes, self.max_codes) for row in P]

    def predict(self, texts: Sequence[str], lang: str | Sequence[str | None] | None = None
                ) -> list[Prediction]:
        texts = list(texts)
        if not texts:
            return []
        langs = resolve_languages(texts, lang)
        return self.predict_embeddings(embed(texts, kind="query", embedder=self.embedder), langs)


# --- supervised ---------------------------------------------------------------------------

def _default_embedder_name() -> str:
    from .embeddings import get_embedder

    return get_embedder().name


def _clean_label_sets(label_sets: Sequence[Any]) -> list[list[str]]:
    cleaned = []
    for labels in label_sets:
        if isinstance(labels, str):
            labels = labels.split(";")
        cleaned.append(sorted({str(label).strip() for label in labels if str(label).strip()}))
    return cleaned


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


class SupervisedCoder:
    """Multi-label coder learnt from coded texts (the analyst's codes and corrections).

    C is the inverse regularisation of the logistic regressions. A code needs at least
    `min_positives` labelled texts to get its own model; with a `codebook`, rarer codes use
    the zero-shot prior, and a code's model is blended with the prior with weight
    n / (n + prior_strength), n being its number of labelled texts.
    """

    def __init__(self, *, embedder: Embedder | None = None, C: float = 1.0,
                 codebook: Codebook | None = None, min_positives: int = 3,
                 prior_strength: float = 10.0, tune_thresholds: bool = True,
                 max_codes: int | None = None, seed: int = 0) -> None:
        self.embedder = embedder
        self.C = float(C)
        self.codebook = codebook
        self.min_positives = int(min_positives)
        self.prior_strength = float(prior_strength)
        self.tune_thresholds = tune_thresholds
        self.max_codes = max_codes
        self.seed = int(seed)
        self.labels_: list[str] = []
        self.coef_ = np.zeros((0, 0), dtype=np.float32)
        self.intercept_ = np.zeros(0, dtype=np.float32)
        self.thresholds_ = np.zeros(0, dtype=np.float32)
        self.positives_ = np.zeros(0, dtype=np.int64)
        self.trained_ = np.zeros(0, dtype=bool)
        self._prior: ZeroShotCoder | None = None

    # -- training --------------------------------------------------------------------------
    def fit(self, texts: Sequence[str], label_sets: Sequence[Any],
            sample_weight: Sequence[float] | None = None,
            lang: str | Sequence[str | None] | None = None) -> SupervisedCoder:
        texts = list(texts)
        X = embed(texts, kind="query", embedder=self.embedder)
        langs = resolve_languages(texts, lang) if self.codebook is not None else None
        return self.fit_embeddings(X, label_sets, sample_weight=sample_weight, langs=langs)

    def fit_embeddings(self, X: np.ndarray, label_sets: Sequence[Any],
                       sample_weight: Sequence[float] | None = None,
                       langs: Sequence[str] | None = None) -> SupervisedCoder:
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold

        X = np.asarray(X, dtype=np.float64)
        sets = _clean_label_sets(label_sets)
        if X.shape[0] != len(sets):
            raise CodingError(f"Got {X.shape[0]} texts but {len(sets)} label sets; give one per text.")
        if X.shape[0] < 2:
            raise NotEnoughData("Training needs at least two coded texts; code more and retry.")
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        if weights is not None and (weights.shape[0] != X.shape[0] or np.any(weights < 0)):
            raise CodingError("sample_weight needs one non-negative weight per text.")
        labels = sorted({label for labels in sets for label in labels})
        if self.codebook is not None:
            labels += [p for p in ZeroShotCoder(self.codebook).codes if p not in labels]
        if not labels:
            raise NotEnoughData("No codes in the training data: every text has an empty label set.")
        Y = np.array([[label in row for label in labels] for row in sets], dtype=np.int64)
        self.labels_ = labels
        dim = X.shape[1]
        self.coef_ = np.zeros((len(labels), dim), dtype=np.float32)
        self.intercept_ = np.zeros(len(labels), dtype=np.float32)
        self.thresholds_ = np.full(len(labels), 0.5, dtype=np.float32)
        self.positives_ = Y.sum(axis=0).astype(np.int64)
        self.trained_ = np.zeros(len(labels), dtype=bool)
        for j in range(len(labels)):
            y = Y[:, j]
            n_pos = int(y.sum())
            if n_pos < self.min_positives or n_pos == len(y):
                continue
            model = LogisticRegression(C=self.C, class_weight="balanced", max_iter=2000)
            model.fit(X, y, sample_weight=weights)
            self.coef_[j] = model.coef_[0]
            self.intercept_[j] = model.intercept_[0]
            self.trained_[j] = True
            folds = min(3, n_pos, len(y) - n_pos)
            if self.tune_thresholds and folds >= 2 and n_pos >= 8:
                probs = np.zeros(len(y))
                splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.seed)
                for train, test in splitter.split(X, y):
                    inner = LogisticRegression(C=self.C, class_weight="balanced", max_iter=2000)
                    inner.fit(X[train], y[train],
                              sample_weight=None if weights is None else weights[train])
                    probs[test] = inner.predict_proba(X[test])[:, 1]
                self.thresholds_[j] = _best_threshold(y, probs)
        self._prior = None
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

    def _blend(self, X: np.ndarray, langs: Sequence[str] | None) -> tuple[np.ndarray, np.ndarray]:
        """(probabilities (n, labels), thresholds (labels,)) with the codebook prior mixed in."""
        X = np.asarray(X, dtype=np.float32)
        P = _sigmoid(X @ self.coef_.T + self.intercept_)
        P[:, ~self.trained_] = 0.0
        thresholds = self.thresholds_.astype(np.float64).copy()
        prior = self._prior_coder()
        if prior is None:
            return P, thresholds
        if langs is None:
            langs = [self.codebook.language] * X.shape[0]  # type: ignore[union-attr]
        Z = prior.scores_embeddings(X, langs)
        for k, path in enumerate(prior.codes):
            if path not in self.labels_:
                continue
            j = self.labels_.index(path)
            n = float(self.positives_[j]) if self.trained_[j] else 0.0
            w = n / (n + self.prior_strength)
            P[:, j] = w * P[:, j] + (1 - w) * Z[:, k]
            thresholds[j] = w * thresholds[j] + (1 - w) * prior.threshold
        return P, thresholds

    def predict_proba_embeddings(self, X: np.ndarray, langs: Sequence[str] | None = None
                                 ) -> np.ndarray:
        self._check_fitted()
        return self._blend(X, langs)[0]

    def predict_embeddings(self, X: np.ndarray, langs: Sequence[str] | None = None
                           ) -> list[Prediction]:
        self._check_fitted()
        P, thresholds = self._blend(X, langs)
        return [_top_labels(row, thresholds, self.labels_, self.max_codes) for row in P]

    def predict_proba(self, texts: Sequence[str], lang: str | Sequence[str | None] | None = None
                      ) -> np.ndarray:
        texts = list(texts)
        langs = resolve_languages(texts, lang) if self.codebook is not None else None
        return self.predict_proba_embeddings(embed(texts, kind="query", embedder=self.embedder),
                                             langs)

    def predict(self, texts: Sequence[str], lang: str | Sequence[str | None] | None = None
                ) -> list[Prediction]:
        texts = list(texts)
        if not texts:
            return []
        self._check_fitted()
        langs = resolve_languages(texts, lang) if self.codebook is not None else None
        return self.predict_embeddings(embed(texts, kind="query", embedder=self.embedder), langs)

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
            "C": self.C,
            "min_positives": self.min_positives,
            "prior_strength": self.prior_strength,
            "max_codes": self.max_codes,
            "seed": self.seed,
            "embedder": getattr(self.embedder, "name", None) or _default_embedder_name(),
            "codebook": self.codebook.to_dict() if self.codebook is not None else None,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp.npz")
        np.savez(tmp, coef=self.coef_, intercept=self.intercept_, thresholds=self.thresholds_,
                 positives=self.positives_, trained=self.trained_, meta=np.array(json.dumps(meta)))
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path, *, embedder: Embedder | None = None) -> SupervisedCoder:
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                arrays = {k: data[k] for k in ("coef", "intercept", "thresholds", "positives",
                                               "trained")}
        except (OSError, KeyError, ValueError) as exc:
            raise CodingError(
                f"{path} is not a saved coder ({exc}). Retrain it with SupervisedCoder.fit()."
            ) from exc
        if meta.get("format") != FORMAT_VERSION:
            raise CodingError(f"{path} was saved by another version of Perché; retrain the coder.")
        trained_with = meta.get("embedder")
        if embedder is not None and trained_with and getattr(embedder, "name", None) != trained_with:
            raise CodingError(
                f"{path} was trained on {trained_with} embeddings, not "
                f"{getattr(embedder, 'name', type(embedder).__name__)}; retrain the coder."
            )
        codebook = Codebook.from_dict(meta["codebook"]) if meta.get("codebook") else None
        coder = cls(embedder=embedder, C=meta["C"], codebook=codebook,
                    min_positives=meta["min_positives"], prior_strength=meta["prior_strength"],
                    max_codes=meta.get("max_codes"), seed=meta["seed"])
        coder.labels_ = list(meta["labels"])
        coder.coef_ = arrays["coef"]
        coder.intercept_ = arrays["intercept"]
        coder.thresholds_ = arrays["thresholds"]
        coder.positives_ = arrays["positives"]
        coder.trained_ = arrays["trained"].astype(bool)
        return coder
