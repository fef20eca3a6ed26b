"""The HTML pages as an interviewer and an analyst use them."""

import re

from sqlmodel import select

from tests.factories import csrf_from, make_study, make_user, sign_in, wav_bytes
from workbench.models import Job, JobStatus, TranscriptSegment


def _upload(client, study_id, seed=0, **meta):
    return client.post(f"/studies/{study_id}/interviews", headers={"HX-Request": "true"},
                       files={"file": (f"call{seed}.wav", wav_bytes(2.0, seed=seed), "audio/wav")},
                       data={"account": f"Account {seed}", **meta})


def test_interviewer_creates_a_study_with_its_guide(client, session):
    make_user(session, "interviewer")
    sign_in(client, "interviewer@example.com")
    form = client.get("/studies/new")
    response = client.post("/studies", data={
        "name": "Logistics 2026", "language": "it", "interview_type": "phone", "csrftoken": csrf_from(form.text),
        "guide": "Come va il rapporto?\n[nps] Quanto ci raccomanderebbe?\n[1-4] Quanto è facile ordinare?"},
        follow_redirects=True)
    assert response.status_code == 200
    assert "Logistics 2026" in response.text
    assert "NPS 0–10" in response.text and "rating 1–4" in response.text


def test_a_bad_guide_line_is_reported_and_the_form_kept(client, session):
    make_user(session, "interviewer")
    sign_in(client, "interviewer@example.com")
    response = client.post("/studies", data={"name": "Keep me", "guide": "[5-1] Backwards scale?"})
    assert response.status_code == 422
    assert "Guide line 1" in response.text and "Keep me" in response.text


def test_upload_form_returns_the_job_progress_and_the_transcript_appears(client, session):
    make_user(session, "interviewer")
    sign_in(client, "interviewer@example.com")
    study = make_study(session)
    assert 'name="file"' in client.get(f"/studies/{study.id}/upload").text
    response = _upload(client, study.id, segment="SMB", region="North", journey_stage="delivery")
    assert response.status_code == 201
    assert "Open the interview" in response.text
    assert 'hx-get="/jobs/' in response.text  # the progress bar polls the job
    interview_id = re.search(r"/interviews/(\d+)", response.text).group(1)
    page = client.get(f"/interviews/{interview_id}")
    assert "I would say an eight" in page.text
    assert f'src="/interviews/{interview_id}/audio"' in page.text
    assert "data-seek=" in page.text


def test_upload_errors_come_back_as_a_message(client, session):
    make_user(session, "interviewer")
    sign_in(client, "interviewer@example.com")
    study = make_study(session)
    response = client.post(f"/studies/{study.id}/interviews", headers={"HX-Request": "true"},
                           files={"file": ("notes.mp3", b"not audio at all" * 10, "audio/mpeg")})
    assert response.status_code == 415
    assert 'class="alert alert-error"' in response.text


def test_job_status_polls_only_while_the_job_runs(client, session):
    make_user(session, "interviewer")
    sign_in(client, "interviewer@example.com")
    study = make_study(session)
    _upload(client, study.id)
    job = session.exec(select(Job).where(Job.kind == "transcribe")).one()
    done = client.get(f"/jobs/{job.id}").text
    assert "hx-get" not in done and "done" in done
    job.status, job.progress, job.step = JobStatus.running, 0.42, "transcribing"
    session.add(job)
    session.commit()
    running = client.get(f"/jobs/{job.id}").text
    assert f'hx-get="/jobs/{job.id}"' in running and "42%" in running and "transcribing" in running


def test_study_page_filters_interviews(client, session):
    make_user(session, "interviewer")
    sign_in(client, "interviewer@example.com")
    study = make_study(session)
    _upload(client, study.id, seed=1, segment="SMB", region="North")
    _upload(client, study.id, seed=2, segment="Enterprise", region="South")
    everything = client.get(f"/studies/{study.id}").text
    assert "Account 1" in everything and "Account 2" in everything
    smb = client.get(f"/studies/{study.id}?segment=SMB", headers={"HX-Request": "true", "HX-Target": "interviews"})
    assert "Account 1" in smb.text and "Account 2" not in smb.text
    assert "<html" not in smb.text  # only the table fragment
    none = client.get(f"/studies/{study.id}?segment=SMB&region=South").text
    assert "No interview matches" in none


def test_analyst_corrects_a_segment_and_renames_a_speaker(client, session):
    make_user(session, "analyst")
    sign_in(client, "analyst@example.com")
    study = make_study(session)
    interview_id = re.search(r"/interviews/(\d+)", _upload(client, study.id).text).group(1)
    segment = session.exec(select(TranscriptSegment).order_by(TranscriptSegment.position)).first()
    response = client.post(f"/interviews/{interview_id}/segments/{segment.id}",
                           headers={"HX-Request": "true"}, data={"text": "How likely, from 0 to 10?"})
    assert response.status_code == 200
    assert "How likely, from 0 to 10?" in response.text and "corrected" in response.text
    session.refresh(segment)
    assert segment.asr_text.startswith("How likely are you to recommend")
    page = client.get(f"/interviews/{interview_id}").text
    speaker_id = re.search(r'/speakers/(\d+)"', page).group(1)
    client.post(f"/interviews/{interview_id}/speakers/{speaker_id}",
                data={"display_name": "Marco (interviewer)", "role": "interviewer"})
    assert "Marco (interviewer) · interviewer" in client.get(f"/interviews/{interview_id}").text
    empty = client.post(f"/interviews/{interview_id}/segments/{segment.id}", data={"text": "   "})
    assert empty.status_code == 400 and "cannot be empty" in empty.text


