"""Redaction of personal data in the workbench: spans found by the coding job, who sees what, analysts' marks.

An interview imported from a transcript full of personal data is coded by the real coding job (the fake
embedder); managers must never find the originals in any page, file or API answer they can reach.
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from tests.factories import bearer, make_study, make_user, sign_in
from workbench.errors import Forbidden
from workbench.jobs import enqueue
from workbench.models import (
    AuditEvent,
    CodedUnit,
    Interview,
    PiiSpan,
    Role,
    TranscriptSegment,
    User,
)
from workbench.services import interviews as interview_service
from workbench.services import redaction as redaction_service
from workbench.services.transcript_import import import_transcript

PHONE = "+39 347 123 4567"
EMAIL = "laura.bianchi@example.com"
COLLEAGUE = "Marco Verdi"
RESPONDENT = "Laura Bianchi"
INTERVIEWER = "Paolo Neri"
TRANSCRIPT = (
    "[00:00:00] Interviewer: How is the relationship going?\n"
    f"[00:00:04] {RESPONDENT}: Deliveries are always late and the invoices are wrong. "
    f"Call my colleague {COLLEAGUE} on {PHONE} about the invoices.\n"
    "[00:00:09] Interviewer: How likely are you to recommend us?\n"
    f"[00:00:12] {RESPONDENT}: I would say a six, because the prices are good. "
    f"Write to {EMAIL} for the contract.\n"
)
ORIGINALS = (PHONE, "347 123 4567", EMAIL, COLLEAGUE, RESPONDENT, "Bianchi", "Verdi")


def originals_in(body: str | bytes) -> list[str]:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return [value for value in ORIGINALS if value in text]


def xlsx_text(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return " ".join(archive.read(name).decode("utf-8") for name in archive.namelist() if name.endswith(".xml"))


def import_interview(session, settings, study, text: str = TRANSCRIPT) -> Interview:
    meta = interview_service.parse_meta({"account": "Rossi Srl", "respondent_name": RESPONDENT,
                                         "interviewer_name": INTERVIEWER})
    interview, jobs = import_transcript(session, settings, study=study, data=text.encode(), filename="call.txt",
                                        meta=meta, created_by=None)
    enqueue(settings, [job.id for job in jobs])
    session.expire_all()
    return session.get(Interview, interview.id)


@pytest.fixture
def study(session):
    return make_study(session)


@pytest.fixture
def coded(session, settings, study):
    """A study that redacts personal data, with one coded interview."""
    interview = import_interview(session, settings, study)
    study.redact_personal_data = True
    session.add(study)
    session.commit()
    return study, interview


def line_saying(session, interview_id: int, words: str) -> TranscriptSegment:
    session.expire_all()
    return session.exec(select(TranscriptSegment).where(TranscriptSegment.interview_id == interview_id,
                                                        TranscriptSegment.text.contains(words))).one()


def spans_of(session, interview_id: int) -> list[tuple[str, str, str, str]]:
    """(words, entity, source, status) of every span of the interview."""
    session.expire_all()
    texts = {s.id: s.text for s in session.exec(select(TranscriptSegment)
                                                .where(TranscriptSegment.interview_id == interview_id))}
    return sorted((texts[s.segment_id][s.start_char:s.end_char], s.entity, s.source, s.status)
                  for s in session.exec(select(PiiSpan).where(PiiSpan.interview_id == interview_id)))


def signed_in(app, session, role: str) -> TestClient:
    make_user(session, role)
    return sign_in(TestClient(app), f"{role}@example.com")


def user_of(session, role: str) -> User:
    return session.exec(select(User).where(User.role == Role(role))).one()


# --- detection --------------------------------------------------------------------------------------

def test_the_coding_job_finds_personal_data_whatever_the_setting(session, settings, study):
    assert not study.redact_personal_data
    interview = import_interview(session, settings, study)
    found = {(words, entity) for words, entity, source, status in spans_of(session, interview.id)}
    assert {(PHONE, "PHONE"), (EMAIL, "EMAIL"), (COLLEAGUE, "PERSON")} <= found
    assert all(source == "detector" and status == "redacted" for *_, source, status in spans_of(session, interview.id))
    # coding again (a retrain, a codebook change) finds the same spans, not twice as many
    before = spans_of(session, interview.id)
    assert redaction_service.detect_for_interview(session, interview=interview) == len(before)
    assert spans_of(session, interview.id) == before


def test_known_names_are_the_interview_s_people():
    interview = Interview(study_id=1, respondent_name="Laura Bianchi", interviewer_name="")
    from workbench.models import Speaker

    speakers = [Speaker(interview_id=1, label="A", display_name="Interviewer"),
                Speaker(interview_id=1, label="B", display_name="Giorgio De Luca"),
                Speaker(interview_id=1, label="C", display_name="Speaker 3")]
    names = redaction_service.known_names(interview, speakers)
    assert "Laura Bianchi" in names and "Bianchi" in names and "Giorgio De Luca" in names
    assert "Interviewer" not in names and "Speaker 3" not in names and "De" not in names


# --- who sees what ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("role", "expected"), [("manager", True), ("analyst", False), ("interviewer", False),
                                                ("admin", False)])
def test_must_redact_follows_the_permission(session, study, role, expected):
    user = make_user(session, role)
    assert redaction_service.must_redact(study, user) is False  # the study does not redact
    study.redact_personal_data = True
    assert redaction_service.must_redact(study, user) is expected
    assert redaction_service.must_redact(study, None) is True


def test_a_unit_that_runs_on_into_the_next_line_is_redacted_in_both(session, settings, study):
    text = ("[00:00:00] Interviewer: Anything else?\n"
            f"[00:00:02] {RESPONDENT}: The courier was late again and\n"
            f"[00:00:03] {RESPONDENT}: my colleague {COLLEAGUE} had to call {PHONE} twice.\n")
    interview = import_interview(session, settings, study, text)
    study.redact_personal_data = True
    redaction = redaction_service.redactor(session, study=study, user=None, interview_ids=[interview.id])
    units = session.exec(select(CodedUnit).where(CodedUnit.interview_id == interview.id)).all()
    running_on = [u for u in units if "courier" in u.text and PHONE in u.text]
    assert running_on, [u.text for u in units]
    shown = redaction.unit_text(running_on[0])
    assert "[NAME]" in shown and "[PHONE]" in shown and not originals_in(shown)
    assert shown.startswith(running_on[0].text[:10])


def test_managers_never_see_the_originals(app, session, coded):
    study, interview = coded
    manager = signed_in(app, session, "manager")
    pages = {
        "study": manager.get(f"/studies/{study.id}"),
        "answers": manager.get(f"/studies/{study.id}/questions"),
        "codebook": manager.get(f"/studies/{study.id}/codebook"),
        "codebook export": manager.get(f"/studies/{study.id}/codebook/export"),
        "segments.csv": manager.get(f"/studies/{study.id}/export/segments.csv"),
        "ratings.csv": manager.get(f"/studies/{study.id}/export/ratings.csv"),
    }
    for name, response in pages.items():
        assert response.status_code == 200, (name, response.text)
        assert originals_in(response.content) == [], name
    assert "[PHONE]" in pages["answers"].text and "[NAME]" in pages["answers"].text
    assert "[PHONE]" in pages["segments.csv"].text and "[EMAIL]" in pages["segments.csv"].text
    segments_xlsx = manager.get(f"/studies/{study.id}/export/segments.xlsx")
    assert segments_xlsx.status_code == 200 and originals_in(xlsx_text(segments_xlsx.content)) == []
    assert "[PHONE]" in xlsx_text(segments_xlsx.content)
    # the same under /api, with the manager's token
    token = bearer(session, user_of(session, "manager"))
    api = TestClient(app)
    for path in (f"/api/studies/{study.id}/export/segments.csv", f"/api/studies/{study.id}/export/ratings.xlsx",
                 f"/api/studies/{study.id}/codebook"):
        response = api.get(path, headers=token)
        assert response.status_code == 200, path
        body = xlsx_text(response.content) if path.endswith(".xlsx") else response.content
        assert originals_in(body) == [], path
    # transcripts and the REFI-QDA project are not theirs to open at all
    assert manager.get(f"/interviews/{interview.id}").status_code == 403
    assert api.get(f"/api/interviews/{interview.id}/transcript", headers=token).status_code == 403


def test_analysts_see_the_originals_with_the_redacted_items_marked(client, session, coded, analyst):
    study, interview = coded
    page = client.get(f"/interviews/{interview.id}").text
    assert PHONE in page and COLLEAGUE in page and EMAIL in page
    assert re.search(r'<mark class="pii" data-at="\d+" data-pii-start="\d+" data-pii-end="\d+" '
                     r'data-pii-entity="PHONE" data-pii-status="redacted" title="Phone number: shown as \[PHONE\]',
                     page)
    assert 'id="redact-form"' in page and "data-redact=" in page
    # every piece of a line says where it starts in the line (static/app.js turns a selection into offsets)
    line = line_saying(session, interview.id, COLLEAGUE)
    html = re.search(rf'<li class="segment" id="segment-{line.id}".*?<p class="text"[^>]*>(.*?)</p>', page,
                     re.DOTALL)[1]
    pieces = re.findall(r'data-at="(\d+)"[^>]*>([^<]*)<', html)
    assert "".join(piece for _, piece in pieces) == line.text
    assert all(line.text[int(at):int(at) + len(piece)] == piece for at, piece in pieces)
    assert "<script>" not in page
    csv = client.get(f"/studies/{study.id}/export/segments.csv").text
    assert PHONE in csv and "[PHONE]" not in csv
    assert PHONE in client.get(f"/studies/{study.id}/questions").text
    transcript = client.get(f"/api/interviews/{interview.id}/transcript").json()
    assert any(PHONE in seg["text"] for seg in transcript["segments"])


def test_with_the_setting_off_everyone_reads_the_transcript_as_said(app, session, settings, study):
    import_interview(session, settings, study)
    manager = signed_in(app, session, "manager")
    assert PHONE in manager.get(f"/studies/{study.id}/questions").text


def test_an_api_context_without_a_user_is_redacted(session, coded):
    from workbench.services.exports import export_transcript
    from workbench.services.transcripts import transcript_json

    study, interview = coded
    redaction = redaction_service.redactor(session, study=study, user=None, interview_ids=[interview.id])
    body = transcript_json(session, interview=interview, duration=20.0, redaction=redaction)
    assert originals_in(str(body)) == [] and "[PHONE]" in str(body)
    for fmt in ("txt", "srt", "f4"):
        exported = export_transcript(session, interview=interview, fmt=fmt, redaction=redaction)
        assert originals_in(exported.content) == [], fmt
    docx = export_transcript(session, interview=interview, fmt="docx", redaction=redaction)
    assert originals_in(xlsx_text(docx.content)) == [] and "[NAME]" in xlsx_text(docx.content)


def test_the_refi_qda_project_is_refused_to_who_must_not_see_originals(client, session, coded, analyst):
    study, _ = coded
    manager = make_user(session, "manager")
    with pytest.raises(Forbidden):
        redaction_service.refuse_originals(study, manager, what="A REFI-QDA project")
    redaction_service.refuse_originals(study, analyst, what="A REFI-QDA project")
    assert client.get(f"/studies/{study.id}/export.qdpx").status_code == 200


# --- analysts' corrections ----------------------------------------------------------------------------

def mark(client, interview_id: int, segment: TranscriptSegment, words: str, action: str, entity: str = "PERSON"):
    start = segment.text.index(words)
    return client.post(f"/interviews/{interview_id}/segments/{segment.id}/redaction",
                       data={"start": start, "end": start + len(words), "entity": entity, "action": action},
                       follow_redirects=False)


def test_an_analyst_marks_a_missed_item_and_it_is_logged(app, client, session, coded, analyst):
    study, interview = coded
    line = line_saying(session, interview.id, "invoices are wrong")
    response = mark(client, interview.id, line, "invoices", "redact", entity="PERSON")
    assert response.status_code == 303
    assert response.headers["location"] == f"/interviews/{interview.id}#segment-{line.id}"
    assert ("invoices", "PERSON", "analyst", "redacted") in spans_of(session, interview.id)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "redaction.mark")).one()
    assert event.user_id == analyst.id and event.study_id == study.id and event.detail["action"] == "redact"
    assert event.target == f"interview:{interview.id}" and event.detail["segment"] == line.id
    assert "invoices" not in str(event.detail)  # the log holds no personal data itself
    manager = signed_in(app, session, "manager")
    answers = manager.get(f"/studies/{study.id}/questions").text
    assert "the invoices are wrong" not in answers and "the [NAME] are wrong" in answers


def test_an_analyst_undoes_an_over_redaction_and_it_is_logged(app, client, session, coded, analyst):
    study, interview = coded
    line = line_saying(session, interview.id, COLLEAGUE)
    response = client.post(f"/interviews/{interview.id}/segments/{line.id}/redaction", headers={"HX-Request": "true"},
                           data={"start": line.text.index(COLLEAGUE) + 1, "end": line.text.index(COLLEAGUE) + 3,
                                 "action": "keep"})
    assert response.status_code == 200 and 'data-pii-status="kept"' in response.text
    assert (COLLEAGUE, "PERSON", "detector", "kept") in spans_of(session, interview.id)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "redaction.mark")).one()
    assert event.detail["action"] == "keep" and event.detail["entities"] == ["PERSON"]
    # a new detection keeps the analyst's decision
    redaction_service.detect_for_interview(session, interview=session.get(Interview, interview.id))
    assert (COLLEAGUE, "PERSON", "detector", "kept") in spans_of(session, interview.id)
    manager = signed_in(app, session, "manager")
    csv = manager.get(f"/studies/{study.id}/export/segments.csv").text
    assert "Marco" in csv and PHONE not in csv


def test_marks_are_checked(client, session, coded, analyst):
    _, interview = coded
    line = line_saying(session, interview.id, COLLEAGUE)
    url = f"/interviews/{interview.id}/segments/{line.id}/redaction"
    assert client.post(url, data={"start": 0, "end": 9999, "action": "redact"}).status_code == 400
    assert client.post(url, data={"start": 0, "end": 3, "action": "erase"}).status_code == 400
    assert client.post(url, data={"start": 0, "end": 3, "entity": "SHOE_SIZE"}).status_code == 400
    assert client.post(url, data={"action": "redact"}).status_code == 400
    assert client.post(url, data={"start": 0, "end": 3, "action": "keep"}).status_code == 404  # nothing there
    other = line_saying(session, interview.id, "relationship")
    assert client.post(f"/interviews/{interview.id + 1}/segments/{other.id}/redaction",
                       data={"start": 0, "end": 3}).status_code == 404


def test_a_correction_finds_the_line_s_personal_data_again(client, session, coded, analyst):
    _, interview = coded
    line = line_saying(session, interview.id, COLLEAGUE)
    assert mark(client, interview.id, line, "invoices", "redact").status_code == 303
    assert mark(client, interview.id, line, "Deliveries", "redact").status_code == 303
    corrected = line.text.replace(PHONE, "the office").replace("the invoices are wrong", "the bills are wrong")
    corrected = "Honestly, " + corrected
    response = client.post(f"/interviews/{interview.id}/segments/{line.id}", data={"text": corrected},
                           follow_redirects=False)
    assert response.status_code == 303
    found = spans_of(session, interview.id)
    words = [w for w, *_ in found]
    assert PHONE not in words  # gone from the text, gone from the spans
    assert ("Deliveries", "PERSON", "analyst", "redacted") in found  # moved with its words
    assert ("invoices", "PERSON", "analyst", "redacted") in found  # "about the invoices" is still there
    assert (COLLEAGUE, "PERSON", "detector", "redacted") in found


def test_a_correction_drops_a_mark_whose_words_are_gone(client, session, coded, analyst):
    _, interview = coded
    line = line_saying(session, interview.id, COLLEAGUE)
    assert mark(client, interview.id, line, "Deliveries", "redact").status_code == 303
    client.post(f"/interviews/{interview.id}/segments/{line.id}",
                data={"text": line.text.replace("Deliveries", "Parcels")})
    assert "Deliveries" not in [w for w, *_ in spans_of(session, interview.id)]


# --- the study setting --------------------------------------------------------------------------------

@pytest.mark.parametrize(("role", "status"), [("analyst", 303), ("admin", 303), ("interviewer", 403),
                                              ("manager", 403)])
def test_the_setting_is_changed_by_analysts_and_admins_only(app, session, study, role, status):
    browser = signed_in(app, session, role)
    page = browser.get(f"/studies/{study.id}").text
    assert (f'action="/studies/{study.id}/redaction"' in page) is (status == 303)
    response = browser.post(f"/studies/{study.id}/redaction", data={"enabled": "true"}, follow_redirects=False)
    assert response.status_code == status
    session.refresh(study)
    assert study.redact_personal_data is (status == 303)
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "redaction.setting")).all()
    assert len(events) == (1 if status == 303 else 0)
    if status == 303:
        assert events[0].detail == {"redact_personal_data": True} and events[0].study_id == study.id
        assert browser.post(f"/studies/{study.id}/redaction", data={"enabled": "maybe"}).status_code == 400
        assert "Stop redacting personal data" in browser.get(f"/studies/{study.id}").text


def test_discovered_themes_and_the_codes_made_of_them_are_redacted_for_managers(app, session, coded):
    """A theme's label and keyphrases are the answers' words; accepted, they become a code's name and
    "Discovered theme: ..." description: none of it reaches a manager unredacted."""
    from workbench.models import Code, ThemeProposal
    from workbench.services import proposals as proposal_service

    study, _interview = coded
    analyst = make_user(session, "analyst")
    waiting = ThemeProposal(study_id=study.id, label="Bianchi invoices", keyphrases=["laura bianchi", PHONE],
                            examples=[f"Call {COLLEAGUE}"], unit_ids=[])
    accepted = ThemeProposal(study_id=study.id, label=f"{COLLEAGUE} callbacks",
                             keyphrases=[COLLEAGUE, "347 123 4567", "callbacks"], examples=[], unit_ids=[])
    session.add_all([waiting, accepted])
    session.add(Code(study_id=study.id, path="contact/phone", name="Phone contact", description=f"Like {PHONE}",
                     translations={"it": {"name": "Contatto", "description": f"Chiamare {COLLEAGUE}",
                                          "examples": [f"Scrivere a {EMAIL}"]}}))
    session.commit()
    code = proposal_service.accept(session, study_id=study.id, proposal_id=accepted.id, path="contact/callbacks",
                                   name="", description="", user=analyst)
    assert COLLEAGUE in code.name and COLLEAGUE in code.description  # what analysts see: the originals
    manager = signed_in(app, session, "manager")
    token = bearer(session, user_of(session, "manager"))
    responses = {
        "codebook page": manager.get(f"/studies/{study.id}/codebook"),
        "codebook.yaml": manager.get(f"/studies/{study.id}/codebook/export"),
        "codebook.csv": manager.get(f"/studies/{study.id}/codebook/export", params={"format": "csv"}),
        "codebook table": manager.get(f"/studies/{study.id}/export/codebook.xlsx"),
        "api codebook": TestClient(app).get(f"/api/studies/{study.id}/codebook", headers=token),
    }
    for name, response in responses.items():
        assert response.status_code == 200, (name, response.text)
        body = xlsx_text(response.content) if name == "codebook table" else response.content
        assert originals_in(body) == [] and "347 123 4567" not in str(body), name
    assert "[NAME] invoices" in responses["codebook page"].text
    api = responses["api codebook"].json()
    italian = next(c for c in api["codes"] if c["path"] == "contact/phone")["translations"]["it"]
    assert "[NAME]" in italian["description"] and "[EMAIL]" in italian["examples"][0]
    # the analyst reads them as they are
    page = TestClient(app)
    sign_in(page, "analyst@example.com")
    assert COLLEAGUE in page.get(f"/studies/{study.id}/codebook").text


@pytest.mark.parametrize(("role", "status"), [("analyst", 303), ("admin", 303), ("interviewer", 403),
                                              ("manager", 403)])
def test_only_analysts_and_admins_correct_redaction(app, session, coded, role, status):
    """Interviewers see the originals, but deciding what managers read is the analysts' (and admins')."""
    _study, interview = coded
    browser = signed_in(app, session, role)
    line = line_saying(session, interview.id, COLLEAGUE)
    if role == "interviewer":
        page = browser.get(f"/interviews/{interview.id}").text
        assert COLLEAGUE in page and 'id="redact-form"' not in page
    start = line.text.index(COLLEAGUE)
    response = browser.post(f"/interviews/{interview.id}/segments/{line.id}/redaction", follow_redirects=False,
                            data={"start": start, "end": start + len(COLLEAGUE), "action": "keep"})
    assert response.status_code == status
    assert ((COLLEAGUE, "PERSON", "detector", "kept") in spans_of(session, interview.id)) is (status == 303)
