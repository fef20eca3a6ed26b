"""The report, its drill-down, customer stories and the close-the-loop list in the workbench."""

from __future__ import annotations

import io
import re

import pytest
from sqlmodel import select

from tests.factories import bearer, make_study, make_user, sign_in, wav_bytes
from workbench.models import Code, CodedUnit, Interview, LoopStatus, StoryRecord


def upload(client, study_id: int, seed: int, segment: str) -> int:
    response = client.post(f"/studies/{study_id}/interviews", headers={"HX-Request": "true"},
                           files={"file": (f"call{seed}.wav", wav_bytes(2.0, seed=seed), "audio/wav")},
                           data={"account": f"Account {seed}", "segment": segment, "region": "North",
                                 "interview_date": f"2026-0{seed % 3 + 7}-1{seed}"})
    assert response.status_code == 201, response.text
    return int(re.search(r"/interviews/(\d+)", response.text).group(1))


@pytest.fixture
def study_with_interviews(client, session):
    make_user(session, "analyst")
    sign_in(client, "analyst@example.com")
    study = make_study(session)
    ids = [upload(client, study.id, seed, "SME" if seed % 2 else "Enterprise") for seed in range(3)]
    return study, ids


def test_web_report_filters_by_segment_and_links_to_quotes(client, session, study_with_interviews):
    study, _ids = study_with_interviews
    page = client.get(f"/studies/{study.id}/report").text
    assert "Account 0" in page and "Account 1" in page and "Download PDF" in page
    assert "<svg" in page and f"/studies/{study.id}/report/quotes" in page
    fragment = client.get(f"/studies/{study.id}/report?segment=SME",
                          headers={"HX-Request": "true", "HX-Target": "report"}).text
    assert fragment.lstrip().startswith('<div id="report"') and "<html" not in fragment
    assert "Account 1" in fragment and "Account 0" not in fragment and "segment=SME" in fragment
    bad = client.get(f"/studies/{study.id}/report?date_from=yesterday")
    assert bad.status_code == 400 and "date like" in bad.text

    code = session.exec(select(Code).join(CodedUnit, CodedUnit.id > 0).where(Code.study_id == study.id)).first()
    theme = re.search(r'/report/quotes\?theme=([^"&]+)', page)
    assert theme, "the report links themes to their quotes"
    quotes = client.get(f"/studies/{study.id}/report/quotes?theme={theme.group(1)}")
    assert quotes.status_code == 200 and "Quotes behind theme" in quotes.text and "“" in quotes.text
    assert code is not None


def test_report_pdf_has_the_sections_and_the_accounts(client, session, study_with_interviews):
    from pypdf import PdfReader

    study, _ids = study_with_interviews
    response = client.get(f"/studies/{study.id}/report.pdf?segment=Enterprise")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) >= 3 and study.name in text and "Account 0" in text and "Account 1" not in text


