"""The integration API: interviews listed, read, updated and deleted; transcripts replaced; stories; codebook."""

from datetime import date

import pytest
from sqlmodel import select

from tests.factories import bearer, make_interview, make_study, make_user
from transcription.schema import Segment, Speaker, Transcript
from workbench import jobs, storage
from workbench.models import (
    CodedUnit,
    CodingEvent,
    Interview,
    Job,
    JobStatus,
    LoopStatus,
    Rating,
    Recording,
    StoryRecord,
    TranscriptSegment,
    UnitCode,
)
from workbench.models import Speaker as SpeakerRow
from workbench.services import coding as coding_service
from workbench.services import interviews as interview_service
from workbench.services import reports as report_service


@pytest.fixture
def study(session):
    return make_study(session)


@pytest.fixture
def admin_headers(session):
    return bearer(session, make_user(session, "admin", email="admin@example.com"))


def _coded(session, settings, study, meta=None, seed=0) -> Interview:
    """An uploaded interview, transcribed and coded by the inline queue."""
    interview, job = make_interview(session, settings, study, meta=meta, seed=seed)
    jobs.enqueue(settings, [job.id])
    session.expire_all()
    return session.get(Interview, interview.id)


def _imported(session, study, file="notes.docx") -> Interview:
    transcript = Transcript(language="en", duration=0.0, speakers=[Speaker("A", "interviewer", "Marta")],
                            segments=[Segment(start=None, end=None, text="How is it going?", speaker="A"),
                                      Segment(start=None, end=None, text="Fine, thanks.", speaker="B")])
    interview = interview_service.add_transcribed_interview(
        session, study=study, transcript=transcript, meta=interview_service.parse_meta({"account": "Imported"}),
        transcript_file=file, created_by=None)
    session.commit()
    return interview


# --- list --------------------------------------------------------------------------------------------

PEOPLE = [
    {"account": "Acme", "segment": "Enterprise", "region": "North", "product_line": "Freight",
     "journey_stage": "delivery", "channel": "phone", "interviewer_name": "Marta", "interview_date": "2026-01-10"},
    {"account": "Beta", "segment": "SMB", "region": "North", "product_line": "Parcels",
     "journey_stage": "billing", "channel": "video call", "interviewer_name": "Luca", "interview_date": "2026-02-10"},
    {"account": "Gamma", "segment": "Enterprise", "region": "South", "product_line": "Freight",
     "journey_stage": "billing", "channel": "phone", "interviewer_name": "Luca", "interview_date": "2026-03-10"},
    {"account": "Delta", "segment": "SMB", "region": "South", "product_line": "Parcels",
     "journey_stage": "support", "channel": "in person", "interviewer_name": "Marta", "interview_date": ""},
    {"account": "Acme", "segment": "Enterprise", "region": "Centre", "product_line": "Freight",
     "journey_stage": "renewal", "channel": "phone", "interviewer_name": "Marta", "interview_date": "2026-04-10"},
]


@pytest.fixture
def listed(session, settings, study):
    ids = [make_interview(session, settings, study, meta=meta, seed=n)[0].id for n, meta in enumerate(PEOPLE)]
    other = make_study(session, name="Another study")
    make_interview(session, settings, other, meta=PEOPLE[0], seed=99)
    return ids


@pytest.mark.parametrize(("query", "expected"), [
    ("segment=Enterprise", {0, 2, 4}),
    ("region=South", {2, 3}),
    ("product_line=Parcels", {1, 3}),
    ("journey_stage=billing", {1, 2}),
    ("channel=phone", {0, 2, 4}),
    ("account=Acme", {0, 4}),
    ("interviewer=Luca", {1, 2}),
    ("date_from=2026-02-01&date_to=2026-03-31", {1, 2}),
    ("date_from=2026-03-10", {2, 4}),
    ("segment=Enterprise&region=North", {0}),
    ("status=queued", {0, 1, 2, 3, 4}),
    ("status=transcribed", set()),
    ("segment=Nobody", set()),
])
def test_list_filters_by_metadata_status_and_date(client, session, study, listed, admin_headers, query, expected):
    response = client.get(f"/api/studies/{study.id}/interviews?{query}", headers=admin_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert {item["id"] for item in body["items"]} == {listed[i] for i in expected}
    assert body["total"] == len(expected) and body["next"] is None


def test_list_pages_by_cursor_newest_first(client, session, settings, study, listed, admin_headers):
    seen, cursor, pages = [], None, 0
    while True:
        url = f"/api/studies/{study.id}/interviews?limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, headers=admin_headers).json()
        assert body["total"] == len(listed) + pages and len(body["items"]) <= 2  # the total counts newcomers
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next"]
        if cursor is None:
            break
        # an interview added between pages neither shifts the pages nor shows up in the later ones
        make_interview(session, settings, study, seed=100 + pages)
    assert pages == 3
    assert seen == sorted(listed, reverse=True)
    first = client.get(f"/api/studies/{study.id}/interviews?segment=SMB", headers=admin_headers).json()["items"][0]
    assert first["metadata"]["account"] == "Delta" and first["status"] == "queued"
    assert first["metadata"]["interview_date"] is None and first["transcript_file"] == ""


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "segment=a%00b", f"limit={10**30}", "cursor=abc",
                                   f"cursor={2**63}", "date_from=10-01-2026", "status=lost"])
