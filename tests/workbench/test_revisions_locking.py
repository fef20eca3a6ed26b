"""study.data_version is raised at commit, so open transactions writing one study do not wait for each other.

Two sessions write data of the same studies; the first stays open (flushed, not committed) while the second
commits under a short lock_timeout: had the first locked the study row at its first flush, the second
would wait for it (here: fail at once). PostgreSQL only: SQLite allows one writing transaction at a time.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import Session

from workbench.db import get_engine
from workbench.demo.synthetic import create_synthetic_study
from workbench.services import interviews as interview_service
from workbench.services.revisions import study_version


def _postgres(settings) -> None:
    if not settings.resolved_database_url.startswith("postgresql"):
        pytest.skip("row locks: PostgreSQL only (set PERCHE_TEST_DATABASE_URL)")


def _rename(session: Session, interview_id: int, account: str) -> None:
    interview = interview_service.get_interview(session, interview_id)
    interview.account = account
    session.add(interview)
    session.flush()


def test_two_open_transactions_write_one_study_without_waiting(settings, session):
    _postgres(settings)
    study = create_synthetic_study(session, 4).study
    first_id, second_id = (i.id for i in interview_service.list_interviews(session, study_id=study.id)[:2])
    before = study_version(session, study.id)[1]
    engine = get_engine(settings)
    with Session(engine) as first, Session(engine) as second:
        _rename(first, first_id, "First Ltd")  # flushed, its transaction still open
        second.exec(text("SET LOCAL lock_timeout = '200ms'"))
        _rename(second, second_id, "Second Ltd")
        second.commit()  # does not wait for `first`
        assert study_version(session, study.id)[1] == before + 1
        first.commit()
    assert study_version(session, study.id)[1] == before + 2


def test_transactions_writing_two_studies_in_opposite_orders_do_not_deadlock(settings, session):
    _postgres(settings)
    one, two = create_synthetic_study(session, 2).study, create_synthetic_study(session, 2, seed=1).study
    a = [i.id for i in interview_service.list_interviews(session, study_id=one.id)]
    b = [i.id for i in interview_service.list_interviews(session, study_id=two.id)]
    versions = {s.id: study_version(session, s.id)[1] for s in (one, two)}
    engine = get_engine(settings)
    with Session(engine) as first, Session(engine) as second:
        for each in (first, second):  # were the rows locked at the first flush, this would fail, not hang
            each.exec(text("SET LOCAL lock_timeout = '200ms'"))
        _rename(first, a[0], "A1")
        _rename(second, b[0], "B1")
        _rename(first, b[1], "A2")  # each now holds data of both studies, in opposite orders
        _rename(second, a[1], "B2")
        first.commit()
        second.commit()
    assert {s.id: study_version(session, s.id)[1] for s in (one, two)} == {k: v + 2 for k, v in versions.items()}


def test_a_rolled_back_savepoint_keeps_the_raise_of_what_was_written_before_it(session):
    study = create_synthetic_study(session, 2).study
    interview_id = interview_service.list_interviews(session, study_id=study.id)[0].id
    before = study_version(session, study.id)[1]
    _rename(session, interview_id, "Kept Ltd")
    with session.begin_nested() as savepoint:
        _rename(session, interview_id, "Dropped Ltd")
        savepoint.rollback()
    session.commit()
    assert study_version(session, study.id)[1] == before + 1
    session.commit()  # nothing written since: the version stays
    assert study_version(session, study.id)[1] == before + 1
