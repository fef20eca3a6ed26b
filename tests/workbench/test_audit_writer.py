"""The audit log's writer: events recorded are written, batched in the background or at once."""

from sqlmodel import select

from tests.factories import make_user
from workbench.models import AuditEvent
from workbench.services import audit


def test_recorded_events_are_written_with_who_and_what(session):
    user = make_user(session, "admin")
    audit.record(session, user=user, action="export", study_id=3, target="study:3", detail={"format": "xlsx"},
                 address="10.0.0.1")
    (event,) = session.exec(select(AuditEvent).where(AuditEvent.action == "export")).all()
    assert (event.user_id, event.user_email, event.action, event.study_id, event.target, event.detail,
            event.address) == (user.id, user.email, "export", 3, "study:3", {"format": "xlsx"}, "10.0.0.1")


def test_the_background_writer_writes_without_being_asked(session):
    import time

    audit.set_synchronous(False)
    try:
        for number in range(5):
            audit.record(session, user=None, action="report.view", target=f"study:{number}")
        for _ in range(100):  # the writer runs every half second; wait for it, up to 10 s
            if len(session.exec(select(AuditEvent).where(AuditEvent.action == "report.view")).all()) == 5:
                break
            time.sleep(0.1)
    finally:
        audit.flush()
        audit.set_synchronous(True)
    views = session.exec(select(AuditEvent).where(AuditEvent.action == "report.view")).all()
    assert sorted(e.target for e in views) == [f"study:{n}" for n in range(5)]


def test_events_waiting_at_shutdown_are_written(settings, session):
    """The app's shutdown writes what the background writer has not written yet."""
    from fastapi.testclient import TestClient

    from workbench.app import create_app

    audit.set_synchronous(False)
    try:
        with TestClient(create_app(settings, start_worker=False)):
            for number in range(300):  # more than a batch: the writer may be writing one when the app stops
                audit.record(session, user=None, action="report.view", target=f"study:{number}")
        written = session.exec(select(AuditEvent).where(AuditEvent.action == "report.view")).all()
        assert len(written) == 300
    finally:
        audit.flush()
        audit.set_synchronous(True)


def test_a_batch_that_fails_is_written_again_once_then_dropped(tmp_path):
    """A failed write (here: the table is not there yet) is queued again once; a second failure is logged."""
    from sqlmodel import Session, SQLModel, create_engine

    engine = create_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    with Session(engine) as session:
        audit.record(session, user=None, action="export", target="study:1")  # synchronous: the write fails
        assert [event["target"] for _engine, event, _failures in audit._pending] == ["study:1"]
        SQLModel.metadata.create_all(engine)
        audit.flush()
        assert [e.target for e in session.exec(select(AuditEvent)).all()] == ["study:1"]
    other = create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with Session(other) as session:
        audit.record(session, user=None, action="export", target="study:2")
        audit.flush()  # fails a second time: logged, not kept forever
        assert audit._pending == []
    engine.dispose()
    other.dispose()
