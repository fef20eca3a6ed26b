"""The on-disk embedding cache: what a restarted worker reads back, sharing, bounds, erasure, damage."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from embedding_fakes import FakeEmbedder

from coding import embedding_cache, embeddings
from coding.embedding_cache import DiskVectorCache

pytestmark = pytest.mark.usefixtures("fresh_cache")

ROOT = Path(__file__).resolve().parents[2]
TEXTS = ["The goods arrived two weeks late.", "Le fatture arrivano sempre con errori nei prezzi.",
         "ok", "Il referente commerciale risponde sempre."]


class DiskFake(FakeEmbedder):
    """The fake embedder with a disk cache, as E5Embedder(cache_dir=...) has."""

    def __init__(self, cache: DiskVectorCache) -> None:
        super().__init__()
        self.disk_cache = cache


def test_a_restarted_process_reads_back_what_was_embedded_without_embedding(tmp_path: Path) -> None:
    first = DiskFake(DiskVectorCache(tmp_path))
    computed = embeddings.embed(TEXTS, embedder=first)
    assert first.disk_cache.written == len(TEXTS)

    embeddings.clear_cache()  # a new process: nothing in memory, a new handle on the same file
    second = DiskFake(DiskVectorCache(tmp_path))
    again = embeddings.embed(TEXTS, embedder=second)
    assert second.calls == 0 and second.disk_cache.hits == len(TEXTS)
    assert again.tobytes() == computed.tobytes()

    embeddings.embed(TEXTS + ["a new sentence"], embedder=second)
    assert second.texts == ["a new sentence"]  # only the new text is embedded


def test_keys_tell_models_and_e5_prefixes_apart(tmp_path: Path) -> None:
    cache = DiskVectorCache(tmp_path)
    cache.put_many("model-a", "query", [("same words", np.ones(4, np.float32))])
    assert cache.get_many("model-a", "passage", ["same words"]) == {}
    assert cache.get_many("model-b", "query", ["same words"]) == {}
    assert list(cache.get_many("model-a", "query", ["same words"])) == ["same words"]


def test_forget_drops_exact_texts_under_both_prefixes_and_clear_leaves_no_vector_bytes(tmp_path: Path) -> None:
    cache = DiskVectorCache(tmp_path)
    vector = np.random.default_rng(1).standard_normal(384).astype(np.float32)
    cache.put_many("m", "query", [("Mario Rossi called twice", vector), ("kept", vector * 2)])
    cache.put_many("m", "passage", [("Mario Rossi called twice", vector)])
    assert cache.forget(["Mario Rossi called twice"]) == 2
    assert set(cache.get_many("m", "query", ["Mario Rossi called twice", "kept"])) == {"kept"}

    assert embedding_cache.purge(tmp_path) == 1
    assert cache.stats().entries == 0
    on_disk = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert vector.tobytes()[:64] not in on_disk and (vector * 2).tobytes()[:64] not in on_disk
    assert embedding_cache.purge(tmp_path / "nothing-here") == 0


def test_a_damaged_file_is_rebuilt_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / embedding_cache.FILE_NAME).write_bytes(b"this is not a database" * 100)
    with caplog.at_level(logging.WARNING, logger="perche.coding.embedding_cache"):
        cache = DiskVectorCache(tmp_path)
    assert "damaged" in caplog.text
    fake = DiskFake(cache)
    embeddings.embed(TEXTS, embedder=fake)
    assert cache.stats().entries == len(TEXTS)


def test_a_file_damaged_while_open_is_rebuilt(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cache = DiskVectorCache(tmp_path)
    cache.put_many("m", "query", [("a", np.ones(3, np.float32))])
    cache.close()
    (tmp_path / embedding_cache.FILE_NAME).write_bytes(b"\0garbage" * 4096)
    with caplog.at_level(logging.WARNING, logger="perche.coding.embedding_cache"):
        assert cache.get_many("m", "query", ["a"]) == {}
    assert "damaged" in caplog.text
    cache.put_many("m", "query", [("a", np.ones(3, np.float32))])
    assert list(cache.get_many("m", "query", ["a"])) == ["a"]


def test_threads_share_one_cache(tmp_path: Path) -> None:
    cache = DiskVectorCache(tmp_path)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for round_ in range(20):
                texts = [f"text {worker} {round_} {i}" for i in range(10)] + ["shared"]
                cache.put_many("m", "query", [(t, np.full(8, worker, np.float32)) for t in texts])
                assert len(cache.get_many("m", "query", texts)) == len(texts)
        except BaseException as exc:  # noqa: BLE001 (re-raised in the main thread)
            errors.append(exc)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(work, range(4)))
    assert errors == [] and cache.stats().entries == 4 * 20 * 10 + 1


WRITER = """
import sys, numpy as np
from coding.embedding_cache import DiskVectorCache
cache = DiskVectorCache(sys.argv[1])
for round_ in range(30):
    items = [(f"{sys.argv[2]} {round_} {i}", np.full(16, round_, np.float32)) for i in range(20)]
    cache.put_many("m", "query", items)
    assert len(cache.get_many("m", "query", [t for t, _ in items])) == 20
