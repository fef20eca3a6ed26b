"""An erasure while the recording store is unavailable: the rows go, the files are noted and deleted later
(the pendingdeletion outbox), the retrain is still queued, and the user is told, not given a 503."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from tests.factories import bearer, make_study, make_user
from tests.s3_server import S3Server, free_ports
from tests.workbench.test_erasure import PLAIN, SECRET, add_interview, decide_in_full, run_study_job
from workbench.models import AuditEvent, Code, CodedUnit, Interview, JobStatus, PendingDeletion
from workbench.services import erasure
from workbench.settings import Settings
from workbench.storage.s3 import parse_url


@pytest.fixture
def web(s3_settings: Settings) -> Iterator[TestClient]:
    from workbench.app import create_app

    with TestClient(create_app(s3_settings, start_worker=False)) as client:
        yield client


def test_files_an_erasure_could_not_delete_are_deleted_once_the_store_is_back(
        web: TestClient, session: Session, s3_settings: Settings, s3_server: S3Server,
        monkeypatch: pytest.MonkeyPatch) -> None:
    settings = s3_settings
    bucket, prefix = parse_url(settings.storage_url)
    admin = make_user(session, "admin")
    headers = bearer(session, admin)
    study = make_study(session)
    secret = add_interview(web, headers, study.id, respondent="Gianna Rossi", account="Acme", answers=SECRET, seed=1)
    plain = add_interview(web, headers, study.id, respondent="Paolo Bianchi", account="Beta", answers=PLAIN, seed=2)
    invoicing = session.exec(select(Code).where(Code.study_id == study.id, Code.path == "invoicing")).one()
    units = {interview: session.exec(select(CodedUnit).where(CodedUnit.interview_id == interview)
                                     .order_by(CodedUnit.id)).all() for interview in (secret, plain)}
    for unit in [*units[secret][:2], *units[plain][:5]]:
        decide_in_full(session, study.id, unit.id, invoicing.id, admin)
    assert run_study_job(session, settings, "retrain", study.id).status == JobStatus.done
    before = s3_server.keys(bucket, prefix)
    assert len(before) == 3  # two recordings and the classifier

    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_ports(1)[0]}")  # the store is away
    summary = erasure.erase_interviews(session, settings, interviews=[session.get(Interview, secret)],
                                       enqueue=False)
    assert session.get(Interview, secret) is None  # the rows are gone
    assert summary.files_pending == 2 and summary.files_removed == 0  # its recording and the stale classifier
    assert len(summary.retrain_job_ids) == 1  # the rest still happened
    assert any("workers keep trying" in line for line in summary.lines())
    assert summary.audit_detail()["files_pending"] == 2
    assert len(session.exec(select(PendingDeletion)).all()) == 2
    deleted = web.delete(f"/api/interviews/{plain}", headers=headers)  # the web user gets success, not a 503
    assert deleted.status_code == 204, deleted.text
    assert s3_server.keys(bucket, prefix) == before  # nothing could be deleted yet

    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.endpoint_url)  # back
    assert erasure.retry_pending_deletions(settings) == 3  # what a worker's recovery round does
    assert s3_server.keys(bucket, prefix) == []
    session.expire_all()
    assert session.exec(select(PendingDeletion)).all() == []
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "erase.files")).one().detail[
        "files_removed"] == 3
    assert erasure.retry_pending_deletions(settings) == 0