def test_bad_list_parameters_are_a_422(client, study, admin_headers, query):
    response = client.get(f"/api/studies/{study.id}/interviews?{query}", headers=admin_headers)
    assert response.status_code == 422
    assert set(response.json()) == {"error", "detail", "status"}


def test_list_of_a_missing_study_is_a_404(client, admin_headers):
    assert client.get("/api/studies/999/interviews", headers=admin_headers).status_code == 404


# --- read -------------------------------------------------------------------------------------------------

def test_an_interview_with_its_recording_coding_status_and_counts(client, session, settings, study, admin_headers):
    interview = _coded(session, settings, study, meta={"account": "Acme", "segment": "Enterprise"})
    body = client.get(f"/api/interviews/{interview.id}", headers=admin_headers).json()
    assert body["status"] == "transcribed" and body["coding_status"] == "done"
    assert body["metadata"]["account"] == "Acme" and body["metadata"]["language"] == "auto"
    recording = body["recording"]
    assert recording["channels"] == 1 and recording["sample_rate"] == 16000 and recording["format"] == "wav"
    assert abs(recording["duration"] - 2.0) < 0.05 and recording["filename"] == "in.wav"
    assert body["transcript_language"] == "en" and body["transcript_file"] == ""
    counts = body["counts"]
    assert counts["segments"] == 4 and counts["speakers"] == 2
    assert counts["units"] == len(session.exec(select(CodedUnit).where(CodedUnit.interview_id == interview.id)).all())
    assert counts["units"] > 0 and counts["ratings"] >= 1


def test_an_interview_imported_without_audio_has_no_recording(client, session, study, admin_headers):
    interview = _imported(session, study)
    body = client.get(f"/api/interviews/{interview.id}", headers=admin_headers).json()
    assert body["recording"] is None and body["transcript_file"] == "notes.docx"
    assert body["coding_status"] is None and body["counts"]["segments"] == 2 and body["counts"]["units"] == 0


# --- update metadata -----------------------------------------------------------------------------------------

def test_patch_changes_only_the_fields_sent(client, session, settings, study):
    headers = bearer(session, make_user(session, "interviewer"))
    interview, _ = make_interview(session, settings, study, meta=PEOPLE[0])
    response = client.patch(f"/api/interviews/{interview.id}", headers=headers,
                            json={"region": "  East ", "participants": 3, "consent_recorded": True})
    assert response.status_code == 200, response.text
    meta = response.json()["metadata"]
    assert meta["region"] == "East" and meta["participants"] == 3 and meta["consent_recorded"] is True
    assert meta["account"] == "Acme" and meta["interview_date"] == "2026-01-10"
    session.expire_all()
    assert session.get(Interview, interview.id).region == "East"
    # null puts a field back to its default
    meta = client.patch(f"/api/interviews/{interview.id}", headers=headers,
                        json={"interview_date": None, "segment": None}).json()["metadata"]
    assert meta["interview_date"] is None and meta["segment"] == "" and meta["region"] == "East"


@pytest.mark.parametrize(("body", "named"), [
    ({"language": "fr"}, "language"),
    ({"participants": 0}, "participants"),
    ({"colour": "red"}, "colour"),
    ({"interview_date": "yesterday"}, "interview_date"),
    ({"account": "x" * 201}, "account"),
    ({"account": "a\x00b"}, "NUL"),  # PostgreSQL cannot store it
])
def test_bad_metadata_is_a_422_naming_the_field(client, session, settings, study, admin_headers, body, named):
    interview, _ = make_interview(session, settings, study, meta=PEOPLE[0])
    response = client.patch(f"/api/interviews/{interview.id}", headers=admin_headers, json=body)
    assert response.status_code == 422
    assert named in response.json()["detail"]
    session.expire_all()
    assert session.get(Interview, interview.id).account == "Acme"


