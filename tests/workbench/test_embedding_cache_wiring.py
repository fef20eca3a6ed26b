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


def test_an_erasure_on_one_machine_clears_the_caches_of_another_before_its_next_job(session, settings, tmp_path):
    """Two machines (data folders) on one database: erasing on the first makes the second clear its disk cache
    and its in-process cache before its next job that embeds, and only then."""
    from coding.embedding_cache import open_cache
    from tests.factories import make_interview, make_study
    from workbench import jobs
    from workbench.models import Interview
    from workbench.services import jobs as job_service

    elsewhere = settings.model_copy(update={"data_dir": tmp_path / "elsewhere",
                                            "database_url": settings.resolved_database_url})
    elsewhere.ensure_dirs()
    study = make_study(session)
    kept, first = make_interview(session, settings, study, seed=1)
    doomed, second = make_interview(session, settings, study, seed=2)
    for job in (first, second):
        jobs.run_job(settings, job.id)  # transcribed, then coded inline

    def code_elsewhere() -> None:
        job = job_service.create_job(session, kind="code", interview_id=kept.id, study_id=study.id)
        session.commit()
        jobs.run_job(elsewhere, job.id)
        session.expire_all()
        assert job_service.get_job(session, job.id).status.value == "done"

    def cached_elsewhere() -> int:
        return open_cache(elsewhere.embedding_cache_dir).stats().entries

    vector = np.ones(4, dtype=np.float32)
    code_elsewhere()  # its first job notes the erasures so far in its cache folder
    open_cache(elsewhere.embedding_cache_dir).put_many("e5", "query", [("Mario Rossi's deliveries", vector)])
    code_elsewhere()
    assert cached_elsewhere() == 1  # no erasure since: the cache is kept

    erasure.erase_interviews(session, settings, interviews=[session.get(Interview, doomed.id)])
    assert cached_elsewhere() == 1  # the erasure ran on the first machine: the second's disk is out of reach
    key = embeddings._CACHE.key("e5", "query", "Mario Rossi's deliveries")
    embeddings._CACHE.put(key, vector)  # what the second machine's process holds
    code_elsewhere()
    assert cached_elsewhere() == 0 and embeddings._CACHE.get(key) is None
    assert (elsewhere.embedding_cache_dir / erasure.ERASURES_SEEN).read_text() == "1"
    assert not erasure.catch_up_with_erasures(session, elsewhere)  # nothing new: nothing cleared


def test_a_cache_that_cannot_be_cleared_is_cleared_by_the_next_job(session, settings):
    """clear() says when it could not clear (a locked or unusable file); the erasure mark is written only after
    a clear that worked, so the machine tries again."""
    from coding.embedding_cache import FILE_NAME, DiskVectorCache
    from workbench.services import marks

    folder = settings.embedding_cache_dir
    folder.mkdir(parents=True, exist_ok=True)
    erasure.catch_up_with_erasures(session, settings)  # the mark notes 0 erasures
    (folder / FILE_NAME).mkdir()  # the file cannot be opened now
    assert DiskVectorCache(folder).clear() is None
    marks.note_erasure(session)
    session.commit()
    erasure.catch_up_with_erasures(session, settings)
    assert (folder / erasure.ERASURES_SEEN).read_text() == "0"  # not cleared: not marked
    (folder / FILE_NAME).rmdir()
    assert erasure.catch_up_with_erasures(session, settings)
    assert (folder / erasure.ERASURES_SEEN).read_text() == "1"


class ErasingEmbedder:
    """Embeds, but meanwhile an erasure happens and a sibling thread clears the caches, and only then this job
    writes its vectors (of the erased text, say) into the machine's disk cache."""

    name = "erasing"
    settings: Settings | None = None

    def embed(self, texts, *, kind: str = "query"):
        from coding.embedding_cache import open_cache
        from tests.fakes import FakeEmbedder
        from workbench.db import session_scope
        from workbench.services import marks

        settings = ErasingEmbedder.settings
        assert settings is not None
        vectors = FakeEmbedder().embed(texts, kind=kind)
        with session_scope(settings) as session:
            marks.note_erasure(session)
            session.commit()
            erasure.catch_up_with_erasures(session, settings)  # the sibling thread's purge
        open_cache(settings.embedding_cache_dir).put_many("e5", kind, zip(texts, vectors, strict=True))
        return vectors


def test_a_job_that_embedded_across_an_erasure_clears_the_cache_when_it_ends(session, settings):
    from coding.embedding_cache import open_cache
    from tests.factories import make_interview, make_study
    from workbench import jobs
    from workbench.services import jobs as job_service

    study = make_study(session)
    interview, transcription = make_interview(session, settings, study)
    jobs.run_job(settings, transcription.id)
    erasing = settings.model_copy(update={"coding_embedder": f"{__name__}:ErasingEmbedder"})
    ErasingEmbedder.settings = erasing
    job = job_service.create_job(session, kind="code", interview_id=interview.id, study_id=study.id)
    session.commit()
    jobs.run_job(erasing, job.id)
    session.expire_all()
    assert job_service.get_job(session, job.id).status.value == "done"
    assert open_cache(erasing.embedding_cache_dir).stats().entries == 0
