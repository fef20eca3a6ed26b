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
