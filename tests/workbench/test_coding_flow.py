"""Corrections flow through: a corrected transcript, speaker or rating re-codes the interview as a job.

Uses the fake speech engine (a four-turn call) and the bag-of-words embedder, with the
inline job runner; tests that look at the queue itself turn the inline runner off.
"""

from __future__ import annotations

import re
from typing import ClassVar

import pytest
from sqlmodel import select

from coding.schema import SpokenRating
from tests.factories import make_user, sign_in, wav_bytes
from workbench import jobs
from workbench.models import (
    Code,
    CodedUnit,
    CodingEvent,
    GuideQuestion,
    Interview,
    Job,
    JobStatus,
    Rating,
    Speaker,
    TranscriptSegment,
)
from workbench.services import coding as coding_service
from workbench.services import jobs as job_service
from workbench.services import studies as study_service

INVOICES = "Invoices arrive late and often with errors."
DELIVERY = "Deliveries arrive damaged and the courier never calls before coming."


def upload(client, study_id: int, seed: int = 0) -> int:
    response = client.post(f"/studies/{study_id}/interviews", headers={"HX-Request": "true"},
                           files={"file": (f"call{seed}.wav", wav_bytes(2.0, seed=seed), "audio/wav")},
                           data={"account": f"Account {seed}", "segment": "SME"})
    assert response.status_code == 201, response.text
    return int(re.search(r"/interviews/(\d+)", response.text).group(1))


def make_study(session, *, csat: bool = False):
    guide = [{"text": "How is the relationship going?"},
             {"text": "How likely are you to recommend us?", "kind": "rating", "scale": "nps"}]
    if csat:
        guide.append({"text": "How satisfied are you with support?", "kind": "rating", "scale": "csat"})
    return study_service.create_study(session, data=study_service.StudyIn(name="Flow", language="en", guide=guide),
                                      created_by=None)


@pytest.fixture
def coded(client, session, analyst):
    study = make_study(session)
    return study, upload(client, study.id)


def code_jobs(session, interview_id):
    session.expire_all()
    return session.exec(select(Job).where(Job.kind == "code", Job.interview_id == interview_id)
                        .order_by(Job.id)).all()


def segment_saying(session, interview_id, words):
    return session.exec(select(TranscriptSegment).where(TranscriptSegment.interview_id == interview_id,
                                                        TranscriptSegment.text.contains(words))).one()


def unit_texts(session, interview_id):
    session.expire_all()
    return [u.text for u in session.exec(select(CodedUnit).where(CodedUnit.interview_id == interview_id))]


def themes_of(session, interview_id, exclude: str | None = None) -> set[str]:
    """Names of the codes (not rejected) on the interview's units, leaving out the unit saying `exclude`."""
    session.expire_all()
    units = [u for u in session.exec(select(CodedUnit).where(CodedUnit.interview_id == interview_id))
             if u.text != exclude]
    return {code.name for view in coding_service.views_of(session, units) for _, code in view.live}


def test_a_corrected_line_is_coded_again_and_the_story_and_report_change(client, session, coded):
    study, interview_id = coded
    [first] = code_jobs(session, interview_id)
    assert first.status == JobStatus.done
    assert INVOICES in unit_texts(session, interview_id)
    story_before = client.get(f"/interviews/{interview_id}/story").text
    report_before = client.get(f"/studies/{study.id}/report").text
    assert "Invoices arrive late" in story_before + report_before

    themes_before = themes_of(session, interview_id)
    gone_themes = themes_before - themes_of(session, interview_id, exclude=INVOICES)
    assert all(name in report_before for name in gone_themes)

    segment = segment_saying(session, interview_id, "Invoices")
    saved = client.post(f"/interviews/{interview_id}/segments/{segment.id}", data={"text": DELIVERY},
                        headers={"HX-Request": "true"})
    assert saved.status_code == 200

    jobs_now = code_jobs(session, interview_id)
    assert len(jobs_now) == 2 and jobs_now[-1].status == JobStatus.done, jobs_now[-1].error
    texts = unit_texts(session, interview_id)
    assert DELIVERY in texts and INVOICES not in texts
    new_themes = themes_of(session, interview_id) - themes_of(session, interview_id, exclude=DELIVERY)
    story_after = client.get(f"/interviews/{interview_id}/story").text
    report_after = client.get(f"/studies/{study.id}/report").text
    assert "Deliveries arrive damaged" in story_after and "Invoices arrive late" not in story_after
    themes_after = themes_of(session, interview_id)
    assert new_themes and new_themes <= themes_after and gone_themes and not gone_themes & themes_after
    assert all(name in report_after for name in new_themes)
    assert not any(name in report_after for name in gone_themes)
    assert client.get(f"/api/interviews/{interview_id}/coding").json()["coding_status"] == "done"