# --- delete ------------------------------------------------------------------------------------------------

def test_delete_removes_everything_hanging_off_the_interview(client, session, settings, study):
    analyst = make_user(session, "analyst")
    headers = bearer(session, analyst)
    interview = _coded(session, settings, study, meta={"account": "Acme"})
    keep = _coded(session, settings, study, meta={"account": "Other"}, seed=1)
    unit = session.exec(select(CodedUnit).where(CodedUnit.interview_id == interview.id)).first()
    coding_service.decide(session, study_id=study.id, unit_id=unit.id, action="none", user=analyst)
    report_service.set_story_status(session, interview=interview, status="approved", user=analyst)
    report_service.set_loop_status(session, interview=interview, status="contacted", user=analyst)
    key = interview_service.get_recording(session, interview.id).storage_key
    assert storage.path_of(settings, key).exists()
    gone, unit_id = interview.id, unit.id

    response = client.delete(f"/api/interviews/{gone}", headers=headers)
    assert response.status_code == 204 and response.content == b""
    session.expunge_all()
    assert session.get(Interview, gone) is None
    for table in (Recording, SpeakerRow, TranscriptSegment, CodedUnit, Rating, Job, StoryRecord, LoopStatus):
        assert not session.exec(select(table).where(table.interview_id == gone)).all(), table
    assert not session.exec(select(UnitCode).where(UnitCode.unit_id == unit_id)).all()
    assert not storage.path_of(settings, key).exists()
    # the analyst's decisions on it go too: the log copies each unit's text
    assert not session.exec(select(CodingEvent).where(CodingEvent.unit_id == unit_id)).all()
    # the other interview is untouched and the study still reads
    assert client.get(f"/api/interviews/{keep.id}", headers=headers).json()["counts"]["units"] > 0
    assert client.get(f"/api/interviews/{gone}", headers=headers).status_code == 404
    assert client.delete(f"/api/interviews/{gone}", headers=headers).status_code == 404
    assert client.get(f"/api/studies/{study.id}/report", headers=headers).status_code == 200


def test_a_recording_shared_with_another_study_keeps_its_file(client, session, settings, study, admin_headers):
    first, _ = make_interview(session, settings, study)
    second, _ = make_interview(session, settings, make_study(session, name="Copy"))  # the same bytes
    key = interview_service.get_recording(session, first.id).storage_key
    other = interview_service.get_recording(session, second.id).storage_key
    assert other != key  # each recording row has an object of its own (no shared key to race on)
    assert client.delete(f"/api/interviews/{first.id}", headers=admin_headers).status_code == 204
    assert not storage.path_of(settings, key).exists() and storage.path_of(settings, other).exists()
    assert client.delete(f"/api/interviews/{second.id}", headers=admin_headers).status_code == 204
    assert not storage.path_of(settings, other).exists()


def test_delete_while_a_job_runs_is_a_409_and_deletes_nothing(client, session, settings, study, admin_headers):
    interview, job = make_interview(session, settings, study)
    job.status = JobStatus.running
    session.add(job)
    session.commit()
    response = client.delete(f"/api/interviews/{interview.id}", headers=admin_headers)
    assert response.status_code == 409
    assert f"job #{job.id}" in response.json()["detail"]
    session.expire_all()
    assert session.get(Interview, interview.id) is not None and session.get(Job, job.id) is not None
    key = interview_service.get_recording(session, interview.id).storage_key
    assert storage.path_of(settings, key).exists()


def test_a_queued_job_goes_with_the_interview(client, session, settings, study, admin_headers):
    interview, job = make_interview(session, settings, study)
    interview_id, job_id = interview.id, job.id
    assert client.delete(f"/api/interviews/{interview_id}", headers=admin_headers).status_code == 204
    session.expunge_all()
    assert session.get(Job, job_id) is None
    jobs.enqueue(settings, [job_id])  # the message a worker might still receive: nothing to claim, nothing written
    assert session.get(Interview, interview_id) is None and session.get(Job, job_id) is None


# --- transcript replaced ----------------------------------------------------------------------------------

NEW_TRANSCRIPT = {
    "language": "en",
    "speakers": [{"id": "INT", "name": "Marta", "role": "interviewer"},
                 {"id": "RES", "name": "Paolo Rossi", "role": "respondent"}],
    "segments": [
        {"start": 0.0, "end": 0.5, "speaker": "INT", "text": "How likely are you to recommend us?"},
        {"start": 0.5, "end": 1.5, "speaker": "RES", "text": "A nine, because deliveries are always on time."},
        {"start": None, "end": None, "speaker": "RES", "text": "Invoices are often wrong though."},
    ],
}


