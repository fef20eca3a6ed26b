"""Interviews from transcripts made elsewhere: the upload form, the API and the CLI, with and without audio."""

from __future__ import annotations

import hashlib
import io
import re

import docx
import pytest
from sqlmodel import select

from tests.factories import bearer, make_study, make_user, sign_in, wav_bytes
from workbench.models import (
    CodedUnit,
    Interview,
    Job,
    JobStatus,
    Recording,
    Speaker,
    TranscriptSegment,
)

TIMED = ("[00:00:00] Interviewer: How is the relationship going?\n"
         "[00:00:01] Laura Bianchi: Deliveries are always late and support never answers, which is frustrating.\n"
         "[00:00:02] Interviewer: How likely are you to recommend us?\n"
         "[00:00:03] Laura Bianchi: I would say a six, because the prices are good.\n")
BROKEN = "[00:00:00] Interviewer: Hello.\n[00:00:01] Laura: Hi.\n[00:0x:02] Interviewer: Bye.\n"


def _docx(paragraphs) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


UNTIMED_DOCX = _docx(["Interviewer: How is the relationship going?",
                      "Laura Bianchi: Invoices arrive late and often with errors.",
                      "Interviewer: How likely are you to recommend us?",
                      "Laura Bianchi: A six, I would say."])


def _nothing_left(session, settings):
    session.expire_all()
    assert session.exec(select(Interview)).all() == []
    assert session.exec(select(Recording)).all() == []
    assert session.exec(select(Job)).all() == []
    assert [p for p in settings.recordings_dir.rglob("*") if p.is_file()] == []
    assert list((settings.data_dir / "tmp").iterdir()) == []


def _coded(session, interview_id: int) -> list[CodedUnit]:
    session.expire_all()
    jobs = session.exec(select(Job).where(Job.interview_id == interview_id, Job.kind == "code")).all()
    assert [j.status for j in jobs] == [JobStatus.done]
    return list(session.exec(select(CodedUnit).where(CodedUnit.interview_id == interview_id)))


# --- the upload form ---------------------------------------------------------------------------------

@pytest.fixture
def form(client, session):
    make_user(session, "interviewer")
    sign_in(client, "interviewer@example.com")
    study = make_study(session)

    def send(files, **data):
        return client.post(f"/studies/{study.id}/interviews", headers={"HX-Request": "true"}, files=files,
                           data={"account": "Rossi Srl", **data})

    return study, send


def test_the_form_offers_a_transcript(client, form):
    study, _ = form
    page = client.get(f"/studies/{study.id}/upload").text
    assert 'name="transcript"' in page and 'value="transcript"' in page and 'name="file"' in page


def test_a_transcript_without_audio_is_imported_coded_and_shown(client, session, form):
    _, send = form
    response = send({"transcript": ("rossi.txt", TIMED.encode(), "text/plain")}, source="transcript")
    assert response.status_code == 201, response.text
    assert "Imported" in response.text and "rossi.txt" in response.text
    interview_id = int(re.search(r"/interviews/(\d+)", response.text).group(1))
    interview = session.get(Interview, interview_id)
    assert interview.transcript_file == "rossi.txt" and interview.status.value == "transcribed"
    assert interview.transcript_language == "en" and interview.account == "Rossi Srl"
    assert session.exec(select(Recording)).all() == []
    assert any("late" in unit.text for unit in _coded(session, interview_id))

    page = client.get(f"/interviews/{interview_id}")
    assert page.status_code == 200
    assert "Transcript imported from <strong>rossi.txt</strong>" in page.text
    assert "<audio" not in page.text and "data-seek=" not in page.text
    assert "Laura Bianchi" in page.text and '<span class="time">0:03</span>' in page.text
    assert client.get(f"/interviews/{interview_id}/audio").status_code == 404


def test_a_transcript_with_its_audio_gets_the_player(client, session, form):
    _, send = form
    response = send({"transcript": ("rossi.txt", TIMED.encode(), "text/plain"),
                     "file": ("rossi.wav", wav_bytes(4.0), "audio/wav")}, source="transcript")
    assert response.status_code == 201, response.text
    interview_id = int(re.search(r"/interviews/(\d+)", response.text).group(1))
    recording = session.exec(select(Recording)).one()
    assert recording.interview_id == interview_id and recording.original_filename == "rossi.wav"
    assert _coded(session, interview_id)
    page = client.get(f"/interviews/{interview_id}").text
    assert f'src="/interviews/{interview_id}/audio"' in page and 'data-seek="3.0"' in page
    assert "Transcript imported from rossi.txt" in page
    assert client.get(f"/interviews/{interview_id}/audio").status_code == 200