def test_saving_a_line_unchanged_does_not_code_again(client, session, coded):
    _, interview_id = coded
    segment = segment_saying(session, interview_id, "Invoices")
    client.post(f"/interviews/{interview_id}/segments/{segment.id}", data={"text": segment.text})
    assert len(code_jobs(session, interview_id)) == 1


def test_analyst_decisions_survive_the_recoding_a_correction_causes(client, session, coded):
    study, interview_id = coded
    unit = session.exec(select(CodedUnit).where(CodedUnit.interview_id == interview_id,
                                                CodedUnit.text == INVOICES)).one()
    invoicing = session.exec(select(Code).where(Code.study_id == study.id, Code.path == "invoicing")).one()
    session.add(CodingEvent(study_id=study.id, interview_id=interview_id, unit_id=unit.id, unit_text=unit.text,
                            user_id=1, action="add", new_code="invoicing"))
    session.commit()
    other = segment_saying(session, interview_id, "eight")
    client.post(f"/interviews/{interview_id}/segments/{other.id}",
                data={"text": "I would say an eight, because the account manager always answers quickly."})
    assert code_jobs(session, interview_id)[-1].status == JobStatus.done
    session.expire_all()
    again = session.exec(select(CodedUnit).where(CodedUnit.interview_id == interview_id,
                                                 CodedUnit.text == INVOICES)).one()
    views = coding_service.views_of(session, [again])
    assert any(code.id == invoicing.id and link.status == "accepted" for link, code in views[0].links)


def test_several_corrections_in_a_row_queue_one_coding_job(client, session, settings, coded):
    _, interview_id = coded
    jobs.queue_for(settings).immediate = False  # leave the jobs on the queue: nothing runs until we say so
    segment = segment_saying(session, interview_id, "Invoices")
    for number in range(3):
        client.post(f"/interviews/{interview_id}/segments/{segment.id}", data={"text": f"{DELIVERY} ({number})"})
    speaker = session.exec(select(Speaker).where(Speaker.interview_id == interview_id,
                                                 Speaker.label == "SPEAKER_01")).one()
    client.post(f"/interviews/{interview_id}/speakers/{speaker.id}", data={"display_name": "Laura",
                                                                           "role": "participant"})
    all_jobs = code_jobs(session, interview_id)
    assert [j.status for j in all_jobs] == [JobStatus.done, JobStatus.queued]
    page = client.get(f"/interviews/{interview_id}").text
    assert 'id="coding-status">queued<' in page and "Transcribing" not in page

    # A job that is running read the old text: a correction now queues one more, after it.
    job_service.claim_job(session, job_id=all_jobs[-1].id, stale_after=600)
    client.post(f"/interviews/{interview_id}/segments/{segment.id}", data={"text": DELIVERY})
    assert [j.status for j in code_jobs(session, interview_id)] == [JobStatus.done, JobStatus.running,
                                                                     JobStatus.queued]
    assert client.get(f"/api/interviews/{interview_id}/coding").json()["coding_status"] == "queued"