def test_replacing_the_transcript_codes_it_again(client, session, settings, study):
    headers = bearer(session, make_user(session, "analyst"))
    interview = _coded(session, settings, study)
    old_units = {u.text for u in session.exec(select(CodedUnit).where(CodedUnit.interview_id == interview.id))}
    response = client.put(f"/api/interviews/{interview.id}/transcript", headers=headers, json=NEW_TRANSCRIPT)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["segments"] == 3 and body["speakers"] == 2
    job = client.get(f"/api/jobs/{body['coding_job_id']}", headers=headers).json()
    assert job["kind"] == "code" and job["status"] == "done"

    transcript = client.get(f"/api/interviews/{interview.id}/transcript", headers=headers).json()
    assert [s["text"] for s in transcript["segments"]] == [s["text"] for s in NEW_TRANSCRIPT["segments"]]
    assert transcript["segments"][2]["start"] is None
    assert {s["id"]: (s["name"], s["role"]) for s in transcript["speakers"]} == {
        "INT": ("Marta", "interviewer"), "RES": ("Paolo Rossi", "respondent")}
    coding = client.get(f"/api/interviews/{interview.id}/coding", headers=headers).json()
    assert coding["coding_status"] == "done"
    assert old_units and {u["text"] for u in coding["units"]}.isdisjoint(old_units)
    assert any("deliveries" in u["text"] for u in coding["units"])
    assert all(u["speaker"] == "RES" for u in coding["units"])
    # the GET's own output goes back in unchanged (round trip)
    again = client.put(f"/api/interviews/{interview.id}/transcript", headers=headers, json=transcript)
    assert again.status_code == 200, again.text