def test_an_untimed_docx_shows_no_clock_and_speakers_can_be_corrected(client, session, form, settings):
    _, send = form
    response = send({"transcript": ("rossi.docx", UNTIMED_DOCX, "application/octet-stream")}, source="transcript")
    assert response.status_code == 201, response.text
    interview_id = int(re.search(r"/interviews/(\d+)", response.text).group(1))
    segments = session.exec(select(TranscriptSegment).where(TranscriptSegment.interview_id == interview_id)
                            .order_by(TranscriptSegment.position)).all()
    assert [(s.start, s.end) for s in segments] == [(None, None)] * 4
    page = client.get(f"/interviews/{interview_id}").text
    assert "data-start=" not in page and "0:00" not in page
    speakers = {s.display_name: s for s in session.exec(select(Speaker).where(Speaker.interview_id == interview_id))}
    assert {name: s.role for name, s in speakers.items()} == {"Interviewer": "interviewer",
                                                             "Laura Bianchi": "respondent"}

    # an analyst renames a speaker, changes a role and gives a line to the other speaker, as for any interview
    make_user(session, "analyst")
    sign_in(client, "analyst@example.com")
    laura = speakers["Laura Bianchi"]
    client.post(f"/interviews/{interview_id}/speakers/{laura.id}", data={"display_name": "Laura B.",
                                                                         "role": "respondent"})
    moved = client.post(f"/interviews/{interview_id}/segments/{segments[3].id}/speaker",
                        data={"speaker_id": str(speakers["Interviewer"].id)}, headers={"HX-Request": "true"})
    assert moved.status_code == 200
    session.expire_all()
    assert session.get(Speaker, laura.id).display_name == "Laura B."
    assert session.get(TranscriptSegment, segments[3].id).speaker_id == speakers["Interviewer"].id
    code_jobs = session.exec(select(Job).where(Job.interview_id == interview_id, Job.kind == "code")).all()
    assert len(code_jobs) == 2  # imported, then re-coded after the correction


def test_a_malformed_transcript_in_the_form_names_the_line(session, settings, form):
    _, send = form
    response = send({"transcript": ("broken.txt", BROKEN.encode(), "text/plain"),
                     "file": ("broken.wav", wav_bytes(2.0), "audio/wav")}, source="transcript")
    assert response.status_code == 422
    assert "line 3" in response.text and "[00:0x:02]" in response.text
    _nothing_left(session, settings)


def test_choosing_a_recording_ignores_a_transcript_left_in_the_form(session, form):
    _, send = form
    response = send({"transcript": ("rossi.txt", TIMED.encode(), "text/plain"),
                     "file": ("call.wav", wav_bytes(2.0), "audio/wav")}, source="recording")
    assert response.status_code == 201
    interview = session.exec(select(Interview)).one()
    assert interview.transcript_file == ""
    missing = send({}, source="transcript")
    assert missing.status_code == 400 and "transcript file" in missing.text


# --- the API -----------------------------------------------------------------------------------------

@pytest.fixture
def api(client, session):
    headers = bearer(session, make_user(session, "interviewer"))
    study = make_study(session)

    def send(files, headers=headers, **data):
        return client.post(f"/api/studies/{study.id}/interviews", headers=headers, files=files, data=data)

    return headers, send


def test_api_imports_a_transcript_and_codes_it(client, session, api):
    headers, send = api
    srt = ("1\n00:00:00,000 --> 00:00:01,000\n[Interviewer] How is the relationship going?\n\n"
           "2\n00:00:01,000 --> 00:00:04,500\n[Laura] Deliveries are always late, which is frustrating.\n")
    response = send({"transcript": ("call.srt", srt.encode(), "application/x-subrip")}, segment="SME")
    assert response.status_code == 202, response.text
    body = response.json()
    job = client.get(f"/api/jobs/{body['job_id']}", headers=headers).json()
    assert job["kind"] == "code" and job["status"] == "done"
    transcript = client.get(f"/api/interviews/{body['id']}/transcript", headers=headers).json()
    assert transcript["duration"] == 4.5  # the last timestamp, as there is no recording
    assert [s["name"] for s in transcript["speakers"]] == ["Interviewer", "Laura"]
    assert transcript["segments"][1] == {"start": 1.0, "end": 4.5, "speaker": "SPEAKER_01", "overlap": False,
                                         "text": "Deliveries are always late, which is frustrating."}
    assert _coded(session, body["id"])


