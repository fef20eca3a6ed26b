"""The duration limit holds for files whose header understates their length: counted at
upload (a 422 that leaves nothing behind) and again while the job decodes."""

import pytest
from sqlmodel import select

from tests.factories import bearer, make_study, make_user
from tests.long_audio_files import chained_ogg
from workbench.jobs import run_job
from workbench.models import (
    Interview,
    InterviewStatus,
    Job,
    JobStatus,
    Recording,
    TranscriptSegment,
)
from workbench.services import jobs as job_service


@pytest.fixture
def upload(client, session):
    headers = bearer(session, make_user(session, "interviewer"))
    study = make_study(session)

    def send(content: bytes, name: str = "call.ogg"):
        return client.post(f"/api/studies/{study.id}/interviews", headers=headers,
                           files={"file": (name, content, "application/octet-stream")})

    return send


@pytest.fixture
def understated(tmp_path):
    """Six seconds of sound whose header says two."""
    return chained_ogg(tmp_path / "chained.ogg", seconds=6.0, header_seconds=2.0).read_bytes()


def test_a_file_whose_header_understates_its_length_is_refused_past_the_limit(upload, understated,
                                                                               session, settings):
    settings.max_duration_minutes = 0.05  # three seconds: more than the header, less than the sound
    response = upload(understated)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "more than 0.05 minutes" in detail and "header says 0.0" in detail
    assert "PERCHE_MAX_DURATION_MINUTES" in detail
    assert session.exec(select(Interview)).all() == []
    assert session.exec(select(Recording)).all() == []
    assert session.exec(select(Job)).all() == []
    assert [p for p in settings.recordings_dir.rglob("*") if p.is_file()] == []
    assert list((settings.data_dir / "tmp").iterdir()) == []


def test_within_the_limit_the_counted_length_is_recorded(upload, understated, session, settings):
    settings.max_duration_minutes, settings.auto_code = 1, False
    response = upload(understated)
    assert response.status_code == 202
    assert session.exec(select(Recording)).one().duration == pytest.approx(6.0, abs=0.1)


def test_the_job_counts_again_while_decoding(upload, understated, session, settings):
    """A limit lowered after the upload (or a file that got past the count) fails the job
    with a message that says what to do, and leaves the earlier transcript as it was."""
    settings.max_duration_minutes, settings.auto_code = 1, False
    interview_id = upload(understated).json()["id"]
    before = [s.text for s in session.exec(select(TranscriptSegment)).all()]
    assert before  # the upload's own job ran inline
    settings.max_duration_minutes = 0.07  # 4.2 s: over the header's 2 s, under the 6 s of sound
    job = job_service.create_job(session, kind="transcribe", interview_id=interview_id)
    session.commit()

    run_job(settings, job.id)

    session.expire_all()
    failed = session.get(Job, job.id)
    assert failed.status == JobStatus.failed
    assert "more than 0.1 minutes" in failed.error and "Split it" in failed.error
    assert session.get(Interview, interview_id).status == InterviewStatus.failed
    assert [s.text for s in session.exec(select(TranscriptSegment)).all()] == before


def test_the_cli_refuses_it_with_a_clear_error(settings, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from workbench.cli import app
    from workbench.settings import get_settings

    path = chained_ogg(tmp_path / "chained.ogg", seconds=6.0, header_seconds=2.0)
    monkeypatch.setenv("PERCHE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("PERCHE_ASR_ENGINE", settings.asr_engine)
    monkeypatch.setenv("PERCHE_MAX_DURATION_MINUTES", "0.05")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["transcribe", str(path), "--no-diarize"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert "Error:" in result.output and "more than 0.1 minutes" in result.output
