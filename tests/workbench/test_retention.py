"""The retention rule: old recordings go; their transcripts stay redacted, or go too."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from tests.factories import bearer, make_study, make_user
from tests.workbench.test_erasure import (
    add_interview,
    decide_in_full,
    traces_in_database,
    traces_in_files,
)
from workbench.models import (
    AuditEvent,
    Code,
    CodedUnit,
    CodingEvent,
    Interview,
    PiiSpan,
    Recording,
    Speaker,
    TranscriptSegment,
    UnitCode,
    utcnow,
)
from workbench.services import reports as report_service
from workbench.services import retention

OLD_ANSWERS = [
    "Invoices from the Fabbrichetta depot in Via Solferino arrive late and often with errors.",
    "Support answers quickly and the portal works well, Fabbrichetta aside.",
    "Deliveries were late twice this quarter, which hurt our customers.",
]
NEW_ANSWERS = ["Prices are fair for the service we get.", "Deliveries arrive complete and well packed."]


def _rule(settings, days: int = 30, keep: bool = True):
    return settings.model_copy(update={"retention_days": days, "retention_keep_transcripts": keep})


@pytest.fixture
def aged(client, session, settings):
    """An interview uploaded 40 days ago, whose answers name a depot (marked personal data) and its respondent,
    and one uploaded today."""
    admin = make_user(session, "admin")
    headers = bearer(session, admin)
    study = make_study(session)
    old = add_interview(client, headers, study.id, respondent="Gianna Ostrogotti", account="Acme", answers=OLD_ANSWERS,
                        seed=11)
    new = add_interview(client, headers, study.id, respondent="Paolo Bianchi", account="Beta", answers=NEW_ANSWERS,
                        seed=12)
    interview = session.get(Interview, old)
    interview.created_at = utcnow() - dt.timedelta(days=40)
    session.add(interview)
    for segment in session.exec(select(TranscriptSegment).where(TranscriptSegment.interview_id == old)):
        for word, status in (("Fabbrichetta", "redacted"), ("Via Solferino", "redacted"), ("portal", "kept")):
            start = segment.text.find(word)
            if start >= 0:
                session.add(PiiSpan(interview_id=old, segment_id=segment.id, start_char=start,
                                    end_char=start + len(word), entity="ADDRESS", source="analyst", status=status))
    session.commit()
    units = session.exec(select(CodedUnit).where(CodedUnit.interview_id == old).order_by(CodedUnit.id)).all()
    invoicing = session.exec(select(Code).where(Code.study_id == study.id, Code.path == "invoicing")).one()
    decide_in_full(session, study.id, units[0].id, invoicing.id, admin)
    report_service.set_story_status(session, interview=interview, status="approved", user=admin)
    return {"old": old, "new": new, "study": study, "headers": headers, "admin": admin}


def test_the_rule_is_off_by_default(session, settings, aged):
    assert settings.retention_days == 0 and settings.retention_keep_transcripts
    assert retention.preview(session, settings).count == 0
    assert retention.run_scheduled(settings) is None
    assert session.get(Interview, aged["old"]).recording_erased_at is None


def test_keeping_transcripts_redacts_them_and_their_codes_consistently(client, session, settings, aged):
    rule = _rule(settings)
    old, new = aged["old"], aged["new"]
    key = session.exec(select(Recording).where(Recording.interview_id == old)).one().storage_key
    codes_before = len(session.exec(select(UnitCode).join(CodedUnit, CodedUnit.id == UnitCode.unit_id)
                                    .where(CodedUnit.interview_id == old)).all())
    preview = retention.preview(session, rule)
    assert preview.count == 1 and preview.interview_ids == [old] and preview.keep_transcripts

    result = retention.run_scheduled(rule)
    assert result.interview_ids == [old] and result.files_removed == 1
    session.expire_all()
    interview = session.get(Interview, old)
    assert interview.recording_erased_at is not None and interview.respondent_name == "[NAME]"
    assert not (rule.recordings_dir / key).exists()
    assert session.exec(select(Recording).where(Recording.interview_id == old)).first() is None
    segments = session.exec(select(TranscriptSegment).where(TranscriptSegment.interview_id == old)
                            .order_by(TranscriptSegment.position)).all()
    assert segments[1].text == "Invoices from the [ADDRESS] depot in [ADDRESS] arrive late and often with errors."
    assert all(s.asr_text == s.text and s.words == [] for s in segments)
    # units keep their codes, their text is the redacted line's, their offsets point into it
    units = session.exec(select(CodedUnit).where(CodedUnit.interview_id == old)).all()
    by_id = {s.id: s for s in segments}
    for unit in units:
        assert by_id[unit.segment_id].text[unit.start_char:unit.end_char] == unit.text
    assert any("[ADDRESS]" in u.text for u in units)
    codes_after = len(session.exec(select(UnitCode).join(CodedUnit, CodedUnit.id == UnitCode.unit_id)
                                   .where(CodedUnit.interview_id == old)).all())
    assert codes_after == codes_before
    # the analyst's "not personal data" mark follows its word onto the new text
    kept = session.exec(select(PiiSpan).where(PiiSpan.interview_id == old)).all()
    assert [(by_id[k.segment_id].text[k.start_char:k.end_char], k.status) for k in kept] == [("portal", "kept")]
    for word in ("Fabbrichetta", "Solferino", "Ostrogotti"):
        assert traces_in_database(session, word) == [], word
    assert session.exec(select(CodingEvent).where(CodingEvent.interview_id == old)).all()  # the log stays, redacted
    assert session.exec(select(Speaker).where(Speaker.interview_id == old, Speaker.role == "respondent")
                        ).one().display_name == "[NAME]"
    # the pages still read; the audio is gone
    headers = aged["headers"]
    assert client.get(f"/interviews/{old}", headers=headers).status_code == 200
    assert client.get(f"/interviews/{old}/audio", headers=headers).status_code == 404
    assert client.get(f"/studies/{aged['study'].id}/report", headers=headers).status_code == 200
    # the recent interview is untouched; nothing is due any more
    assert session.get(Interview, new).recording_erased_at is None
    assert retention.preview(session, rule).count == 0
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "retention")).one()
    assert event.detail["interviews"] == [old] and event.detail["via"] == "daily" and event.detail["mode"] == "redact"
    assert "fabbrichetta" not in str(event.detail).lower()


def test_without_keeping_transcripts_the_whole_interview_goes(session, settings, aged):
    rule = _rule(settings, keep=False)
    result = retention.run_scheduled(rule)
    assert result.interview_ids == [aged["old"]] and result.erasure is not None
    session.expire_all()
    assert session.get(Interview, aged["old"]) is None and session.get(Interview, aged["new"]) is not None
    assert traces_in_database(session, "Fabbrichetta") == [] and traces_in_files(rule.data_dir, "Fabbrichetta") == []
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "retention")).one()
    assert event.detail["mode"] == "delete" and event.detail["interviews"] == [aged["old"]]


def test_the_admin_page_previews_and_applies_with_confirmation(client, session, settings, aged, app):
    app.state.settings = _rule(settings)
    headers = aged["headers"]
    page = client.get("/admin/retention", headers=headers)
    assert page.status_code == 200 and "<strong>1</strong> interview is due" in page.text
    assert client.post("/admin/retention", headers=headers, data={"expected": "1"}).status_code == 400
    stale = client.post("/admin/retention", headers=headers, data={"expected": "2", "confirm": "yes"})
    assert stale.status_code == 400 and "1 interviews are due now" in stale.text
    session.expire_all()
    assert session.get(Interview, aged["old"]).recording_erased_at is None
    done = client.post("/admin/retention", headers=headers, data={"expected": "1", "confirm": "yes"})
    assert done.status_code == 200 and "Deleted the recordings of 1 interview" in done.text
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "retention")).one()
    assert event.user_id == aged["admin"].id
    manager = make_user(session, "manager")
    assert client.get("/admin/retention", headers=bearer(session, manager)).status_code == 403


def test_cli_retention_is_a_dry_run_unless_applied(session, settings, aged, monkeypatch):
    from workbench import cli

    monkeypatch.setenv("PERCHE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("PERCHE_DATABASE_URL", settings.database_url)
    runner = CliRunner()
    cli.get_settings.cache_clear()
    try:
        assert "rule is off" in runner.invoke(cli.app, ["retention"]).output
        monkeypatch.setenv("PERCHE_RETENTION_DAYS", "30")
        cli.get_settings.cache_clear()
        dry = runner.invoke(cli.app, ["retention"])
        assert dry.exit_code == 0 and "1 recording(s) older than 30 days" in dry.output and "dry run" in dry.output
        refused = runner.invoke(cli.app, ["retention", "--apply"])
        assert refused.exit_code == 1 and "--yes" in refused.output
        session.expire_all()
        assert session.get(Interview, aged["old"]).recording_erased_at is None
        applied = runner.invoke(cli.app, ["retention", "--apply", "--yes"])
        assert applied.exit_code == 0 and "Deleted the recordings of 1 interview" in applied.output
        session.expire_all()
        assert session.get(Interview, aged["old"]).recording_erased_at is not None
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "retention")).one()
        assert event.user_id is None and event.detail["via"] == "cli"
    finally:
        cli.get_settings.cache_clear()


def test_the_rule_runs_once_a_day_from_the_job_queue(settings):
    from workbench import jobs

    task = jobs.queue_for(settings).retention_task.task_class()
    runs = [hour for hour in range(24) for minute in range(60)
            if task.validate_datetime(dt.datetime(2026, 3, 2, hour, minute))]
    assert len(runs) == 1


def test_retention_replaces_whole_words_everywhere_and_the_log_follows_the_units(session, settings, aged):
    from workbench.models import StoryRecord, StudyClassifier

    old, study = aged["old"], aged["study"]
    line = session.exec(select(TranscriptSegment).where(TranscriptSegment.interview_id == old,
                                                        TranscriptSegment.text.startswith("Invoices from"))).one()
    # a detector may mark a piece of a word: the units are re-cut from the line, and the log must follow them
    session.add(PiiSpan(interview_id=old, segment_id=line.id, start_char=0, end_char=6, entity="PERSON",
                        source="analyst"))
    session.add(Code(study_id=study.id, path="places", name="Places near Fabbrichetta",
                     description="Fabbrichettaland, not Fabbrichetta", examples=["Near Fabbrichettaland"],
                     translations={"it": {"name": "Luoghi", "description": "Da Fabbrichetta",
                                          "examples": ["Fabbrichetta e Fabbrichettaland"]}}))
    story = StoryRecord(study_id=study.id, account="Acme", data={"prose": "Fabbrichetta is slow, says Acme."},
                        status="approved")
    session.add(story)
    session.add(StudyClassifier(study_id=study.id, storage_key="classifier.joblib"))  # trained after the decisions
    session.commit()

    result = retention.apply(session, _rule(settings), enqueue=False)
    assert result.interview_ids == [old] and result.stale_classifiers == [study.id]
    session.expire_all()
    code = session.exec(select(Code).where(Code.path == "places")).one()
    assert code.name == "Places near [ADDRESS]" and code.description == "Fabbrichettaland, not [ADDRESS]"
    assert code.examples == ["Near Fabbrichettaland"]
    assert code.translations["it"] == {"name": "Luoghi", "description": "Da [ADDRESS]",
                                       "examples": ["[ADDRESS] e Fabbrichettaland"]}
    assert session.get(StoryRecord, story.id).data == {"prose": "[ADDRESS] is slow, says Acme."}  # the account's
    assert session.exec(select(StudyClassifier).where(StudyClassifier.study_id == study.id)).one().stale
    units = {u.id: u.text for u in session.exec(select(CodedUnit).where(CodedUnit.interview_id == old))}
    assert any(text.startswith("[NAME]es from the [ADDRESS] depot") for text in units.values())
    events = session.exec(select(CodingEvent).where(CodingEvent.interview_id == old)).all()
    assert events and all(event.unit_text in units.values() for event in events)
    assert retention.RetentionResult(keep_transcripts=True, interview_ids=[old], stale_classifiers=[study.id]
                                     ).audit_detail()["stale_classifiers"] == [study.id]


def test_the_daily_run_happens_once_in_the_installation(session, settings, aged):
    """Every worker process schedules the daily run; of two attempts at once one runs, the other skips."""
    import threading

    rule, day = _rule(settings), dt.date(2026, 3, 2)
    start = threading.Barrier(2)
    results: list[retention.RetentionResult | None] = []

    def attempt() -> None:
        start.wait()
        results.append(retention.run_scheduled(rule, today=day))

    workers = [threading.Thread(target=attempt) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    ran = [result for result in results if result is not None]
    assert len(results) == 2 and len(ran) == 1 and ran[0].interview_ids == [aged["old"]]
    session.expire_all()
    assert len(session.exec(select(AuditEvent).where(AuditEvent.action == "retention")).all()) == 1
    assert retention.run_scheduled(rule, today=day) is None  # later that day: taken already
    following = retention.run_scheduled(rule, today=day + dt.timedelta(days=1))
    assert following is not None and following.interview_ids == []  # the next day runs (nothing left to do)


def test_a_daily_run_that_fails_gives_the_day_back(session, settings, aged, monkeypatch):
    """A run that raises does not keep the day claimed: the next attempt that day runs the rule."""
    rule, day = _rule(settings), dt.date(2026, 3, 2)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database went away mid-run")

    with monkeypatch.context() as patch:
        patch.setattr(retention, "apply", broken)
        with pytest.raises(RuntimeError):
            retention.run_scheduled(rule, today=day)
    again = retention.run_scheduled(rule, today=day)
    assert again is not None and again.interview_ids == [aged["old"]]
    assert retention.run_scheduled(rule, today=day) is None  # and now the day is taken