"""


def test_processes_share_one_cache(tmp_path: Path) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), name], cwd=ROOT,
                              stderr=subprocess.PIPE) for name in ("a", "b", "c")]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    assert DiskVectorCache(tmp_path).stats().entries == 3 * 30 * 20


def test_past_its_size_the_least_recently_used_go(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1_000_000.0]
    monkeypatch.setattr(embedding_cache.time, "time", lambda: clock[0])
    cache = DiskVectorCache(tmp_path)
    vector = np.zeros(384, np.float32)
    cache.put_many("m", "query", [("old", vector), ("recent", vector)])
    clock[0] += 1
    cache.put_many("m", "query", [(f"filler {i}", vector) for i in range(300)])
    cache.max_bytes = int(cache.stats().bytes * 0.8)
    clock[0] += 2 * embedding_cache.TOUCH_AFTER_S
    assert list(cache.get_many("m", "query", ["recent"])) == ["recent"]  # a hit refreshes its last use
    cache.put_many("m", "query", [(f"new {i}", vector) for i in range(10)])
    found = cache.get_many("m", "query", ["old", "recent", "new 9"])
    assert set(found) == {"recent", "new 9"}
    assert cache.stats().entries < 260


def test_entries_unused_for_max_age_days_are_dropped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1_000_000.0]
    monkeypatch.setattr(embedding_cache.time, "time", lambda: clock[0])
    cache = DiskVectorCache(tmp_path, max_age_days=30)
    cache.put_many("m", "query", [("erased elsewhere", np.ones(4, np.float32))])
    clock[0] += 31 * 86400
    assert cache.get_many("m", "query", ["erased elsewhere"]) == {}
    assert cache.stats().entries == 0


def _restart(cache_dir: Path, texts: list[str], out: Path) -> dict[str, int]:
    """Embed in a fresh interpreter with the real model and this disk cache."""
    script = (
        "import json, sys, numpy as np\n"
        "from coding import embeddings\n"
        "e = embeddings.get_embedder(sys.argv[1])\n"
        "texts = json.loads(sys.argv[2])\n"
        "np.save(sys.argv[3], embeddings.embed(texts, embedder=e))\n"
        "print(json.dumps({'hits': e.disk_cache.hits, 'written': e.disk_cache.written}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(cache_dir), json.dumps(texts), str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.models
def test_real_model_vectors_after_a_restart_are_bit_identical_to_fresh_ones(tmp_path: Path) -> None:
    first = _restart(tmp_path / "cache", TEXTS, tmp_path / "first.npy")
    second = _restart(tmp_path / "cache", TEXTS, tmp_path / "second.npy")
    assert first == {"hits": 0, "written": len(TEXTS)} and second == {"hits": len(TEXTS), "written": 0}
    fresh = embeddings.embed(TEXTS, cache=False)  # this process, no cache at all
    assert np.load(tmp_path / "second.npy").tobytes() == fresh.tobytes()
    assert np.load(tmp_path / "first.npy").tobytes() == fresh.tobytes()


@pytest.mark.models
def test_keybert_adapter_writes_through_its_cache_dir(tmp_path: Path) -> None:
    adapter = embeddings.KeyBERTAdapter(None, cache_dir=tmp_path)
    vectors = adapter.embed(["late deliveries", "wrong invoices"])
    assert vectors.shape == (2, 384)
    assert embedding_cache.open_cache(tmp_path).stats().entries == 2
