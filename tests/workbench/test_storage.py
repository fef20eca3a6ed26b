"""The same storage behaviours on the data folder and on a real S3 store (SeaweedFS)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from tests.factories import bearer, make_study, make_user, wav_bytes
from tests.s3_server import S3Server
from workbench import storage
from workbench.models import Recording
from workbench.settings import Settings


@pytest.fixture(params=["local", "s3"])
def stored(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """The test's settings storing under the data folder, then in a fresh SeaweedFS bucket."""
    if request.param == "local":
        return settings
    return request.getfixturevalue("s3_settings")


@pytest.fixture
def web(stored: Settings) -> Iterator[TestClient]:
    from workbench.app import create_app

    with TestClient(create_app(stored, start_worker=False)) as client:
        yield client


@pytest.fixture
def upload(web: TestClient, session: Session) -> object:
    headers = bearer(session, make_user(session, "admin"))
    study = make_study(session)

    def send(content: bytes, name: str = "call.wav") -> object:
        return web.post(f"/api/studies/{study.id}/interviews", headers=headers,
                        files={"file": (name, content, "application/octet-stream")})

    send.headers = headers  # type: ignore[attr-defined]
    return send


def objects(settings: Settings) -> list[str]:
    """Every stored object: files under the data folder, or keys in the bucket."""
    if not settings.storage_url:
        roots = [settings.recordings_dir, settings.data_dir / "artefacts"]
        return sorted(str(p.relative_to(settings.data_dir)) for root in roots if root.exists()
                      for p in root.rglob("*") if p.is_file())
    client = storage.get_store(settings).client  # type: ignore[attr-defined]
    from workbench.storage.s3 import parse_url

    bucket, prefix = parse_url(settings.storage_url)
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def test_an_upload_is_stored_and_deleting_the_interview_removes_it(upload, web, session, stored):
    content = wav_bytes(2.0)
    response = upload(content)
    assert response.status_code == 202, response.text
    key = session.exec(select(Recording.storage_key)).one()
    assert storage.recording_exists(stored, key)
    assert storage.recording_size(stored, key) == len(content)
    assert len(objects(stored)) == 1 and objects(stored)[0].endswith(key)
    if stored.storage_url:
        assert not any(p.is_file() for p in stored.recordings_dir.rglob("*"))  # nothing on the web app's disk
    assert list((stored.data_dir / "tmp").iterdir()) == []

    interview_id = response.json()["id"]
    deleted = web.delete(f"/api/interviews/{interview_id}", headers=upload.headers)
    assert deleted.status_code == 204, deleted.text
    assert not storage.recording_exists(stored, key)
    assert objects(stored) == []


def test_a_refused_upload_leaves_no_object(upload, session, stored):
    assert upload(b"Minutes of the meeting\n" * 50, name="notes.wav").status_code == 415
    assert upload(wav_bytes(2.0)[:44]).status_code in (415, 422)
    assert session.exec(select(Recording)).all() == []
    assert objects(stored) == []
    assert list((stored.data_dir / "tmp").iterdir()) == []


def test_a_failure_after_storing_removes_the_object(session, stored):
    from workbench.services import interviews as interview_service

    study = make_study(session)
    staged = storage.stage_upload(stored, io.BytesIO(wav_bytes(2.0)), "call.wav")
    with pytest.raises(RuntimeError, match="database went away"):
        _, key, created = interview_service.store_recording(session, stored, study=study, staged=staged)
        assert created and storage.recording_exists(stored, key)
        with interview_service.undone_on_failure(session, stored, study=study, staged=staged, key=key,
                                                 created_file=created):
            raise RuntimeError("database went away")
    assert objects(stored) == []