def test_api_without_coding_answers_201(session, settings, api):
    _, send = api
    settings.auto_code = False
    response = send({"transcript": ("call.csv", b"speaker,start,end,text\nA,0,1,Hello\nB,1,2,Hi\n", "text/csv")})
    assert response.status_code == 201 and set(response.json()) == {"id"}
    assert session.exec(select(Job)).all() == []


def test_api_transcript_with_audio_takes_the_recording_duration(client, session, api):
    headers, send = api
    response = send({"transcript": ("call.txt", TIMED.encode(), "text/plain"),
                     "file": ("call.wav", wav_bytes(4.0, seed=3), "audio/wav")})
    assert response.status_code == 202, response.text
    transcript = client.get(f"/api/interviews/{response.json()['id']}/transcript", headers=headers).json()
    assert transcript["duration"] == pytest.approx(4.0, abs=0.05)


@pytest.mark.parametrize(("files", "expected"), [
    ({"transcript": ("broken.txt", BROKEN.encode(), "text/plain")}, "line 3"),
    ({"transcript": ("notes.docx", b"not a zip", "application/octet-stream")}, "not a Word .docx"),
    ({"transcript": ("turns.csv", b"speaker,text\nA,hi\n", "text/csv")}, "line 1"),
    ({"transcript": ("call.pdf", b"%PDF-1.4", "application/pdf")}, "Accepted: DOCX"),
    ({"transcript": ("empty.vtt", b"", "text/vtt")}, "empty"),
    ({"transcript": ("call.txt", TIMED.encode(), "text/plain"),  # runs to 0:00:03, the recording lasts 1 s...
      "file": ("short.wav", wav_bytes(0.5), "audio/wav")}, None),
])
def test_api_bad_transcripts_are_422_and_leave_nothing(session, settings, api, files, expected, monkeypatch):
    _, send = api
    monkeypatch.setattr("workbench.services.transcript_import.DURATION_SLACK_SECONDS", 1.0)
    response = send(files)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["status"] == 422 and (expected is None or expected in body["detail"]), body
    _nothing_left(session, settings)


def test_api_transcript_over_the_size_limit_is_413(session, settings, api, monkeypatch):
    _, send = api
    monkeypatch.setattr("workbench.services.transcript_import.MAX_TRANSCRIPT_BYTES", 100)
    response = send({"transcript": ("call.txt", TIMED.encode(), "text/plain"),
                     "file": ("call.wav", wav_bytes(2.0), "audio/wav")})
    assert response.status_code == 413 and "call.txt" in response.json()["detail"]
    _nothing_left(session, settings)


def test_the_same_transcript_twice_is_a_conflict_naming_its_interview(client, session, settings, api):
    headers, send = api
    first = send({"transcript": ("call.txt", TIMED.encode(), "text/plain")})
    assert first.status_code == 202, first.text
    interview_id = first.json()["id"]
    assert session.get(Interview, interview_id).transcript_sha256 == hashlib.sha256(TIMED.encode()).hexdigest()
    counts = {model: len(session.exec(select(model)).all()) for model in (Interview, Job, Recording, TranscriptSegment)}
    # the same bytes under another name, and with its audio this time: refused, nothing stored
    for files in ({"transcript": ("copy of call.txt", TIMED.encode(), "text/plain")},
                  {"transcript": ("call.txt", TIMED.encode(), "text/plain"),
                   "file": ("call.wav", wav_bytes(4.0, seed=5), "audio/wav")}):
        response = send(files)
        assert response.status_code == 409, response.text
        body = response.json()
        assert body["error"] == "Already imported" and body["link"] == f"/interviews/{interview_id}"
        assert f"already in the study as interview #{interview_id} ('call.txt')" in body["detail"]
        session.expire_all()
        assert {model: len(session.exec(select(model)).all()) for model in counts} == counts
    assert [p for p in settings.recordings_dir.rglob("*") if p.is_file()] == []
    assert list((settings.data_dir / "tmp").iterdir()) == []
    # another study may have it
    other = make_study(session, name="Other")
    response = client.post(f"/api/studies/{other.id}/interviews", headers=headers,
                           files={"transcript": ("call.txt", TIMED.encode(), "text/plain")})
    assert response.status_code == 202, response.text


