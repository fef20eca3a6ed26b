"""Redaction in reports, stories, quote pages and quote clips.

A study that redacts personal data holds one interview, imported with its recording and coded by the
real coding job (the fake embedder): a respondent who gives a colleague's name and mobile number in
one answer and an e-mail address in another, and an approved story whose analyst's prose repeats
them. Managers (no `view_personal_data`) must find placeholders and never an original in the report
(web, PDF, API), the quotes behind it, the stories (web, PDF, API), nor hear the number in a clip.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
import soundfile
from fastapi.testclient import TestClient
from sqlmodel import select

from tests.factories import bearer, make_study, make_user, sign_in, wav_bytes
from tests.storytelling.pdf_text import squash
from workbench import storage
from workbench.jobs import enqueue
from workbench.models import CodedUnit, Interview, Role, StoryRecord, TranscriptSegment, User
from workbench.services import interviews as interview_service
from workbench.services import reports as report_service
from workbench.services.redaction import Redactor
from workbench.services.transcript_import import import_transcript

PHONE = "+39 347 123 4567"
EMAIL = "laura.bianchi@example.com"
COLLEAGUE = "Marco Verdi"
RESPONDENT = "Laura Bianchi"
INTERVIEWER = "Paolo Neri"
ACCOUNT = "Acme Logistics"
ROLE = "Head of logistics"
TRANSCRIPT = (
    "[00:00:00] Interviewer: How is the relationship going?\n"
    f"[00:00:04] {RESPONDENT}: Deliveries are always late and the invoices are wrong every single month. "
    f"Call my colleague {COLLEAGUE} on {PHONE} about the wrong invoices.\n"
    "[00:00:12] Interviewer: How likely are you to recommend us?\n"
    f"[00:00:15] {RESPONDENT}: I would say a six, because the prices are good but the service is slow. "
    f"Write to {EMAIL} for the contract renewal.\n"
    "[00:00:21] Interviewer: Thank you.\n"
)
PROSE = (f"{RESPONDENT} at {ACCOUNT} is unhappy with late deliveries and wrong invoices. "
         f"She asked us to call {COLLEAGUE} on {PHONE} or to write to {EMAIL}. {INTERVIEWER} led the call.")
ORIGINALS = (PHONE, "347 123 4567", "4567", EMAIL, "example.com", COLLEAGUE, RESPONDENT, "Bianchi", "Verdi",
             INTERVIEWER, "Neri")
TONE = 220.0  # the recording: a 220 Hz tone standing in for speech


def originals_in(body: str | bytes) -> list[str]:
    text = squash(body.decode("utf-8", "replace") if isinstance(body, bytes) else body)
    return [value for value in ORIGINALS if value in text]


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return squash(" ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages))


def spread_words(segment: TranscriptSegment) -> list[dict]:
    """Word timings as the engine gives them: the line's words spread evenly over its time."""
    words = segment.text.split()
    step = (segment.end - segment.start) / len(words)
    return [{"start": round(segment.start + i * step, 3), "end": round(segment.start + (i + 1) * step, 3),
             "word": f" {w}", "probability": 0.9} for i, w in enumerate(words)]


def import_interview(session, settings, study, respondent: str = RESPONDENT, *, transcript: str = TRANSCRIPT,
                     role: str = ROLE) -> Interview:
    """The transcript and its 24 s recording; the first answer gets word timings, the second none."""
    meta = interview_service.parse_meta({"account": ACCOUNT, "respondent_name": respondent, "respondent_role": role,
                                         "interviewer_name": INTERVIEWER, "segment": "SME"})
    audio = wav_bytes(24.0, freq=TONE, seed=sum(map(ord, respondent)))
    staged = storage.stage_upload(settings, io.BytesIO(audio), "call.wav")
    interview, jobs = import_transcript(session, settings, study=study, filename="call.txt",
                                        data=transcript.replace(RESPONDENT, respondent).encode(),
                                        meta=meta, created_by=None, staged_audio=staged)
    line = session.exec(select(TranscriptSegment).where(TranscriptSegment.interview_id == interview.id,
                                                        TranscriptSegment.text.contains(PHONE))).one()
    line.words = spread_words(line)
    session.add(line)
    session.commit()
    enqueue(settings, [job.id for job in jobs])
    session.expire_all()
    return session.get(Interview, interview.id)