def test_local_copy_is_a_file_and_is_cleaned_up_even_on_an_exception(stored):
    content = wav_bytes(1.0)
    staged = storage.stage_upload(stored, io.BytesIO(content), "call.wav")
    key, created = storage.store(stored, staged)
    assert created and not staged.path.exists()
    seen: list[Path] = []
    with pytest.raises(ValueError, match="the job failed"), storage.local_copy(stored, key) as path:
        seen.append(path)
        assert path.read_bytes() == content
        raise ValueError("the job failed")
    if stored.storage_url:
        assert not seen[0].exists()  # the worker's temporary copy is gone
        assert seen[0].parent == stored.data_dir / "tmp"
    else:
        assert seen[0] == stored.recordings_dir / key  # the stored file itself, untouched
    assert storage.recording_exists(stored, key)
    assert list((stored.data_dir / "tmp").iterdir()) == []


def test_a_missing_recording_is_not_stored(stored):
    with pytest.raises(storage.NotStored), storage.local_copy(stored, "ab/ab00.wav"):
        pass
    with pytest.raises(storage.NotStored):
        storage.open_recording(stored, "ab/ab00.wav")
    assert storage.remove(stored, "ab/ab00.wav") is False


def test_artefacts_round_trip(stored):
    data = bytes(range(256)) * 100
    key = storage.store_artefact(stored, data, suffix=".clf")
    assert storage.store_artefact(stored, data, suffix=".clf") == key  # named by content: stored once
    assert storage.artefact_exists(stored, key)
    assert storage.read_artefact(stored, key) == data
    with storage.open_artefact(stored, key) as stream:
        stream.seek(1000)
        assert stream.read(10) == data[1000:1010]
    with storage.artefact_local_copy(stored, key) as path:
        assert path.read_bytes() == data
    assert list((stored.data_dir / "tmp").iterdir()) == []
    assert storage.remove_artefact(stored, key) is True
    assert not storage.artefact_exists(stored, key)
    assert storage.remove_artefact(stored, key) is False


