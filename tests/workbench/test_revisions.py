"""study.data_version: raised by every change to a study's data, so cached pages are never stale."""

from __future__ import annotations

from sqlmodel import Session

from workbench.db import get_engine
from workbench.demo.synthetic import create_synthetic_study
from workbench.services import coding as coding_service
from workbench.services import interviews as interview_service
from workbench.services import reports as report_service
from workbench.services import users as user_service
from workbench.services.redaction import passthrough
from workbench.services.revisions import StudyCache, study_version


def _report(session, study, **filters):
    return report_service.report_page(session, study=study, filters=filters, language="en",
                                      redaction=passthrough(), link_base="/q")


def test_each_kind_of_change_raises_the_version_of_its_study_only(session):
    study = create_synthetic_study(session, 6).study
    other = create_synthetic_study(session, 3, seed=1).study
    interview = interview_service.list_interviews(session, study_id=study.id)[0]
    analyst = user_service.get_user_by_email(session, "analyst@perche.demo")
    changes = [
        lambda: interview_service.update_metadata(session, interview=interview, meta=interview_service.parse_meta(
            {"account": "Renamed Ltd", "segment": "Enterprise"})),
        lambda: coding_service.decide(session, study_id=study.id, unit_id=next(
            v.unit.id for v in coding_service.units_of(session, interview_id=interview.id) if v.links),
            action="none", user=analyst),
        lambda: (coding_service.delete_coding(session, interview_id=interview.id), session.commit()),
    ]
    for change in changes:
        before, untouched = study_version(session, study.id), study_version(session, other.id)
        change()
        assert study_version(session, study.id) > before
        assert study_version(session, other.id) == untouched


def test_the_cached_report_follows_every_change(session):
    study = create_synthetic_study(session, 20).study
    first = _report(session, study)
    assert _report(session, study) is first  # nothing changed: the same page
    interview = interview_service.list_interviews(session, study_id=study.id)[0]
    interview_service.update_metadata(session, interview=interview, meta=interview_service.parse_meta(
        {"account": "Zebra Unique Account", "segment": "Enterprise"}))
    again = _report(session, study)
    assert again is not first
    coding_service.delete_coding(session, interview_id=interview.id)  # a bulk delete, committed below
    session.commit()
    assert _report(session, study) is not again


def test_a_transaction_with_uncommitted_changes_neither_reads_nor_fills_the_cache(settings, session):
    study = create_synthetic_study(session, 4).study
    cache = StudyCache()
    assert cache.get_or_build(session, study.id, "k", lambda: "committed") == "committed"
    with Session(get_engine(settings), expire_on_commit=False) as writer:
        interview = interview_service.list_interviews(writer, study_id=study.id)[0]
        interview.account = "Not yet committed"
        writer.add(interview)
        writer.flush()
        assert cache.get_or_build(writer, study.id, "k", lambda: "uncommitted") == "uncommitted"
        writer.rollback()
    assert cache.get_or_build(session, study.id, "k", lambda: "rebuilt") == "committed"