def unit_saying(session, interview_id: int, words: str) -> CodedUnit:
    session.expire_all()
    return session.exec(select(CodedUnit).where(CodedUnit.interview_id == interview_id,
                                                CodedUnit.text.contains(words))).one()


def signed_in(app, session, role: str) -> TestClient:
    if session.exec(select(User).where(User.role == Role(role))).first() is None:
        make_user(session, role)
    return sign_in(TestClient(app), f"{role}@example.com")


@pytest.fixture
def study(session, settings):
    """A study that redacts personal data, its coded interview, and the analyst's approved story."""
    study = make_study(session)
    interview = import_interview(session, settings, study)
    study.redact_personal_data = True
    session.add(study)
    session.commit()
    analyst = make_user(session, "analyst")
    report_service.save_story(session, interview=interview, paragraphs=[PROSE], pinned=None, user=analyst)
    report_service.set_story_status(session, interview=interview, status="approved", user=analyst)
    return study, interview


def amplitude(samples: np.ndarray, frequency: float, rate: int = 16000) -> float:
    """The amplitude of one frequency in `samples` (a single-bin Fourier transform)."""
    t = np.arange(len(samples)) / rate
    return float(2 * abs(np.mean(samples * np.exp(-2j * np.pi * frequency * t))))


def clip_of(client: TestClient, study_id: int, unit_id: int) -> np.ndarray:
    response = client.get(f"/studies/{study_id}/units/{unit_id}/clip")
    assert response.status_code == 200, response.text
    samples, rate = soundfile.read(io.BytesIO(response.content), dtype="float32")
    assert rate == 16000
    return samples


# --- what managers read -------------------------------------------------------------------------------

def test_managers_read_the_report_with_placeholders_and_analysts_with_the_originals(app, session, study):
    study, _ = study
    manager, analyst = signed_in(app, session, "manager"), signed_in(app, session, "analyst")
    seen = analyst.get(f"/studies/{study.id}/report").text
    assert {PHONE, EMAIL, COLLEAGUE, RESPONDENT} <= set(originals_in(seen))

    page = manager.get(f"/studies/{study.id}/report")
    assert page.status_code == 200
    assert originals_in(page.text) == []
    assert "[NAME]" in page.text and "[PHONE]" in page.text and "[EMAIL]" in page.text and ACCOUNT in page.text
    # interviewers are people too: no filter by their names
    assert 'name="interviewer"' not in page.text and 'name="interviewer"' in seen
    refused = manager.get(f"/studies/{study.id}/report?interviewer={INTERVIEWER}")
    assert refused.status_code == 400 and "cannot be filtered by interviewer" in refused.text

    pdf = manager.get(f"/studies/{study.id}/report.pdf")
    assert pdf.status_code == 200
    text = pdf_text(pdf.content)
    assert originals_in(text) == [] and "[PHONE]" in text and ACCOUNT in text
    assert PHONE in pdf_text(analyst.get(f"/studies/{study.id}/report.pdf").content)


def test_the_report_api_redacts_for_a_manager_token(client, session, study):
    study, _ = study
    manager = make_user(session, "manager")
    analyst = session.exec(select(User).where(User.role == Role.analyst)).one()
    data = client.get(f"/api/studies/{study.id}/report", headers=bearer(session, manager))
    assert data.status_code == 200, data.text
    assert originals_in(data.text) == [] and "[PHONE]" in data.text
    loop = data.json()["close_the_loop"]
    assert loop and all(item["respondent"] == ROLE and item["account"] == ACCOUNT for item in loop)
    full = client.get(f"/api/studies/{study.id}/report", headers=bearer(session, analyst)).text
    assert PHONE in full and RESPONDENT in full
    refused = client.get(f"/api/studies/{study.id}/report?interviewer=Paolo", headers=bearer(session, manager))
    assert refused.status_code == 400 and "interviewer" in refused.json()["detail"]


def test_placeholders_do_not_merge_people_in_the_reports_counts(client, session, settings, study):
    study, _ = study
    import_interview(session, settings, study, respondent="Giulia Rossi")  # a second person at the same account
    manager = make_user(session, "manager")
    data = client.get(f"/api/studies/{study.id}/report", headers=bearer(session, manager)).json()
    assert data["methodology"]["respondents"] == 2 and data["methodology"]["accounts"] == 1
    assert "Giulia" not in str(data) and "Rossi" not in str(data)


