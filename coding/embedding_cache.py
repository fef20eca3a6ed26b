"""A sentence-embedding cache on disk, so a restarted worker re-embeds nothing it embedded before.

Public API:
    DiskVectorCache(directory, max_bytes=DEFAULT_MAX_BYTES, max_age_days=DEFAULT_MAX_AGE_DAYS)
        .get_many(model, kind, texts) -> {text: vector}     the cached ones among `texts`
        .put_many(model, kind, [(text, vector), ...])
        .forget(texts) -> int       drop these exact texts (either e5 prefix, every model)
        .clear() -> int | None      drop every vector (what an erasure does); None when it could not
        .stats() -> CacheStats      entries and bytes on disk
        .hits / .misses / .written  counters of this instance, for benchmarks and logs
    open_cache(directory, ...) -> DiskVectorCache   one shared instance per folder and process
    purge(directory) -> int | None  clear the cache in `directory`, if there is one; None when it could not

One SQLite file, `DIRECTORY/vectors.sqlite3`, in WAL mode with a busy timeout, so several threads
(a connection each) and several processes on one machine share it. A row is keyed by the model's
name and the sha256 of the exact text with its e5 prefix ("query: ..." or "passage: ..."); the
vector is stored as its float32 bytes, so what is read back is bit-identical to what was computed.

The text itself is not stored, but the entries are still derived personal data: a sha256 confirms a
guessed sentence, and a sentence embedding can be inverted into much of its text. So the file is
private to its owner (0600), deleted rows are zeroed (`secure_delete`), an erasure clears it, and
entries unused for `max_age_days` are dropped (the bound for machines an erasure cannot reach).
Past `max_bytes` the least recently used tenth goes. A damaged file is deleted and rebuilt with a
warning; a locked one is skipped (the cache only saves time, it never fails a job).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

log = logging.getLogger("perche.coding.embedding_cache")
T = TypeVar("T")

FILE_NAME = "vectors.sqlite3"
DEFAULT_MAX_BYTES = 1024 * 1024 * 1024  # ~600,000 vectors of 384 float32 (~1.7 kB a row)
DEFAULT_MAX_AGE_DAYS = 30.0
BUSY_TIMEOUT_S = 30.0
SWEEP_EVERY_S = 3600.0  # expired rows are looked for at most this often per instance
TOUCH_AFTER_S = 86400.0  # a hit refreshes a row's last use only when it is older than this
_CHUNK = 500  # keys per IN (...) query, under SQLite's variable limit
_CORRUPT = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB
_SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (
    digest BLOB NOT NULL,
    model TEXT NOT NULL,
    vector BLOB NOT NULL,
    used REAL NOT NULL,
    PRIMARY KEY (digest, model)
)
"""
PAGE_SIZE = 8192  # ~1.7 kB a 384-dimension vector on disk (4096: 2.1 kB; WITHOUT ROWID: 4.7 kB)


@dataclass(frozen=True)
class CacheStats:
    path: Path
    entries: int
    bytes: int  # the database file and its write-ahead log


def digest(kind: str, text: str) -> bytes:
    """sha256 of the text as the model reads it, e5 prefix included."""
    return hashlib.sha256(f"{kind}: {text}".encode()).digest()


