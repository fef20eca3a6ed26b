"""The study glossary in the workbench: edited by analysts, read by everyone, used by the transcription job."""

from sqlmodel import select

from tests.factories import make_interview, make_study, make_user, sign_in, wav_bytes
from tests.fakes import FakeEngine
from workbench import jobs
from workbench.models import Study, TranscriptSegment
from workbench.services import glossary as glossary_service

HTMX = {"HX-Request": "true"}


def test_an_analyst_saves_the_glossary_and_everyone_sees_it(client, session, analyst):
    study = make_study(session)
    response = client.post(f"/studies/{study.id}/glossary", headers=HTMX,
                           data={"glossary": "Edilnord: Edil Nord, edilnor\n# our own name\nSirio Logistica\n"})
    assert response.status_code == 200, response.text
    assert 'id="glossary"' in response.text and "Glossary saved (2 terms)" in response.text
    session.refresh(study)
    assert study.glossary == [{"canonical": "Edilnord", "variants": ["Edil Nord", "edilnor"]},
                              {"canonical": "Sirio Logistica", "variants": []}]
    page = client.get(f"/studies/{study.id}")
    assert "<strong>Edilnord</strong>" in page.text and "heard as Edil Nord, edilnor" in page.text
    assert f'hx-post="/studies/{study.id}/glossary"' in page.text
    assert "Edilnord: Edil Nord, edilnor\nSirio Logistica</textarea>" in page.text

    # without htmx the form posts and comes back to the study page
    plain = client.post(f"/studies/{study.id}/glossary", data={"glossary": "Valbrembo"}, follow_redirects=False)
    assert plain.status_code == 303 and plain.headers["location"] == f"/studies/{study.id}#glossary"
    session.refresh(study)
    assert study.glossary == [{"canonical": "Valbrembo", "variants": []}]


def test_bad_lines_are_refused_with_their_numbers_and_nothing_is_saved(client, session, analyst):
    study = make_study(session)
    glossary_service.set_glossary(session, study_id=study.id, text="Edilnord")
    response = client.post(f"/studies/{study.id}/glossary", headers=HTMX,
                           data={"glossary": "Valbrembo\n: edil\nSirio: serio\nvalbrembo"})
    assert response.status_code == 422
    assert "Nothing was saved" in response.text
    assert "Line 2: nothing before" in response.text
    assert "Line 3: &#39;serio&#39; is an everyday word" in response.text
    assert "Line 4: &#39;valbrembo&#39; is already on line 1" in response.text
    session.expire_all()
    assert session.get(Study, study.id).glossary == [{"canonical": "Edilnord", "variants": []}]
    api = client.post(f"/studies/{study.id}/glossary", headers={"Accept": "application/json"},
                      data={"glossary": "x" * 25_000})
    assert api.status_code == 422 and "keep it under" in api.json()["detail"]


def test_interviewers_see_the_glossary_but_cannot_change_it(client, session):
    study = make_study(session)
    glossary_service.set_glossary(session, study_id=study.id, text="Edilnord: Edil Nord")
    make_user(session, "interviewer")
    sign_in(client, "interviewer@example.com")
    page = client.get(f"/studies/{study.id}")
    assert "<strong>Edilnord</strong>" in page.text
    assert "/glossary" not in page.text and "Edit the glossary" not in page.text
    response = client.post(f"/studies/{study.id}/glossary", headers=HTMX, data={"glossary": "Other"})
    assert response.status_code == 403
    session.expire_all()
    assert session.get(Study, study.id).glossary == [{"canonical": "Edilnord", "variants": ["Edil Nord"]}]


def test_the_job_decodes_with_the_studys_hints_and_respells_the_transcript(session, settings):
    study = make_study(session, language="en")
    # the fake engine says "...because the account manager always answers."
    glossary_service.set_glossary(session, study_id=study.id, text="Acme Care: account manager\nSirio Logistics")
    meta = {"account": "Edilnord Forniture S.r.l.", "respondent_name": "Laura Bianchi", "product_line": "Road freight"}
    interview, job = make_interview(session, settings, study, meta)
    FakeEngine.hints_seen.clear()
    jobs.run_job(settings, job.id)

    (hints,) = FakeEngine.hints_seen
    assert hints.prompt == ("In this interview we talk about Acme Care, Sirio Logistics, Edilnord Forniture, "
                            "Laura Bianchi and Road freight. How is the relationship going? "
                            "How likely are you to recommend us?")
    assert hints.hotwords is None
    texts = [s.text for s in session.exec(select(TranscriptSegment).where(
        TranscriptSegment.interview_id == interview.id).order_by(TranscriptSegment.start))]
    assert "I would say an eight, because the Acme Care always answers." in texts
    assert not any("account manager" in t for t in texts)


def test_a_study_with_no_guide_glossary_or_names_decodes_without_hints(session, settings):
    study = Study(name="Bare", language="auto")
    session.add(study)
    session.commit()
    _, job = make_interview(session, settings, study, seed=3)
    FakeEngine.hints_seen.clear()
    jobs.run_job(settings, job.id)
    assert FakeEngine.hints_seen == [None]


def test_perche_transcribe_takes_a_glossary_file(settings, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from workbench.cli import app
    from workbench.settings import get_settings

    for name, value in (("PERCHE_DATA_DIR", str(settings.data_dir)), ("PERCHE_DATABASE_URL", settings.database_url),
                        ("PERCHE_ASR_ENGINE", settings.asr_engine)):
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    audio = tmp_path / "call.wav"
    audio.write_bytes(wav_bytes(4.0))
    terms = tmp_path / "glossary.txt"
    terms.write_text("Acme Care: account manager\n", encoding="utf-8")
    runner = CliRunner()
    try:
        FakeEngine.hints_seen.clear()
        result = runner.invoke(app, ["transcribe", str(audio), "--no-diarize", "--language", "en",
                                     "--glossary", str(terms)])
        assert result.exit_code == 0, result.output
        assert "because the Acme Care always answers" in result.output
        (hints,) = FakeEngine.hints_seen
        assert hints.prompt == "In this interview we talk about Acme Care." and hints.hotwords is None

        terms.write_text("Acme Care\n: orphan\n", encoding="utf-8")
        bad = runner.invoke(app, ["transcribe", str(audio), "--glossary", str(terms)])
        assert bad.exit_code == 2 and "Line 2: nothing before ':'" in " ".join(bad.output.split())
        missing = runner.invoke(app, ["transcribe", str(audio), "--glossary", str(tmp_path / "none.txt")])
        assert missing.exit_code == 2 and "There is no glossary file" in missing.output
    finally:
        get_settings.cache_clear()


def test_no_prompt_reaches_an_engine_without_voice_activity_filtering(session, settings):
    study = make_study(session, language="en")
    glossary_service.set_glossary(session, study_id=study.id, text="Acme Care: account manager")
    interview, job = make_interview(session, settings, study, seed=5)
    FakeEngine.hints_seen.clear()
    jobs.run_job(settings.model_copy(update={"asr_vad": False}), job.id)
    assert FakeEngine.hints_seen == [None]
    # the spelling is still fixed after decoding
    texts = [s.text for s in session.exec(select(TranscriptSegment).where(
        TranscriptSegment.interview_id == interview.id))]
    assert any("the Acme Care always answers" in t for t in texts)