def test_the_quotes_behind_a_figure_are_redacted(app, session, study):
    study, interview = study
    phone_unit = unit_saying(session, interview.id, PHONE)
    email_unit = unit_saying(session, interview.id, EMAIL)
    manager, analyst = signed_in(app, session, "manager"), signed_in(app, session, "analyst")
    for unit, placeholder in ((phone_unit, "[PHONE]"), (email_unit, "[EMAIL]")):
        page = manager.get(f"/studies/{study.id}/report/quotes?unit={unit.id}")
        assert page.status_code == 200 and placeholder in page.text and ACCOUNT in page.text
        assert originals_in(page.text) == []
        assert unit.text in analyst.get(f"/studies/{study.id}/report/quotes?unit={unit.id}").text
    theme = manager.get(f"/studies/{study.id}/report/quotes?sentiment=negative")
    assert theme.status_code == 200 and originals_in(theme.text) == []


def test_stories_are_redacted_on_every_page_file_and_api(app, client, session, study):
    study, interview = study
    manager, analyst = signed_in(app, session, "manager"), signed_in(app, session, "analyst")
    listing = manager.get(f"/studies/{study.id}/stories").text
    assert ACCOUNT in listing and f"<td>{ROLE}</td>" in listing and originals_in(listing) == []
    assert RESPONDENT in analyst.get(f"/studies/{study.id}/stories").text

    story = manager.get(f"/interviews/{interview.id}/story")
    assert story.status_code == 200 and originals_in(story.text) == []
    assert "[NAME] at Acme Logistics is unhappy" in story.text and "on [PHONE] or to write to [EMAIL]" in story.text
    assert PROSE in analyst.get(f"/interviews/{interview.id}/story").text

    pdf = manager.get(f"/interviews/{interview.id}/story.pdf")
    assert pdf.status_code == 200 and originals_in(pdf_text(pdf.content)) == []
    assert PHONE in pdf_text(analyst.get(f"/interviews/{interview.id}/story.pdf").content)

    token = bearer(session, make_user(session, "manager", email="api-manager@example.com"))
    stories = client.get(f"/api/studies/{study.id}/stories", headers=token)
    assert stories.status_code == 200 and originals_in(stories.text) == []
    one = client.get(f"/api/stories/{stories.json()[0]['id']}", headers=token)
    assert one.status_code == 200 and originals_in(one.text) == [] and "[PHONE]" in one.json()["text"]
    analyst_user = session.exec(select(User).where(User.role == Role.analyst)).one()
    full = client.get(f"/api/stories/{stories.json()[0]['id']}", headers=bearer(session, analyst_user)).json()
    assert PROSE in full["text"]


def test_a_story_draft_is_built_from_redacted_answers(session, study):
    study, interview = study
    session.delete(session.exec(select(StoryRecord).where(StoryRecord.interview_id == interview.id)).one())
    session.commit()  # no analyst's version: the story is drafted afresh
    redaction = report_service.redaction_for(session, study=study, user=None, interview_ids=[interview.id])
    story, record = report_service.story_for(session, interview=interview, redaction=redaction)
    assert record is None and story.quotes and story.respondents == [ROLE]
    assert originals_in(repr(story.to_dict())) == []
    original, _ = report_service.story_for(session, interview=interview)
    assert original.respondents == [RESPONDENT]