@pytest.mark.parametrize(("segment", "named"), [
    ({"start": 1.0, "end": 0.5, "speaker": "RES", "text": "Backwards"}, "before it starts"),
    ({"start": 1.0, "end": None, "speaker": "RES", "text": "Half timed"}, "both start and end"),
    ({"start": 0.0, "end": 1.0, "speaker": "NOBODY", "text": "Who?"}, "NOBODY"),
    ({"start": 0.0, "end": 1.0, "speaker": "RES", "text": "   "}, "blank"),
    ({"start": 0.0, "end": 1.0, "speaker": "RES", "text": ""}, "segments.1.text"),
    ({"start": -1.0, "end": 1.0, "speaker": "RES", "text": "Negative"}, "segments.1.start"),
    ({"start": 0.0, "end": 1.0, "speaker": "RES", "text": "Extra", "colour": "red"}, "segments.1.colour"),
    ({"start": 0.0, "end": 500.0, "speaker": "RES", "text": "Too long"}, "after the recording's end"),
    ({"start": 0.0, "end": 1.0, "speaker": "RES", "text": "Nul\x00"}, "NUL"),
])
def test_a_bad_segment_is_a_422_naming_it(client, session, settings, study, admin_headers, segment, named):
    interview = _coded(session, settings, study)
    before = client.get(f"/api/interviews/{interview.id}/transcript", headers=admin_headers).json()
    body = {**NEW_TRANSCRIPT, "segments": [NEW_TRANSCRIPT["segments"][0], segment]}
    response = client.put(f"/api/interviews/{interview.id}/transcript", headers=admin_headers, json=body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert named in detail and "segments.1" in detail
    assert client.get(f"/api/interviews/{interview.id}/transcript", headers=admin_headers).json() == before


def test_replacing_a_transcript_being_made_is_a_409(client, session, settings, study, admin_headers):
    interview, job = make_interview(session, settings, study)  # its transcription job is queued
    response = client.put(f"/api/interviews/{interview.id}/transcript", headers=admin_headers, json=NEW_TRANSCRIPT)
    assert response.status_code == 409 and f"job #{job.id}" in response.json()["detail"]


def test_an_imported_interview_takes_a_transcript_without_timestamps(client, session, study, admin_headers):
    interview = _imported(session, study)
    body = {"speakers": [{"id": "A", "role": "interviewer"}],
            "segments": [{"speaker": "A", "text": "How is it going?"}, {"text": "Nobody said who."}]}
    response = client.put(f"/api/interviews/{interview.id}/transcript", headers=admin_headers, json=body)
    assert response.status_code == 200, response.text
    transcript = client.get(f"/api/interviews/{interview.id}", headers=admin_headers).json()
    assert transcript["counts"]["segments"] == 2 and transcript["transcript_language"] == "en"


# --- stories --------------------------------------------------------------------------------------------

def test_managers_see_approved_stories_only(client, session, settings, study):
    analyst = make_user(session, "analyst")
    approved_interview = _coded(session, settings, study, meta={"account": "Acme"})
    draft_interview = _coded(session, settings, study, meta={"account": "Beta"}, seed=1)
    approved = report_service.set_story_status(session, interview=approved_interview, status="approved",
                                               user=analyst)
    draft = report_service.save_story(session, interview=draft_interview, paragraphs=["A draft."], pinned=None,
                                      user=analyst)
    as_analyst = bearer(session, analyst)
    as_manager = bearer(session, make_user(session, "manager"))

    listed = client.get(f"/api/studies/{study.id}/stories", headers=as_analyst).json()
    assert {(s["id"], s["status"]) for s in listed} == {(approved.id, "approved"), (draft.id, "draft")}
    listed = client.get(f"/api/studies/{study.id}/stories", headers=as_manager).json()
    assert [(s["id"], s["account"], s["interview_id"]) for s in listed] == [
        (approved.id, "Acme", approved_interview.id)]

    story = client.get(f"/api/stories/{approved.id}", headers=as_manager).json()
    assert story["status"] == "approved" and story["approved_at"] is not None
    assert story["text"].startswith(story["story"]["paragraphs"][0])
    assert client.get(f"/api/stories/{draft.id}", headers=as_manager).status_code == 404
    assert client.get(f"/api/stories/{draft.id}", headers=as_analyst).json()["text"] == "A draft."
    assert client.get("/api/stories/999", headers=as_analyst).status_code == 404


# --- codebook ----------------------------------------------------------------------------------------------

def test_the_codebook_reads_in_the_shape_put_accepts(client, session, settings, study):
    headers = bearer(session, make_user(session, "analyst"))
    _coded(session, settings, study)
    codebook = client.get(f"/api/studies/{study.id}/codebook", headers=headers).json()
    assert codebook["name"] == study.name and codebook["codes"]
    assert all({"path", "name", "description", "examples"} <= set(c) for c in codebook["codes"])
    response = client.put(f"/api/studies/{study.id}/codebook?recode=true", headers=headers, json=codebook)
    assert response.status_code == 200, response.text
    assert response.json()["added"] == 0 and response.json()["removed"] == 0


# --- who may do what ----------------------------------------------------------------------------------------

ROUTES = [  # (method, path, permission, body)
    ("GET", "/api/studies/{study}/interviews", "view_interviews", None),
    ("GET", "/api/interviews/{interview}", "view_interviews", None),
    ("PATCH", "/api/interviews/{interview}", "edit_metadata", {"region": "East"}),
    ("PUT", "/api/interviews/{interview}/transcript", "edit_transcript", NEW_TRANSCRIPT),
    ("GET", "/api/studies/{study}/stories", "view_reports", None),
    ("GET", "/api/studies/{study}/codebook", "view_coding", None),
    ("DELETE", "/api/interviews/{interview}", "code", None),
]
ROLES = {"admin": {"view_interviews", "edit_metadata", "edit_transcript", "view_reports", "view_coding", "code"},
         "analyst": {"view_interviews", "edit_metadata", "edit_transcript", "view_reports", "view_coding", "code"},
         "interviewer": {"view_interviews", "edit_metadata", "view_reports", "view_coding"},
         "manager": {"view_reports", "view_coding"}}


@pytest.mark.parametrize("role", list(ROLES))
def test_role_checks_per_route(client, session, settings, study, role):
    interview = _imported(session, study)
    headers = bearer(session, make_user(session, role, email=f"{role}-actor@example.com"))
    for method, template, permission, body in ROUTES:
        path = template.format(study=study.id, interview=interview.id)
        response = client.request(method, path, headers=headers, json=body)
        if permission in ROLES[role]:
            assert response.status_code < 300, (role, method, path, response.text)
        else:
            assert response.status_code == 403, (role, method, path, response.status_code)
            assert "does not allow" in response.json()["detail"]
    assert client.get(f"/api/interviews/{interview.id}").status_code == 401


def test_interview_dates_filter_on_the_interview_date_not_the_upload(session, settings, study):
    made = [make_interview(session, settings, study, meta=meta, seed=n)[0] for n, meta in enumerate(PEOPLE)]
    page = interview_service.page_interviews(session, study_id=study.id, date_to=date(2026, 1, 31))
    assert [i.id for i in page.items] == [made[0].id]