@pytest.mark.parametrize("change", ["reassign", "merge", "role", "rating"])
def test_each_kind_of_correction_queues_coding(client, session, settings, coded, change):
    _, interview_id = coded
    jobs.queue_for(settings).immediate = False
    speakers = {s.label: s for s in session.exec(select(Speaker).where(Speaker.interview_id == interview_id))}
    segment = segment_saying(session, interview_id, "Invoices")
    if change == "reassign":
        client.post(f"/interviews/{interview_id}/segments/{segment.id}/speaker",
                    data={"speaker_id": str(speakers["SPEAKER_00"].id)})
    elif change == "merge":
        client.post(f"/interviews/{interview_id}/speakers/{speakers['SPEAKER_00'].id}/merge",
                    data={"into": str(speakers["SPEAKER_01"].id)})
    elif change == "role":
        client.post(f"/interviews/{interview_id}/speakers/{speakers['SPEAKER_01'].id}",
                    data={"display_name": "Laura", "role": "interviewer"})
    else:
        assert client.post(f"/interviews/{interview_id}/rating", data={"value": "3"},
                           follow_redirects=False).status_code == 303
    assert [j.status for j in code_jobs(session, interview_id)] == [JobStatus.done, JobStatus.queued]


def test_a_respondent_marked_interviewer_leaves_nothing_to_code_and_the_page_says_so(client, session, coded):
    _, interview_id = coded
    respondent = session.exec(select(Speaker).where(Speaker.interview_id == interview_id,
                                                    Speaker.label == "SPEAKER_01")).one()
    client.post(f"/interviews/{interview_id}/speakers/{respondent.id}", data={"display_name": "Laura",
                                                                              "role": "interviewer"})
    assert code_jobs(session, interview_id)[-1].status == JobStatus.done
    assert unit_texts(session, interview_id) == []
    page = client.get(f"/interviews/{interview_id}").text
    assert 'id="coding-status">coded<' in page and "No respondent's answer was found to code" in page


def test_renaming_a_speaker_keeps_the_coding(client, session, coded):
    _, interview_id = coded
    speaker = session.exec(select(Speaker).where(Speaker.interview_id == interview_id,
                                                 Speaker.label == "SPEAKER_01")).one()
    client.post(f"/interviews/{interview_id}/speakers/{speaker.id}", data={"display_name": "Laura",
                                                                           "role": speaker.role})
    assert len(code_jobs(session, interview_id)) == 1


def test_the_page_shows_the_coding_state_and_a_failure(client, session, coded):
    _, interview_id = coded
    page = client.get(f"/interviews/{interview_id}").text
    assert 'id="coding-status">coded<' in page and "Review them below" in page
    [job] = code_jobs(session, interview_id)
    job_service.mark_failed(session, job_id=job.id, error="The coder ran out of memory.")
    page = client.get(f"/interviews/{interview_id}").text
    assert 'id="coding-status">failed<' in page and "The coder ran out of memory." in page


def test_interviewers_are_not_sent_to_a_section_they_cannot_see(client, session, coded):
    _, interview_id = coded
    make_user(session, "interviewer")
    sign_in(client, "interviewer@example.com")
    page = client.get(f"/interviews/{interview_id}").text
    assert 'id="coded-units"' not in page and 'href="#coded-units"' not in page
    assert "highlighted in the transcript" in page