def test_interviewer_sees_no_correction_controls(client, session):
    make_user(session, "interviewer")
    sign_in(client, "interviewer@example.com")
    study = make_study(session)
    interview_id = re.search(r"/interviews/(\d+)", _upload(client, study.id).text).group(1)
    page = client.get(f"/interviews/{interview_id}").text
    assert "I would say an eight" in page and "Correct</summary>" not in page


def test_metadata_can_be_edited(client, session):
    make_user(session, "interviewer")
    sign_in(client, "interviewer@example.com")
    study = make_study(session)
    interview_id = re.search(r"/interviews/(\d+)", _upload(client, study.id).text).group(1)
    client.post(f"/interviews/{interview_id}/metadata",
                data={"account": "Rossi S.r.l.", "journey_stage": "billing", "interview_date": "2026-10-02"})
    page = client.get(f"/interviews/{interview_id}").text
    assert "Rossi S.r.l." in page and "2026-10-02" in page
    bad = client.post(f"/interviews/{interview_id}/metadata", data={"interview_date": "tomorrow"})
    assert bad.status_code == 422


def test_audio_is_served_with_ranges(client, session):
    make_user(session, "interviewer")
    sign_in(client, "interviewer@example.com")
    study = make_study(session)
    interview_id = re.search(r"/interviews/(\d+)", _upload(client, study.id).text).group(1)
    response = client.get(f"/interviews/{interview_id}/audio", headers={"Range": "bytes=0-99"})
    assert response.status_code == 206 and len(response.content) == 100


def test_admin_manages_users(client, session):
    make_user(session, "admin")
    sign_in(client, "admin@example.com")
    client.post("/admin/users", data={"email": "mgr@example.com", "password": "long password", "role": "manager"})
    page = client.get("/admin/users").text
    assert "mgr@example.com" in page
    duplicate = client.post("/admin/users", data={"email": "mgr@example.com", "password": "long password",
                                                  "role": "manager"})
    assert duplicate.status_code == 409 and "already exists" in duplicate.text


def test_unknown_pages_are_a_friendly_404(client, session):
    make_user(session, "admin")
    sign_in(client, "admin@example.com")
    response = client.get("/interviews/12345")
    assert response.status_code == 404 and "no interview #12345" in response.text


def test_analyst_reassigns_a_line_and_merges_speakers(client, session):
    from workbench.models import Speaker

    make_user(session, "analyst")
    sign_in(client, "analyst@example.com")
    study = make_study(session)
    interview_id = int(re.search(r"/interviews/(\d+)", _upload(client, study.id).text).group(1))
    first, second = session.exec(select(Speaker).where(Speaker.interview_id == interview_id)
                                 .order_by(Speaker.label)).all()
    segment = session.exec(select(TranscriptSegment).where(TranscriptSegment.speaker_id == first.id)
                           .order_by(TranscriptSegment.position)).first()
    page = client.get(f"/interviews/{interview_id}").text
    assert "Change speaker" in page and "Same voice as" in page

    moved = client.post(f"/interviews/{interview_id}/segments/{segment.id}/speaker",
                        headers={"HX-Request": "true"}, data={"speaker_id": str(second.id)})
    assert moved.status_code == 200 and second.display_name in moved.text
    session.refresh(segment)
    assert segment.speaker_id == second.id and segment.text == segment.asr_text

    missing = client.post(f"/interviews/{interview_id}/segments/{segment.id}/speaker", data={"speaker_id": "999999"})
    assert missing.status_code == 404
    same = client.post(f"/interviews/{interview_id}/speakers/{first.id}/merge", data={"into": str(first.id)})
    assert same.status_code == 400 and "different speaker" in same.text

    merged = client.post(f"/interviews/{interview_id}/speakers/{second.id}/merge", data={"into": str(first.id)},
                         follow_redirects=False)
    assert merged.status_code == 303
    session.expire_all()
    assert [s.id for s in session.exec(select(Speaker).where(Speaker.interview_id == interview_id))] == [first.id]
    owners = {s.speaker_id for s in session.exec(select(TranscriptSegment)
                                                 .where(TranscriptSegment.interview_id == interview_id))}
    assert owners == {first.id}
    from workbench.models import CodedUnit

    units = session.exec(select(CodedUnit).where(CodedUnit.interview_id == interview_id)).all()
    # The merge codes the interview again: every line is now the interviewer's, so no answer is left to code.
    assert first.role == "interviewer" and units == []
    from workbench.models import Job

    coding = session.exec(select(Job).where(Job.kind == "code", Job.interview_id == interview_id)).all()
    assert len(coding) == 3 and all(j.status.value == "done" for j in coding)  # upload, reassign, merge
    assert "Same voice as" not in client.get(f"/interviews/{interview_id}").text