def test_the_cli_writes_originals_unless_told_to_redact(session, settings, study, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from workbench.cli import app
    from workbench.settings import get_settings

    study, interview = study
    monkeypatch.setenv("PERCHE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("PERCHE_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        plain, redacted = tmp_path / "plain.html", tmp_path / "redacted.html"
        assert runner.invoke(app, ["report", str(study.id), "--html", str(plain)]).exit_code == 0
        result = runner.invoke(app, ["report", str(study.id), "--html", str(redacted), "--redact"])
        assert result.exit_code == 0, result.output
        assert PHONE in plain.read_text() and originals_in(redacted.read_text()) == []
        story = tmp_path / "story.html"
        assert runner.invoke(app, ["story", str(interview.id), "--html", str(story), "--redact"]).exit_code == 0
        assert originals_in(story.read_text()) == [] and "[PHONE]" in story.read_text()
        other = make_study(session, name="Not redacting")
        refused = runner.invoke(app, ["report", str(other.id), "--html", str(plain), "--redact"])
        assert refused.exit_code == 2 and "does not redact" in refused.output
    finally:
        get_settings.cache_clear()


# --- prose, placeholders and labels in the reader's language ------------------------------------------

ITALIAN = (
    "[00:00:00] Intervistatore: Come va il rapporto con noi?\n"
    f"[00:00:04] {RESPONDENT}: Il problema sono le consegne, arrivano sempre in ritardo e le fatture sono sbagliate "
    f"ogni mese. Chiami il mio collega {COLLEAGUE} al {PHONE} per le fatture sbagliate.\n"
    "[00:00:12] Intervistatore: Quanto è probabile che ci consiglierebbe?\n"
    f"[00:00:15] {RESPONDENT}: Direi un sei, perché i prezzi sono buoni ma il servizio è lento. "
    f"Scriva a {EMAIL} per il rinnovo del contratto.\n"
    "[00:00:21] Intervistatore: Grazie.\n"
)
ITALIAN_ROLE = "Responsabile acquisti"


@pytest.fixture
def mixed(session, settings):
    """A study in no one language ("auto") that redacts: an English and an Italian interview, each story
    approved by an analyst as storytelling drafted it."""
    study = make_study(session, name="Mixed", language="auto")
    english = import_interview(session, settings, study)
    italian = import_interview(session, settings, study, "Giulia Ferrari", transcript=ITALIAN, role=ITALIAN_ROLE)
    assert (english.transcript_language, italian.transcript_language) == ("en", "it")
    study.redact_personal_data = True
    session.add(study)
    session.commit()
    analyst = make_user(session, "analyst")
    for interview in (english, italian):
        report_service.set_story_status(session, interview=interview, status="approved", user=analyst)
    return study, english, italian


def test_a_drafted_story_reads_as_storytelling_writes_it_without_names(session, mixed):
    """An approved draft is storytelling's prose, not an analyst's: the manager reads what storytelling
    writes from the redacted answers, never the English name detector run over template sentences."""
    study, english, italian = mixed
    manager = make_user(session, "manager")
    stories = {}
    for interview in (english, italian):
        redaction = report_service.redaction_for(session, study=study, user=manager)
        stories[interview.transcript_language], record = report_service.story_for(
            session, interview=interview, redaction=redaction)
        assert record.status == "approved" and record.edited_at is None
    en, it = stories["en"], stories["it"]
    assert en.paragraphs[0] == ("Acme Logistics is one of our SME customers. "
                                "We spoke with a contact at the company (Head of logistics).")
    assert en.paragraphs[1] == ("Asked how likely they would be to recommend us, the respondent answered 6 out "
                                "of 10, which makes Acme Logistics a detractor, above all because “the prices are "
                                "good”.")
    assert it.paragraphs[0] == ("Acme Logistics è un cliente del segmento SME. "
                                "Abbiamo intervistato un referente dell'azienda (Responsabile acquisti).")
    assert it.paragraphs[1] == ("Il referente ci ha dato 6 su 10, un voto che colloca Acme Logistics tra i "
                                "detrattori, in particolare perché «i prezzi sono buoni».")
    for story in (en, it):
        prose = " ".join(story.paragraphs)
        assert "[NAME]" not in prose and "[NOME]" not in prose and originals_in(prose) == []
        assert re.search(r"\[\w+\]\s?(?:of|consegne|Cortesia)", prose) is None
    # quotes and the respondents line name the role, in the story's language
    assert {q.respondent for q in en.quotes} == {ROLE} and en.respondents == [ROLE]
    assert {q.respondent for q in it.quotes} == {ITALIAN_ROLE} and it.respondents == [ITALIAN_ROLE]


def test_an_analysts_prose_is_read_in_its_own_language_with_its_placeholders(app, session, mixed):
    _, english, italian = mixed
    analyst = session.exec(select(User).where(User.role == Role.analyst)).one()
    typed = {
        italian.id: (("Alla domanda su quanto ci consiglierebbe, Giulia Ferrari ha risposto sei. Il punto più "
                      f"dolente è «Tempi di consegna». Chiamare {COLLEAGUE} al {PHONE}."),
                     ("Alla domanda su quanto ci consiglierebbe, [NOME] ha risposto sei. Il punto più dolente è "
                      "«Tempi di consegna». Chiamare [NOME] al [TELEFONO].")),
        english.id: (f"Our Head of logistics, {RESPONDENT}, asked us to call {COLLEAGUE} on {PHONE}.",
                     "Our Head of logistics, [NAME], asked us to call [NAME] on [PHONE]."),
    }
    for interview in (english, italian):
        report_service.save_story(session, interview=interview, paragraphs=[typed[interview.id][0]], pinned=None,
                                  user=analyst)
        report_service.set_story_status(session, interview=interview, status="approved", user=analyst)
    manager = signed_in(app, session, "manager")
    for interview in (english, italian):
        page = manager.get(f"/interviews/{interview.id}/story")
        assert page.status_code == 200 and typed[interview.id][1] in page.text
        assert originals_in(page.text) == []
    italian_page = manager.get(f"/interviews/{italian.id}/story").text
    assert "[NAME]" not in italian_page and "[PHONE]" not in italian_page


def test_placeholders_are_in_the_reports_language(app, session, study):
    study, interview = study
    unit = unit_saying(session, interview.id, PHONE)
    manager = signed_in(app, session, "manager")
    italian = manager.get(f"/studies/{study.id}/report/quotes?unit={unit.id}&lang=it").text
    assert "[TELEFONO]" in italian and "[NOME]" in italian and "[PHONE]" not in italian
    english = manager.get(f"/studies/{study.id}/report/quotes?unit={unit.id}&lang=en").text
    assert "[PHONE]" in english and "[NAME]" in english and "[TELEFONO]" not in english
    report = manager.get(f"/studies/{study.id}/report?lang=it").text
    assert "[NOME]" in report and originals_in(report) == []  # in the quotes (the English story keeps [NAME])
    assert "[NOME]" not in manager.get(f"/studies/{study.id}/report?lang=en").text


def test_quotes_and_respondent_columns_name_the_role_where_names_are_hidden(app, session, settings, study):
    study, interview = study
    import_interview(session, settings, study, "Giulia Rossi", role="")  # no role: "Respondent"
    unit = unit_saying(session, interview.id, PHONE)
    manager, analyst = signed_in(app, session, "manager"), signed_in(app, session, "analyst")
    quotes = manager.get(f"/studies/{study.id}/report/quotes?sentiment=negative").text
    assert f"<strong>{ACCOUNT}</strong>, {ROLE}" in quotes and f"<strong>{ACCOUNT}</strong>, Respondent" in quotes
    assert "</strong>, [NAME]" not in quotes and "</strong> ," not in quotes
    assert f"<strong>{ACCOUNT}</strong>, {RESPONDENT}" in analyst.get(
        f"/studies/{study.id}/report/quotes?unit={unit.id}").text
    assert f"<td>{ROLE}</td>" in manager.get(f"/studies/{study.id}/stories").text
    assert f"{RESPONDENT}<br><small" in analyst.get(f"/studies/{study.id}").text


def test_a_drafted_storys_quotes_are_labelled_by_role_on_its_page(app, session, mixed):
    _, english, italian = mixed
    manager = signed_in(app, session, "manager")
    for interview, role in ((english, ROLE), (italian, ITALIAN_ROLE)):
        page = manager.get(f"/interviews/{interview.id}/story").text
        assert f'<span class="who">{role}</span>' in page and '<span class="who">[' not in page


def test_the_methodology_says_personal_data_was_replaced_for_the_manager_only(app, session, study):
    from storytelling.i18n import t

    study, _ = study
    manager, analyst = signed_in(app, session, "manager"), signed_in(app, session, "analyst")
    note = t("method_redacted", "en")
    assert note in squash(manager.get(f"/studies/{study.id}/report").text)
    assert t("method_redacted", "it") in squash(manager.get(f"/studies/{study.id}/report?lang=it").text)
    assert note in pdf_text(manager.get(f"/studies/{study.id}/report.pdf").content)
    assert note not in squash(analyst.get(f"/studies/{study.id}/report").text)
    assert "placeholders" not in pdf_text(analyst.get(f"/studies/{study.id}/report.pdf").content)


# --- what managers hear -------------------------------------------------------------------------------

def test_a_managers_clip_is_bleeped_over_the_phone_number_and_plays_normally_elsewhere(app, session, study):
    study, interview = study
    unit = unit_saying(session, interview.id, PHONE)
    line = session.get(TranscriptSegment, unit.segment_id)
    words = {w["word"].strip(): (w["start"], w["end"]) for w in line.words}
    start = max(0.0, unit.start - 0.3)
    number = (words["+39"][0] - start, words["4567"][1] - start)  # the phone number's words, in the clip
    call = (words["Call"][0] - start, words["my"][1] - start)  # words without personal data
    rate = 16000

    def part(samples, a, b):
        return samples[int(a * rate):int(b * rate)]

    manager = signed_in(app, session, "manager")
    heard = clip_of(manager, study.id, unit.id)
    inside = part(heard, number[0] + 0.01, number[1] - 0.01)
    assert amplitude(inside, TONE) < 0.01  # the recording is gone over the number
    assert amplitude(inside, report_service.BLEEP_HZ) == pytest.approx(report_service.BLEEP_LEVEL, abs=0.01)
    assert amplitude(part(heard, *call), TONE) == pytest.approx(0.3, abs=0.03)  # normal elsewhere
    assert amplitude(part(heard, *call), report_service.BLEEP_HZ) < 0.01
    # the colleague's name, two words before the number, is bleeped too
    name = (words["Marco"][0] - start + 0.01, words["Verdi"][1] - start - 0.01)
    assert amplitude(part(heard, *name), TONE) < 0.01

    analyst = signed_in(app, session, "analyst")
    original = clip_of(analyst, study.id, unit.id)
    assert amplitude(part(original, number[0], number[1]), TONE) == pytest.approx(0.3, abs=0.03)
    assert manager.get(f"/studies/{study.id}/units/{unit.id}/clip").headers["cache-control"] == "no-store"
    # the whole recording stays out of their reach: managers cannot open interviews at all
    assert manager.get(f"/interviews/{interview.id}/audio").status_code == 403
    assert analyst.get(f"/interviews/{interview.id}/audio").status_code == 200


def test_a_line_without_word_timings_is_bleeped_whole(app, session, study):
    study, interview = study
    unit = unit_saying(session, interview.id, EMAIL)
    line = session.get(TranscriptSegment, unit.segment_id)
    assert line.words == []  # imported without timings
    start = max(0.0, unit.start - 0.3)
    heard = clip_of(signed_in(app, session, "manager"), study.id, unit.id)
    whole = heard[int((line.start - start + 0.01) * 16000):int((min(line.end, unit.end) - start - 0.01) * 16000)]
    assert len(whole) > 16000 and amplitude(whole, TONE) < 0.01


def test_word_timings_place_a_span_only_on_the_line_the_engine_wrote():
    text = "Call me on 347 123 4567 please."
    words = [{"word": f" {w}", "start": i * 0.5, "end": i * 0.5 + 0.4} for i, w in enumerate(text.split())]
    line = TranscriptSegment(id=1, interview_id=1, position=0, start=0.0, end=3.5, text=text, asr_text=text,
                             words=words)
    redaction = Redactor(active=True, language="en")
    span = text.index("347"), text.index("4567") + 4
    redaction.spans = {1: [type("Span", (), {"start_char": span[0], "end_char": span[1], "entity": "PHONE",
                                             "status": "redacted"})()]}
    pad = report_service.BLEEP_PAD
    assert report_service.redacted_stretches([line], redaction, start=0, end=10) == [(1.5 - pad, 2.9 + pad)]
    # a corrected line: its timings are those of what the engine heard, so the whole line goes
    edited = TranscriptSegment(id=1, interview_id=1, position=0, start=0.0, end=3.5, text=text,
                               asr_text="Call me on three four seven please.", words=words)
    assert report_service.redacted_stretches([edited], redaction, start=0, end=10) == [(0.0, 3.5)]
    untimed = TranscriptSegment(id=1, interview_id=1, position=0, start=0.0, end=3.5, text=text, asr_text=text)
    assert report_service.redacted_stretches([untimed], redaction, start=1, end=2) == [(1, 2)]
    assert report_service.word_offsets(untimed) is None


# --- a study that does not redact ---------------------------------------------------------------------

def test_a_study_that_does_not_redact_shows_managers_everything(app, session, settings):
    study = make_study(session, name="Open study")
    interview = import_interview(session, settings, study)
    manager, analyst = signed_in(app, session, "manager"), signed_in(app, session, "analyst")
    page = manager.get(f"/studies/{study.id}/report").text
    assert RESPONDENT in page and "[NAME]" not in page
    unit = unit_saying(session, interview.id, PHONE)
    assert PHONE in manager.get(f"/studies/{study.id}/report/quotes?unit={unit.id}").text
    heard = manager.get(f"/studies/{study.id}/units/{unit.id}/clip")
    assert heard.content == analyst.get(f"/studies/{study.id}/units/{unit.id}/clip").content
    assert heard.headers["cache-control"] == "private, max-age=3600"
    assert re.search(r'name="interviewer"', page)
