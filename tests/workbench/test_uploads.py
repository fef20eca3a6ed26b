"""Every bad upload is a 4xx that says what is wrong, and leaves nothing behind."""

import pytest
from sqlmodel import select

from tests.factories import bearer, make_study, make_user, wav_bytes
from workbench.models import Interview, Job, Recording


@pytest.fixture
def upload(client, session):
    headers = bearer(session, make_user(session, "interviewer"))
    study = make_study(session)

    def send(content: bytes, name: str = "call.wav", **data):
        return client.post(f"/api/studies/{study.id}/interviews", headers=headers,
                           files={"file": (name, content, "application/octet-stream")}, data=data)

    return send


def _nothing_left(session, settings):
    assert session.exec(select(Interview)).all() == []
    assert session.exec(select(Recording)).all() == []
    assert session.exec(select(Job)).all() == []
    assert [p for p in settings.recordings_dir.rglob("*") if p.is_file()] == []
    assert list((settings.data_dir / "tmp").iterdir()) == []


def test_a_text_file_is_not_audio(upload, session, settings):
    response = upload(b"Minutes of the meeting\n" * 50, name="notes.wav")
    assert response.status_code == 415
    assert "not audio" in response.json()["detail"] or "mp3" in response.json()["detail"]
    _nothing_left(session, settings)


def test_a_corrupt_recording_is_refused(upload, session, settings):
    good = wav_bytes(2.0)
    corrupt = good[:44]  # the header promises audio that is not there
    response = upload(corrupt)
    assert response.status_code in (415, 422)
    _nothing_left(session, settings)


def test_a_flac_with_garbage_frames_is_refused(upload, session, settings):
    response = upload(b"fLaC" + bytes(range(256)) * 64, name="call.flac")
    assert response.status_code == 415
    _nothing_left(session, settings)


def test_an_empty_file_is_refused(upload, session, settings):
    response = upload(b"")
    assert response.status_code == 422
    assert "empty" in response.json()["detail"]
    _nothing_left(session, settings)


def test_a_file_over_the_size_limit_is_refused(upload, session, settings):
    settings.max_upload_mb = 1
    response = upload(wav_bytes(40.0))  # about 1.3 MB
    assert response.status_code == 413
    assert "PERCHE_MAX_UPLOAD_MB" in response.json()["detail"]
    _nothing_left(session, settings)


def test_a_recording_over_the_duration_limit_is_refused(upload, session, settings):
    settings.max_duration_minutes = 0.05  # three seconds
    response = upload(wav_bytes(5.0))
    assert response.status_code == 422
    assert "limit" in response.json()["detail"]
    _nothing_left(session, settings)


def test_the_same_file_twice_is_reported(upload, session, settings):
    first = upload(wav_bytes(2.0, seed=1), name="first.wav")
    assert first.status_code == 202
    again = upload(wav_bytes(2.0, seed=1), name="renamed.wav")
    assert again.status_code == 409
    assert f"interview #{first.json()['id']}" in again.json()["detail"]
    assert len(session.exec(select(Interview)).all()) == 1
    assert len([p for p in settings.recordings_dir.rglob("*") if p.is_file()]) == 1


def test_a_missing_file_field_is_refused(client, session):
    headers = bearer(session, make_user(session, "interviewer"))
    study = make_study(session)
    response = client.post(f"/api/studies/{study.id}/interviews", headers=headers, data={"account": "x"})
    assert response.status_code == 400
    assert "file" in response.json()["detail"]


def test_file_names_are_sanitised_and_storage_is_by_hash(upload, session, settings):
    response = upload(wav_bytes(1.0, seed=7), name="../../etc/Intervista è già.wav")
    assert response.status_code == 202
    recording = session.exec(select(Recording)).one()
    assert recording.original_filename == "Intervista e gia.wav"
    # named by its hash, plus a random part of its own (no other row's object shares it)
    assert recording.storage_key.startswith(f"{recording.sha256[:2]}/{recording.sha256}-")
    assert recording.storage_key.endswith(".wav") and ".." not in recording.storage_key
    assert (settings.recordings_dir / recording.storage_key).is_file()


def test_bad_metadata_leaves_nothing(upload, session, settings):
    response = upload(wav_bytes(1.0, seed=3), interview_date="last tuesday")
    assert response.status_code == 422
    assert "interview_date" in response.json()["detail"]
    _nothing_left(session, settings)


@pytest.mark.parametrize("codec_name,container", [("pcm_mulaw", "wav"), ("flac", "flac"), ("libopus", "ogg")])
def test_common_formats_are_accepted(upload, tmp_path, codec_name, container):
    import av
    import numpy as np

    rate = 8000 if codec_name == "pcm_mulaw" else 48000
    path = tmp_path / f"call.{container}"
    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream(codec_name, rate=rate, layout="mono")
        t = np.arange(rate * 2) / rate
        frame = av.AudioFrame.from_ndarray((0.3 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)[None, :],
                                           format="fltp", layout="mono")
        frame.sample_rate = rate
        for packet in list(stream.encode(frame)) + list(stream.encode(None)):
            out.mux(packet)
    response = upload(path.read_bytes(), name=path.name)
    assert response.status_code == 202, response.text


def test_the_speaker_count_given_at_upload_is_what_diarization_looks_for(upload, session, settings,
                                                                         monkeypatch):
    import transcription

    seen = []
    real = transcription.transcribe

    def spy(*args, speakers=None, **kwargs):
        seen.append(speakers)
        return real(*args, speakers=speakers, **kwargs)

    monkeypatch.setattr(transcription, "transcribe", spy)
    response = upload(wav_bytes(2.0), participants="5")
    assert response.status_code < 300, response.text
    interview = session.exec(select(Interview)).one()
    assert interview.participants == 5
    assert seen and (seen[-1].num_speakers, seen[-1].min_speakers, seen[-1].max_speakers) == (5, None, None)


@pytest.mark.parametrize("count", ["0", "21", "many"])
def test_a_speaker_count_out_of_range_is_refused(upload, session, settings, count):
    response = upload(wav_bytes(2.0), participants=count)
    assert response.status_code == 422
    assert "participants" in response.json()["detail"]
    _nothing_left(session, settings)
