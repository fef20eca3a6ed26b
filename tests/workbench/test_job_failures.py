"""Jobs that cannot run end failed with a message, never stuck running nor done on a fallback they should not take."""

from __future__ import annotations

from sqlmodel import Session

from tests.factories import make_interview, make_study
from tests.s3_server import free_ports
from workbench import jobs
from workbench.models import Job, JobStatus, StudyClassifier
from workbench.services import jobs as job_service
from workbench.settings import Settings


def test_a_job_of_an_unknown_kind_fails_with_a_message(session: Session, settings: Settings) -> None:
    study = make_study(session)
    job = job_service.create_job(session, kind="summarise", interview_id=None, study_id=study.id)
    session.commit()
    jobs.run_job(settings, job.id)
    session.expire_all()
    row = session.get(Job, job.id)
    assert row.status == JobStatus.failed
    assert "cannot run jobs of kind 'summarise'" in row.error


def test_coding_fails_when_the_store_is_away_instead_of_coding_zero_shot(session: Session, s3_settings: Settings,
                                                                          monkeypatch: object) -> None:
    settings = s3_settings.model_copy(update={"auto_code": False})
    study = make_study(session)
    interview, transcription = make_interview(session, settings, study)
    jobs.run_job(settings, transcription.id)
    session.add(StudyClassifier(study_id=study.id, storage_key="00" * 32 + ".joblib"))
    session.commit()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_ports(1)[0]}")  # the store is away
    ids = job_service.queue_coding(session, interview_ids=[interview.id], study_id=study.id)
    jobs.run_job(settings, ids[0])
    session.expire_all()
    row = session.get(Job, ids[0])
    assert row.status == JobStatus.failed, row.status
    assert "recording store" in row.error and "127.0.0.1" not in row.error


def test_users_are_told_the_store_is_away_and_the_log_gets_the_details(session: Session, s3_settings: Settings,
                                                                       monkeypatch: object, caplog: object) -> None:
    from fastapi.testclient import TestClient

    from tests.factories import bearer, make_user
    from workbench.app import create_app

    study = make_study(session)
    interview, _job = make_interview(session, s3_settings, study)
    headers = bearer(session, make_user(session, "admin"))
    port = free_ports(1)[0]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    with TestClient(create_app(s3_settings, start_worker=False)) as web:
        response = web.get(f"/interviews/{interview.id}/audio", headers=headers)
    assert response.status_code == 503
    assert "recording store is unavailable" in response.text and "tell an admin" in response.text
    assert str(port) not in response.text and "AWS_" not in response.text
    assert any(str(port) in record.getMessage() for record in caplog.records)  # the operators' details