def test_the_form_shows_a_duplicate_transcript_in_place(session, form):
    _, send = form
    assert send({"transcript": ("rossi.txt", TIMED.encode(), "text/plain")}, source="transcript").status_code == 201
    again = send({"transcript": ("rossi.txt", TIMED.encode(), "text/plain")}, source="transcript")
    assert again.status_code == 409 and "Already imported" in again.text and 'href="/interviews/' in again.text


def test_api_needs_a_file_or_a_transcript_and_the_upload_permission(client, session, api):
    _, send = api
    assert send({}, account="x").status_code == 400
    manager = bearer(session, make_user(session, "manager"))
    refused = send({"transcript": ("call.txt", TIMED.encode(), "text/plain")}, headers=manager)
    assert refused.status_code == 403


def test_openapi_documents_the_transcript_field(client):
    operation = client.get("/openapi.json").json()["paths"]["/api/studies/{study_id}/interviews"]["post"]
    schema = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert "transcript" in schema["properties"] and "file" in schema["properties"]
    assert {"201", "202", "413", "422"} <= set(operation["responses"])


# --- the CLI -----------------------------------------------------------------------------------------



def test_cli_imports_a_transcript_with_and_without_audio(cli, session, tmp_path):
    study = make_study(session)
    (tmp_path / "rossi.txt").write_text(TIMED)
    (tmp_path / "rossi.wav").write_bytes(wav_bytes(4.0))
    (tmp_path / "bianchi.docx").write_bytes(UNTIMED_DOCX)
    result = cli("upload", str(study.id), "--transcript", str(tmp_path / "rossi.txt"), str(tmp_path / "rossi.wav"),
                 "--meta", "account=Rossi", "--process")
    assert result.exit_code == 0, result.output
    assert "rossi.txt: interview #1 imported, with rossi.wav" in result.output
    result = cli("upload", str(study.id), "--transcript", str(tmp_path / "bianchi.docx"), "--process")
    assert result.exit_code == 0, result.output
    interviews = session.exec(select(Interview).order_by(Interview.id)).all()
    assert [(i.account, i.transcript_file) for i in interviews] == [("Rossi", "rossi.txt"), ("", "bianchi.docx")]
    assert [r.interview_id for r in session.exec(select(Recording))] == [interviews[0].id]
    assert _coded(session, interviews[0].id) and _coded(session, interviews[1].id)


def test_cli_reports_a_malformed_transcript_and_bad_arguments(cli, session, settings, tmp_path):
    study = make_study(session)
    (tmp_path / "broken.txt").write_text(BROKEN)
    result = cli("upload", str(study.id), "--transcript", str(tmp_path / "broken.txt"))
    assert result.exit_code == 1 and "line 3" in result.output
    two = cli("upload", str(study.id), "--transcript", str(tmp_path / "broken.txt"), "a.wav", "b.wav")
    assert two.exit_code == 2 and "at most one recording" in two.output
    assert cli("upload", str(study.id)).exit_code == 2
    assert "--transcript" in cli("upload", "--help").output
    _nothing_left(session, settings)


def test_study_report_and_quote_pages_work_without_a_recording(client, session, form):
    study, send = form
    response = send({"transcript": ("rossi.txt", TIMED.encode(), "text/plain")}, source="transcript")
    interview_id = int(re.search(r"/interviews/(\d+)", response.text).group(1))
    make_user(session, "analyst")
    sign_in(client, "analyst@example.com")
    units = _coded(session, interview_id)
    assert client.get(f"/studies/{study.id}").status_code == 200
    assert client.get(f"/studies/{study.id}/report").status_code == 200
    assert client.get(f"/interviews/{interview_id}/story").status_code == 200
    quotes = client.get(f"/studies/{study.id}/report/quotes", params={"unit": str(units[0].id)})
    assert quotes.status_code == 200 and units[0].text in quotes.text
    assert "data-clip=" not in quotes.text  # no audio, no play button
    clip = client.get(f"/studies/{study.id}/units/{units[0].id}/clip")
    assert clip.status_code == 404