def test_every_rating_is_stored_and_the_analysts_one_wins(session, coded):
    study, interview_id = coded
    interview = session.get(Interview, interview_id)
    nps_q = session.exec(select(GuideQuestion).where(GuideQuestion.study_id == study.id,
                                                     GuideQuestion.scale == "nps")).one()
    csat_q = GuideQuestion(study_id=study.id, position=3, text="How satisfied are you with support?",
                           kind="rating", scale="csat", scale_min=1, scale_max=5)
    session.add(csat_q)
    session.commit()
    heard = [(SpokenRating(value=8, scale="nps", question_id=str(nps_q.id)), None),
             (SpokenRating(value=4, scale="csat", scale_min=1, scale_max=5, question_id=str(csat_q.id)), None),
             (SpokenRating(value=9, scale="nps", question_id=str(nps_q.id)), None)]  # heard twice: first kept
    ids = {str(nps_q.id): nps_q.id, str(csat_q.id): csat_q.id}
    coding_service.replace_coding(session, interview=interview, units=[], question_ids=ids, code_ids={},
                                  ratings=heard)
    session.commit()
    stored = coding_service.interview_ratings(session, interview=interview)
    assert [(r.scale, r.value, r.question_id, r.source) for r in stored] == [
        ("nps", 8, nps_q.id, "model"), ("csat", 4, csat_q.id, "model")]

    coding_service.set_rating(session, interview=interview, value=2, question_id=csat_q.id)
    coding_service.replace_coding(session, interview=interview, units=[], question_ids=ids, code_ids={},
                                  ratings=heard)
    session.commit()
    stored = coding_service.interview_ratings(session, interview=interview)
    assert [(r.scale, r.value, r.source) for r in stored] == [("nps", 8, "model"), ("csat", 2, "analyst")]
    assert coding_service.ratings_of(session, study_id=study.id)[interview_id].scale == "nps"  # the headline
    with pytest.raises(Exception, match="between 1 and 5"):
        coding_service.set_rating(session, interview=interview, value=7, question_id=csat_q.id)
    with pytest.raises(Exception, match="not a rating question"):
        coding_service.set_rating(session, interview=interview, value=7, question_id=999)


def test_the_page_lists_every_rating_headline_first(client, session, analyst):
    study = make_study(session, csat=True)
    interview_id = upload(client, study.id)
    csat_q = next(q for q in study_service.get_guide(session, study.id) if q.scale == "csat")
    assert client.post(f"/interviews/{interview_id}/rating", data={"value": "4", "question_id": str(csat_q.id)},
                       follow_redirects=False).status_code == 303
    page = client.get(f"/interviews/{interview_id}").text
    block = page[page.index('id="coding"'):page.index("Metadata")]
    assert block.index("NPS") < block.index("CSAT") and "How satisfied are you with support?" in block
    rows = session.exec(select(Rating).where(Rating.interview_id == interview_id)).all()
    assert sorted((r.scale, r.source) for r in rows) == [("csat", "analyst"), ("nps", "model")]
    questions = client.get(f"/studies/{study.id}/questions").text
    nps_q = next(q for q in study_service.get_guide(session, study.id) if q.scale == "nps")
    nps_section = questions[questions.index(f'id="question-{nps_q.id}"'):]
    nps_section = nps_section[:nps_section.index("</section>")]
    assert "<strong>8</strong>" in nps_section and "<strong>4</strong>" not in nps_section
    bad = client.post(f"/interviews/{interview_id}/rating", data={"value": "4", "question_id": "x"})
    assert bad.status_code == 400


class TwoRatingsEngine:
    """A call with an NPS and a CSAT question, each answered aloud."""

    name = "fake-two-ratings"
    lines: ClassVar[list[tuple[str, str]]] = [
        ("SPEAKER_00", "How likely are you to recommend us, from zero to ten?"),
        ("SPEAKER_01", "I would say an eight, because the account manager always answers."),
        ("SPEAKER_00", "How satisfied are you with our support, from one to five?"),
        ("SPEAKER_01", "I would give support a four out of five, they are quick to reply."),
    ]

    def transcribe(self, audio, *, language, progress=None, hints=None):
        from transcription.schema import Segment, Word

        segments, step = [], len(audio) / 16000 / len(self.lines)
        for number, (speaker, text) in enumerate(self.lines):
            start, words = number * step, text.split()
            span = step * 0.9 / len(words)
            segments.append(Segment(start=start, end=start + step * 0.9, text=text, speaker=speaker, words=[
                Word(start=start + i * span, end=start + (i + 1) * span, word=w, probability=0.9)
                for i, w in enumerate(words)]))
        return "en", segments