def test_story_goes_from_draft_to_approved_and_only_then_reaches_managers(client, session, study_with_interviews):
    study, ids = study_with_interviews
    interview_id = ids[0]
    draft = client.get(f"/interviews/{interview_id}/story")
    assert draft.status_code == 200 and "Approve" in draft.text and "Account 0" in draft.text
    saved = client.post(f"/interviews/{interview_id}/story",
                        data={"text": "First paragraph written by the analyst.\n\nSecond one."},
                        follow_redirects=False)
    assert saved.status_code == 303
    record = session.exec(select(StoryRecord).where(StoryRecord.interview_id == interview_id)).one()
    assert record.status == "draft" and record.data["paragraphs"][0] == "First paragraph written by the analyst."
    empty = client.post(f"/interviews/{interview_id}/story", data={"text": "  \n\n "})
    assert empty.status_code == 400
    unit = session.exec(select(CodedUnit).where(CodedUnit.interview_id == interview_id)).first()
    pinned = client.post(f"/interviews/{interview_id}/story", data={"quotes": "1", "pinned": str(unit.id)},
                         follow_redirects=False)
    assert pinned.status_code == 303
    foreign = client.post(f"/interviews/{interview_id}/story", data={"quotes": "1", "pinned": "999999"})
    assert foreign.status_code == 400

    make_user(session, "manager")
    sign_in(client, "manager@example.com")
    assert client.get(f"/interviews/{interview_id}/story").status_code == 404
    assert "Account 0" not in client.get(f"/studies/{study.id}/stories").text
    assert client.post(f"/interviews/{interview_id}/story/status", data={"status": "approved"}).status_code == 403

    sign_in(client, "analyst@example.com")
    assert client.post(f"/interviews/{interview_id}/story/status", data={"status": "approved"},
                       follow_redirects=False).status_code == 303
    sign_in(client, "manager@example.com")
    page = client.get(f"/interviews/{interview_id}/story")
    assert page.status_code == 200 and "First paragraph written by the analyst." in page.text
    assert "Edit the text" not in page.text
    assert "Account 0" in client.get(f"/studies/{study.id}/stories").text
    pdf = client.get(f"/interviews/{interview_id}/story.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    report = client.get(f"/studies/{study.id}/report").text
    assert "First paragraph written by the analyst." in report  # approved stories reach the report


def test_close_the_loop_status_is_kept_and_managers_cannot_change_it(client, session, study_with_interviews):
    study, ids = study_with_interviews
    response = client.post(f"/studies/{study.id}/loop/{ids[1]}", headers={"HX-Request": "true"},
                           data={"status": "contacted"})
    assert response.status_code == 200 and 'value="contacted" selected' in response.text
    assert session.exec(select(LoopStatus).where(LoopStatus.interview_id == ids[1])).one().status == "contacted"
    assert client.post(f"/studies/{study.id}/loop/{ids[1]}", data={"status": "forgotten"}).status_code == 400
    other = make_study(session, name="Other")
    assert client.post(f"/studies/{other.id}/loop/{ids[1]}", data={"status": "open"}).status_code == 404
    make_user(session, "manager")
    sign_in(client, "manager@example.com")
    assert client.post(f"/studies/{study.id}/loop/{ids[1]}", data={"status": "resolved"}).status_code == 403


def test_a_quote_plays_its_own_stretch_of_audio(client, session, study_with_interviews):
    study, ids = study_with_interviews
    unit = session.exec(select(CodedUnit).where(CodedUnit.interview_id == ids[0])).first()
    clip = client.get(f"/studies/{study.id}/units/{unit.id}/clip")
    assert clip.status_code == 200 and clip.headers["content-type"] == "audio/wav"
    assert clip.content[:4] == b"RIFF" and 1000 < len(clip.content) < 2.0 * 16000 * 2
    assert client.get(f"/studies/{study.id}/units/999999/clip").status_code == 404


def test_report_of_a_study_without_coded_interviews_says_so(client, session):
    make_user(session, "manager")
    sign_in(client, "manager@example.com")
    study = make_study(session, name="Empty study")
    page = client.get(f"/studies/{study.id}/report")
    assert page.status_code == 200 and "Empty study" in page.text
    assert client.get(f"/studies/{study.id}/report.pdf").content.startswith(b"%PDF")


def test_cli_report_and_story(client, session, study_with_interviews, settings, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from workbench.cli import app
    from workbench.settings import get_settings

    study, ids = study_with_interviews
    monkeypatch.setenv("PERCHE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("PERCHE_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        out = tmp_path / "report.pdf"
        result = runner.invoke(app, ["report", str(study.id), "--pdf", str(out), "--html", str(tmp_path / "r.html"),
                                     "--filter", "segment=SME", "--lang", "it"])
        assert result.exit_code == 0, result.output
        assert out.read_bytes().startswith(b"%PDF") and 'lang="it"' in (tmp_path / "r.html").read_text()
        bad = runner.invoke(app, ["report", str(study.id), "--pdf", str(out), "--filter", "colour=red"])
        assert bad.exit_code == 2 and "key=value" in bad.output
        missing = runner.invoke(app, ["report", "999", "--pdf", str(out)])
        assert missing.exit_code == 1 and "no study" in missing.output
        story = runner.invoke(app, ["story", str(ids[0]), "--pdf", str(tmp_path / "story.pdf")])
        assert story.exit_code == 0 and "draft" in story.output
        assert (tmp_path / "story.pdf").read_bytes().startswith(b"%PDF")
    finally:
        get_settings.cache_clear()
    assert session.exec(select(Interview)).all()


def test_report_api_returns_the_web_reports_values_with_its_filters(client, session, study_with_interviews):
    study, ids = study_with_interviews
    headers = bearer(session, make_user(session, "manager"))
    data = client.get(f"/api/studies/{study.id}/report", headers=headers).json()
    sme = client.get(f"/api/studies/{study.id}/report?segment=SME", headers=headers)
    assert sme.status_code == 200, sme.text
    filtered = sme.json()
    assert filtered["filters"] == {"segment": "SME"} and data["filters"] == {}
    assert filtered["summary"]["interviews"] == 1 < data["summary"]["interviews"] == 3
    assert filtered["summary"]["interview_ids"] == [str(ids[1])]
    rating = data["summary"]["rating"]
    assert rating["indicative"] is (0 < rating["rated"] < 5) and "interval" in rating
    assert data["indicative_below"] == 5 and 0 < data["confidence_threshold"] < 1
    web = client.get(f"/studies/{study.id}/report?segment=SME", headers={"HX-Request": "true", "HX-Target": "report"})
    assert "Account 1" in web.text and "Account 0" not in web.text  # the same interview behind both
    assert client.get(f"/api/studies/{study.id}/report?date_from=soon", headers=headers).status_code == 422
    assert client.get(f"/api/studies/{study.id}/report?lang=fr", headers=headers).status_code == 422
    assert client.get(f"/api/studies/{study.id}/report?lang=it", headers=headers).json()["language"] == "it"
    assert client.get("/api/studies/999999/report", headers=headers).status_code == 404
    spec = client.get("/openapi.json").json()["paths"]["/api/studies/{study_id}/report"]["get"]
    assert {"segment", "region", "date_from", "date_to", "lang"} <= {p["name"] for p in spec["parameters"]}


def test_report_pages_follow_the_language_switch(client, session, study_with_interviews):
    study, _ = study_with_interviews
    english = client.get(f"/studies/{study.id}/report?lang=en").text
    italian = client.get(f"/studies/{study.id}/report?lang=it&segment=SME").text
    assert "Download PDF" in english and "Scarica il PDF" not in english
    assert "Scarica il PDF" in italian and "Download PDF" not in italian and "Sintesi" in italian
    assert f"/studies/{study.id}/report.pdf?segment=SME&amp;lang=it" in italian
    assert client.get(f"/studies/{study.id}/report?lang=de").status_code == 400
    theme = re.search(r'/report/quotes\?[^"]*theme=([^"&]+)', italian)
    assert theme, "the Italian report links themes to their quotes"
    quotes = client.get(f"/studies/{study.id}/report/quotes?theme={theme.group(1)}&lang=it").text
    assert "Citazioni dietro il tema" in quotes and "Torna al report" in quotes
    assert "Back to the report" not in quotes and "Quotes behind" not in quotes
    pdf = client.get(f"/studies/{study.id}/report.pdf?lang=it")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
