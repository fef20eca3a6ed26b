"""The workbench's embedder caches on this machine's disk, and an erasure clears that cache."""

import numpy as np
import pytest

from coding import embeddings
from workbench.services import erasure
from workbench.settings import Settings


@pytest.mark.models
def test_the_workbench_embedder_writes_its_machines_disk_cache_and_erasure_clears_it(tmp_path):
    from workbench.jobs.coding import build_embedder

    settings = Settings(data_dir=tmp_path)
    embedder = build_embedder(settings)
    assert embedder.disk_cache.path.parent == tmp_path / "cache" / "embeddings"
    vectors = embeddings.embed(["Mario Rossi says the deliveries are late"], embedder=embedder)
    assert embedder.disk_cache.stats().entries == 1

    assert erasure.forget_cached_embeddings(settings) == 1
    assert embedder.disk_cache.stats().entries == 0
    on_disk = b"".join(p.read_bytes() for p in settings.embedding_cache_dir.iterdir())
    assert vectors[0].tobytes()[:64] not in on_disk


def test_a_zero_cache_days_setting_turns_the_disk_cache_off(tmp_path):
    from workbench.jobs.coding import build_embedder

    embedder = build_embedder(Settings(data_dir=tmp_path, embedding_cache_days=0))
    assert getattr(embedder, "disk_cache", None) is None
    assert not (tmp_path / "cache").exists()
    assert np.isfinite(embeddings.embed(["ok"], embedder=embedder)).all()