def test_an_empty_rating_undoes_the_analysts_correction(client, session, coded):
    _, interview_id = coded
    client.post(f"/interviews/{interview_id}/rating", data={"value": "3"})
    session.expire_all()
    [typed] = session.exec(select(Rating).where(Rating.interview_id == interview_id)).all()
    assert (typed.value, typed.source) == (3, "analyst")  # and re-coding did not overwrite it
    client.post(f"/interviews/{interview_id}/rating", data={"value": ""})
    session.expire_all()
    [heard] = session.exec(select(Rating).where(Rating.interview_id == interview_id)).all()
    assert (heard.value, heard.source) == (8, "model") and len(code_jobs(session, interview_id)) == 3


def test_every_rating_said_aloud_reaches_the_database_and_the_api(client, session, analyst, settings):
    settings.asr_engine = f"{__name__}:TwoRatingsEngine"
    study = study_service.create_study(session, created_by=None, data=study_service.StudyIn(
        name="Two ratings", language="en", guide=[
            {"text": "How likely are you to recommend us, from zero to ten?", "kind": "rating", "scale": "nps"},
            {"text": "How satisfied are you with our support, from one to five?", "kind": "rating",
             "scale": "csat"}]))
    interview_id = upload(client, study.id)
    rows = session.exec(select(Rating).where(Rating.interview_id == interview_id)).all()
    assert sorted((r.scale, r.value, r.source) for r in rows) == [("csat", 4, "model"), ("nps", 8, "model")]
    assert all(r.question_id is not None and r.unit_id is not None and r.quote for r in rows)
    body = client.get(f"/api/interviews/{interview_id}/coding").json()
    assert [(r["scale"], r["value"]) for r in body["ratings"]] == [("nps", 8), ("csat", 4)]  # headline first
    assert body["ratings"][1]["question"].startswith("How satisfied")
    page = client.get(f"/studies/{study.id}/questions").text
    for question in study_service.get_guide(session, study.id):
        section = page[page.index(f'id="question-{question.id}"'):]
        section = section[:section.index("</section>")]
        mine, other = ("8", "4") if question.scale == "nps" else ("4", "8")
        assert f"<strong>{mine}</strong>" in section and f"<strong>{other}</strong>" not in section


def test_retrain_needs_five_decisions_on_one_code_and_the_page_says_so(client, session, coded, analyst):
    study, _interview_id = coded
    review = client.get(f"/studies/{study.id}/review").text
    assert "review at least 5 units of one code" in review
    assert "disabled" in re.search(r"<button[^>]*>Retrain and re-code", review).group(0)
    invoicing = session.exec(select(Code).where(Code.study_id == study.id, Code.path == "invoicing")).one()
    units = session.exec(select(CodedUnit).join(Interview, Interview.id == CodedUnit.interview_id)
                         .where(Interview.study_id == study.id).order_by(CodedUnit.id)).all()
    while len(units) < 5:  # enough units to decide on: more interviews of the same study
        upload(client, study.id, seed=len(units) + 1)
        units = session.exec(select(CodedUnit).join(Interview, Interview.id == CodedUnit.interview_id)
                             .where(Interview.study_id == study.id).order_by(CodedUnit.id)).all()

    def decide_in_full(unit):
        coding_service.decide(session, study_id=study.id, unit_id=unit.id, action="none", user=analyst)
        coding_service.decide(session, study_id=study.id, unit_id=unit.id, action="add", user=analyst,
                              new_code_id=invoicing.id)
        session.commit()

    for unit in units[:4]:
        decide_in_full(unit)
    assert coding_service.decisions_per_code(session, study_id=study.id)["invoicing"] == 4
    refusal = job_service.retrain_refusal(session, study_id=study.id)
    assert "'invoicing', has 4 analyst decisions" in refusal
    client.post(f"/studies/{study.id}/retrain")
    job = session.exec(select(Job).where(Job.kind == "retrain")).one()
    assert job.status == JobStatus.failed and "review at least 5" in job.error

    decide_in_full(units[4])
    assert coding_service.decisions_per_code(session, study_id=study.id)["invoicing"] == 5
    assert job_service.retrain_refusal(session, study_id=study.id) is None
    button = re.search(r"<button[^>]*>Retrain and re-code", client.get(f"/studies/{study.id}/review").text).group(0)
    assert "disabled" not in button