def _corrupt(exc: sqlite3.DatabaseError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _CORRUPT
    message = str(exc).lower()
    return "not a database" in message or "malformed" in message


class DiskVectorCache:
    """Embeddings by (model, sha256 of prefixed text) in a SQLite file; safe across threads and processes."""

    def __init__(self, directory: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES,
                 max_age_days: float = DEFAULT_MAX_AGE_DAYS) -> None:
        self.directory = Path(directory)
        self.path = self.directory / FILE_NAME
        self.max_bytes = int(max_bytes)
        self.max_age_s = float(max_age_days) * 86400.0
        self.hits = 0
        self.misses = 0
        self.written = 0
        self._local = threading.local()
        self._lock = threading.Lock()  # counters, sweeps and rebuilds
        self._generation = 0  # bumped by a rebuild: threads reopen their connection
        self._last_sweep = 0.0
        self.disabled = False
        self._run(lambda db: None, write=False, default=None)  # create (or rebuild) the file now

    # --- connections ---------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        self.directory.mkdir(parents=True, exist_ok=True)
        fresh = not self.path.exists()
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        if fresh:
            os.chmod(self.path, 0o600)
        db.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        db.execute(f"PRAGMA page_size={PAGE_SIZE}")  # only a new, empty file takes it
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA secure_delete=ON")
        db.execute(_SCHEMA)
        return db

    def _db(self) -> sqlite3.Connection:
        local = self._local
        if (getattr(local, "db", None) is None or local.pid != os.getpid()
                or local.generation != self._generation):
            local.db = self._connect()
            local.pid, local.generation = os.getpid(), self._generation
        db: sqlite3.Connection = local.db
        return db

    def _rebuild(self, exc: Exception) -> None:
        with self._lock:
            log.warning("The embedding cache %s is damaged (%s); deleting and rebuilding it.", self.path, exc)
            db = getattr(self._local, "db", None)
            if db is not None:
                db.close()
                self._local.db = None
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            self._generation += 1

    def _run(self, work: Callable[[sqlite3.Connection], T], *, write: bool, default: T) -> T:
        """Run work(connection); a damaged file is rebuilt once, a locked or unusable one skipped."""
        if self.disabled:
            return default
        for attempt in (1, 2):
            try:
                db = self._db()
                if not write:
                    return work(db)
                db.execute("BEGIN IMMEDIATE")
                try:
                    result = work(db)
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
                return result
            except sqlite3.DatabaseError as exc:
                if _corrupt(exc) and attempt == 1:
                    self._rebuild(exc)
                    continue
                log.warning("The embedding cache %s is unusable right now (%s); going on without it.",
                            self.path, exc)
                return default
            except OSError as exc:
                log.warning("The embedding cache %s cannot be written (%s); it is turned off for this process.",
                            self.path, exc)
                self.disabled = True
                return default
        return default

    # --- reading and writing -------------------------------------------------------------

    def get_many(self, model: str, kind: str, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """The cached vectors among `texts` (read-only float32 arrays), by text."""
        wanted = {digest(kind, text): text for text in dict.fromkeys(texts)}
        if not wanted:
            return {}
        now = time.time()
        self._maybe_sweep(now)

        def read(db: sqlite3.Connection) -> dict[bytes, tuple[bytes, float]]:
            found: dict[bytes, tuple[bytes, float]] = {}
            keys = list(wanted)
            for start in range(0, len(keys), _CHUNK):
                chunk = keys[start:start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                # only "?" placeholders are formatted in; the digests are bound parameters
                query = f"SELECT digest, vector, used FROM vectors WHERE model = ? AND digest IN ({marks})"  # noqa: S608  # nosec B608
                found.update((d, (v, u)) for d, v, u in db.execute(query, [model, *chunk]))
            return found

        nothing: dict[bytes, tuple[bytes, float]] = {}
        found = self._run(read, write=False, default=nothing)
        stale = [(now, key, model) for key, (_v, used) in found.items() if now - used > TOUCH_AFTER_S]
        if stale:
            self._run(lambda db: db.executemany(
                "UPDATE vectors SET used = ? WHERE digest = ? AND model = ?", stale).rowcount, write=True, default=0)
        with self._lock:
            self.hits += len(found)
            self.misses += len(wanted) - len(found)
        return {wanted[key]: np.frombuffer(vector, dtype=np.float32) for key, (vector, _u) in found.items()}

    def put_many(self, model: str, kind: str, items: Iterable[tuple[str, np.ndarray]]) -> None:
        now = time.time()
        rows = [(digest(kind, text), model,
                 np.ascontiguousarray(vector, dtype=np.float32).tobytes(), now) for text, vector in items]
        if not rows:
            return
        done = self._run(lambda db: db.executemany(
            "INSERT OR REPLACE INTO vectors (digest, model, vector, used) VALUES (?, ?, ?, ?)", rows) is not None,
            write=True, default=False)
        if done:
            with self._lock:
                self.written += len(rows)
            self._bound()

    # --- removal -------------------------------------------------------------------------

    def forget(self, texts: Iterable[str]) -> int:
        """Drop these exact texts, under either e5 prefix and every model; returns the rows removed."""
        keys = [digest(kind, text) for text in dict.fromkeys(texts) for kind in ("query", "passage")]

        def drop(db: sqlite3.Connection) -> int:
            removed = 0
            for start in range(0, len(keys), _CHUNK):
                chunk = keys[start:start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                # only "?" placeholders are formatted in; the digests are bound parameters
                query = f"DELETE FROM vectors WHERE digest IN ({marks})"  # noqa: S608  # nosec B608
                removed += db.execute(query, chunk).rowcount
            return removed

        removed = self._run(drop, write=True, default=0) if keys else 0
        self._checkpoint()
        return removed

    def clear(self) -> int | None:
        """Drop every vector, zeroing their pages and truncating the log; returns the rows removed, or None
        when the file is locked or unusable now (nothing was cleared: the caller must try again)."""
        removed: int | None = self._run(lambda db: int(db.execute("DELETE FROM vectors").rowcount), write=True,
                                        default=None)
        if removed is not None:
            self._checkpoint()
        return removed

    def _checkpoint(self) -> None:
        busy = self._run(lambda db: int(db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]),
                         write=False, default=1)
        if busy:
            log.warning("The embedding cache's write-ahead log %s-wal could not be truncated now (a reader "
                        "holds it); it is overwritten as the cache is used.", self.path)

    def _maybe_sweep(self, now: float) -> None:
        if self.max_age_s <= 0 or now - self._last_sweep < SWEEP_EVERY_S:
            return
        self._last_sweep = now
        removed = self._run(lambda db: int(db.execute("DELETE FROM vectors WHERE used < ?",
                                                      (now - self.max_age_s,)).rowcount), write=True, default=0)
        if removed:
            log.info("Dropped %s embeddings unused for %.0f days from %s", removed, self.max_age_s / 86400,
                     self.path)

    def _used_bytes(self, db: sqlite3.Connection) -> int:
        pages = db.execute("PRAGMA page_count").fetchone()[0] - db.execute("PRAGMA freelist_count").fetchone()[0]
        return int(pages) * int(db.execute("PRAGMA page_size").fetchone()[0])

    def _bound(self) -> None:
        """Past max_bytes, drop the least recently used rows down to 90% of it."""
        def evict(db: sqlite3.Connection) -> int:
            used = self._used_bytes(db)
            if used <= self.max_bytes:
                return 0
            count = db.execute("SELECT count(*) FROM vectors").fetchone()[0]
            drop = count - int(count * 0.9 * self.max_bytes / used)
            return int(db.execute("DELETE FROM vectors WHERE rowid IN (SELECT rowid FROM vectors ORDER BY used "
                                  "LIMIT ?)", (drop,)).rowcount)

        removed = self._run(evict, write=True, default=0)
        if removed:
            log.info("The embedding cache %s passed %s MB; dropped the %s least recently used vectors",
                     self.path, self.max_bytes // 2**20, removed)

    # --- reporting -----------------------------------------------------------------------

    def stats(self) -> CacheStats:
        entries = self._run(lambda db: int(db.execute("SELECT count(*) FROM vectors").fetchone()[0]),
                            write=False, default=0)
        size = sum(Path(f"{self.path}{s}").stat().st_size for s in ("", "-wal")
                   if Path(f"{self.path}{s}").exists())
        return CacheStats(path=self.path, entries=entries, bytes=size)

    def close(self) -> None:
        """Close this thread's connection (others close when their thread ends)."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


@functools.lru_cache(maxsize=8)
def _shared(path: str, max_bytes: int, max_age_days: float) -> DiskVectorCache:
    return DiskVectorCache(path, max_bytes=max_bytes, max_age_days=max_age_days)


def open_cache(directory: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES,
               max_age_days: float = DEFAULT_MAX_AGE_DAYS) -> DiskVectorCache:
    """The process's one DiskVectorCache for this folder and these bounds."""
    return _shared(os.path.abspath(directory), int(max_bytes), float(max_age_days))


def purge(directory: str | os.PathLike[str]) -> int | None:
    """Clear the cache in `directory` (no file there: nothing to do); returns the vectors removed, or None
    when the cache could not be cleared now."""
    if not (Path(directory) / FILE_NAME).exists():
        return 0
    return open_cache(directory).clear()
