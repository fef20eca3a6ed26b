"""SupervisedCoder: codes learnt from analyst decisions (see coding.classify)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .codebook import Code, Codebook, name_from_path
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
from .errors import CodingError, NotEnoughData
from .zero_shot import ZeroShotCoder

if TYPE_CHECKING:
    from scipy import sparse

FORMAT_VERSION = 2
FEATURES = ("both", "embeddings", "ngrams")


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
    out: set[str] = set()
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
                                 token_pattern=r"(?u)\b\w+\b", **common)  # noqa: S106  # nosec B106  # a tokenizer's regular expression
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

    def transform(self, raw: Sequence[Any]) -> sparse.csr_matrix:
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
            assert raw is not None  # noqa: S101 - fit_embeddings passes the texts when n-grams are used
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
        raw = _Ngrams.raw(list(texts)) if self._uses_ngrams and texts is not None else None
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
            for index, trained in enumerate(self.trained_):
                if not trained:
                    thresholds[index] = prior.threshold
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
                 meta=np.array(json.dumps(meta)), allow_pickle=False, **ngrams)
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