def test_the_audio_route_answers_range_requests_from_the_store(upload, web, session, stored):
    content = wav_bytes(3.0, seed=4)
    response = upload(content)
    interview_id = session.exec(select(Recording.interview_id)).one()
    url, headers = f"/interviews/{interview_id}/audio", upload.headers
    size = len(content)

    whole = web.get(url, headers=headers)
    assert whole.status_code == 200, response.text
    assert whole.content == content and whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["content-type"].startswith("audio/")

    part = web.get(url, headers={**headers, "Range": "bytes=1000-70999"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 1000-70999/{size}"
    assert part.headers["content-length"] == "70000" and part.content == content[1000:71000]

    assert web.get(url, headers={**headers, "Range": "bytes=-500"}).content == content[-500:]
    tail = web.get(url, headers={**headers, "Range": f"bytes={size - 10}-"})
    assert tail.status_code == 206 and tail.content == content[-10:]
    beyond = web.get(url, headers={**headers, "Range": f"bytes={size}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"
    stale = web.get(url, headers={**headers, "Range": "bytes=0-9", "If-Range": '"another-version"'})
    assert stale.status_code == 200 and stale.content == content


def test_an_s3_stream_reads_only_what_is_asked(s3_settings):
    content = wav_bytes(60.0)
    key, _ = storage.store(s3_settings, storage.stage_upload(s3_settings, io.BytesIO(content), "long.wav"))
    with storage.open_recording(s3_settings, key) as stream:
        stream.seek(500_000)
        assert stream.read(100) == content[500_000:500_100]
        stream.seek(10)
        assert stream.read(5) == content[10:15]
        assert stream.raw.requests == 2 and stream.raw.fetched < len(content) // 2


def test_a_clip_from_s3_matches_the_same_clip_from_the_disk(settings, s3_settings):
    from transcription.excerpt import decode_excerpt

    content = wav_bytes(180.0, seed=2)
    local_key, _ = storage.store(settings, storage.stage_upload(settings, io.BytesIO(content), "a.wav"))
    remote_key, _ = storage.store(s3_settings, storage.stage_upload(s3_settings, io.BytesIO(content), "a.wav"))
    expected = decode_excerpt(storage.path_of(settings, local_key), 100.0, 102.5)
    with storage.open_recording(s3_settings, remote_key) as stream:
        clip = decode_excerpt(stream, 100.0, 102.5)
        assert stream.raw.fetched < len(content) // 4  # a few ranged GETs of 256 kB, not the recording
    assert len(clip) == 40000 and np.allclose(clip, expected)


def test_path_of_refuses_when_recordings_are_not_on_this_machine(s3_settings):
    with pytest.raises(RuntimeError, match="local_copy"):
        storage.path_of(s3_settings, "ab/ab.wav")


def test_a_bad_storage_url_says_what_to_write():
    with pytest.raises(ValueError, match="s3://bucket/prefix"):
        Settings(storage_url="http://example.com/recordings")
    assert Settings(storage_url="s3://perche-recordings/acme/").storage_url == "s3://perche-recordings/acme"


def test_an_unreachable_or_missing_store_says_what_to_fix(settings, s3_server: S3Server, monkeypatch):
    from tests.s3_server import free_ports

    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    missing = settings.model_copy(update={"storage_url": "s3://no-such-bucket/x"})
    with pytest.raises(storage.StorageUnavailable, match="bucket 'no-such-bucket' does not exist"):
        storage.check(missing)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    refused = settings.model_copy(update={"storage_url": f"s3://{s3_server.create_bucket()}/x"})
    with pytest.raises(storage.StorageUnavailable, match="AWS_SECRET_ACCESS_KEY"):
        storage.check(refused)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_ports(1)[0]}")
    with pytest.raises(storage.StorageUnavailable, match="Cannot reach the S3 store"):
        storage.recording_exists(refused, "ab/ab.wav")


def test_a_worker_refuses_to_start_on_a_store_it_cannot_use(cli, s3_server: S3Server, monkeypatch):
    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PERCHE_STORAGE_URL", "s3://no-such-bucket/perche")
    result = cli("worker")
    assert result.exit_code == 1
    assert "bucket 'no-such-bucket' does not exist" in result.output


def test_a_recording_in_the_store_is_transcribed_clipped_and_exported(upload, web, session, stored):
    import zipfile

    from workbench.models import CodedUnit, Interview, Job, Study, TranscriptSegment
    from workbench.services.qdpx_export import qdpx_bytes

    content = wav_bytes(12.0, seed=5)
    assert upload(content).status_code == 202  # the job ran inline: the worker read a local copy
    interview = session.exec(select(Interview)).one()
    jobs = session.exec(select(Job).where(Job.interview_id == interview.id, Job.kind == "transcribe")).all()
    assert [j.status for j in jobs] == ["done"], [j.error for j in jobs]
    assert session.exec(select(TranscriptSegment).where(TranscriptSegment.interview_id == interview.id)).all()
    assert list((stored.data_dir / "tmp").iterdir()) == []  # the worker's copy is gone

    unit = session.exec(select(CodedUnit).where(CodedUnit.interview_id == interview.id,
                                                CodedUnit.start.is_not(None))).first()
    assert unit is not None  # coded after transcription
    clip = web.get(f"/studies/{interview.study_id}/units/{unit.id}/clip", headers=upload.headers)
    assert clip.status_code == 200 and clip.content[:4] == b"RIFF"  # a WAV of just the unit's stretch

    exported = qdpx_bytes(session, stored, study=session.get(Study, interview.study_id), audio=True)
    archive = zipfile.ZipFile(io.BytesIO(exported))
    assert [archive.read(n) for n in archive.namelist() if n.endswith(".wav")] == [content]


def test_uploads_left_by_a_killed_process_are_removed_a_day_later(settings):
    import os
    import time

    folder = settings.data_dir / "tmp"
    old_upload, fresh, other = (folder / n for n in ("b.upload", "c.upload", "export.qdpx"))
    for path in (old_upload, fresh, other):
        path.write_bytes(b"audio")
    two_days_ago = time.time() - 2 * 86400
    for path in (old_upload, other):
        os.utime(path, (two_days_ago, two_days_ago))
    storage.check(settings)
    assert not old_upload.exists()
    assert fresh.exists() and other.exists()  # an upload arriving now stays, and what is not an upload
