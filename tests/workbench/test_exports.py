"""Exports from the workbench: transcripts and study spreadsheets on the web, the API and `perche export`,
each opened back with the library that reads it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import openpyxl
import pytest
import webvtt
from docx import Document
from sqlmodel import select

from tests.factories import bearer, make_study, make_user, sign_in, wav_bytes
from transcription.schema import Segment, Speaker, Transcript
from transcription.text_format import read_lines
from workbench.models import Code, CodedUnit, Interview, UnitCode
from workbench.models import Speaker as SpeakerRow
from workbench.services import coding as coding_service
from workbench.services import interviews as interview_service
from workbench.services import transcripts as transcript_service

FORMULA = '=HYPERLINK("http://evil.example","click")'


def upload(client, study_id: int, seed: int, **meta: str) -> int:
    response = client.post(f"/studies/{study_id}/interviews", headers={"HX-Request": "true"},
                           files={"file": (f"call{seed}.wav", wav_bytes(2.0, seed=seed), "audio/wav")}, data=meta)
    assert response.status_code == 201, response.text
    return int(re.search(r"/interviews/(\d+)", response.text).group(1))


@pytest.fixture
def study(client, session):
    """A study with two transcribed, coded interviews, uploaded by a signed-in analyst."""
    make_user(session, "analyst")
    sign_in(client, "analyst@example.com")
    study = make_study(session, name="Soddisfazione Clienti 2026")
    first = upload(client, study.id, 1, account="Caffè Rossi S.r.l.", respondent_name="Anna Rossi",
                   respondent_role="Buyer", segment="SME", region="Nord", journey_stage="delivery",
                   channel="phone", interview_date="2026-03-04", interviewer_name="Giulia Bianchi")
    second = upload(client, study.id, 2, account=FORMULA, respondent_name="@SUM(1+1)", segment="-Enterprise")
    respondent = session.exec(select(SpeakerRow).where(SpeakerRow.interview_id == first,
                                                       SpeakerRow.role == "respondent")).one()
    transcript_service.update_speaker(session, interview_id=first, speaker_id=respondent.id,
                                      display_name="Anna Rossi", role="respondent")
    return study, first, second


def untimed_interview(session, study) -> Interview:
    transcript = Transcript(language="en", duration=0.0, segments=[
        Segment(None, None, "How was the delivery?", "A"), Segment(None, None, "Late, twice.", "B")],
        speakers=[Speaker("A", "interviewer", name="Marco"), Speaker("B", "respondent", name="Lucia")])
    interview = interview_service.add_transcribed_interview(
        session, study=study, transcript=transcript, meta=interview_service.parse_meta({"account": "Imported"}),
        transcript_file="notes.docx", created_by=None)
    session.commit()
    return interview


def test_transcript_downloads_open_in_their_readers(client, session, study):
    study, first, _ = study
    response = client.get(f"/interviews/{first}/transcript.docx")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == \
        f'attachment; filename="soddisfazione-clienti-2026-caffe-rossi-s-r-l-{first}-2026-03-04.docx"'
    document = Document(io.BytesIO(response.content))
    assert document.paragraphs[0].text == "Caffè Rossi S.r.l. — Soddisfazione Clienti 2026"
    header = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    assert header["Account"] == "Caffè Rossi S.r.l." and header["Date"] == "2026-03-04"
    assert header["Interviewer"] == "Giulia Bianchi" and header["Journey stage"] == "delivery"
    assert header["Duration"] == "00:00:02" and header["Language"] == "English"
    body = [p for p in document.paragraphs[1:] if p.text]
    assert len(body) == 4
    assert body[1].text.startswith("[00:00:00] Anna Rossi: I would say an eight")
    assert [r.text for r in body[1].runs if r.bold] == ["Anna Rossi"]

    vtt = client.get(f"/interviews/{first}/transcript.vtt")
    assert vtt.headers["content-type"].startswith("text/vtt")
    captions = webvtt.from_buffer(io.StringIO(vtt.text)).captions
    assert [c.voice for c in captions] == ["Interviewer", "Anna Rossi", "Interviewer", "Anna Rossi"]
    assert captions[3].text == "Invoices arrive late and often with errors."
    srt = client.get(f"/api/interviews/{first}/transcript.srt", headers=client.headers).text
    assert "\nAnna Rossi: I would say an eight" in srt and srt.startswith("1\n00:00:00,000 --> ")

    lines = read_lines(client.get(f"/interviews/{first}/transcript.txt").text)
    assert [line.speaker for line in lines] == ["Interviewer", "Anna Rossi", "Interviewer", "Anna Rossi"]
    f4 = client.get(f"/interviews/{first}/transcript.f4.txt")
    assert f4.headers["content-disposition"].endswith('.f4.txt"')
    assert re.fullmatch(r"Interviewer: How likely .*\? #00:00:00-[0-9]#", f4.text.split("\n\n")[0])
    assert client.get(f"/interviews/{first}/transcript.txt?format=f4").text == f4.text
    assert client.get(f"/interviews/{first}/transcript.txt?format=rtf").status_code == 422


def test_an_untimed_transcript_is_no_subtitle_but_still_a_document(client, session, study):
    study, _, _ = study
    interview = untimed_interview(session, study)
    headers = bearer(session, make_user(session, "interviewer"))
    for suffix in ("srt", "vtt"):
        response = client.get(f"/api/interviews/{interview.id}/transcript.{suffix}", headers=headers)
        assert response.status_code == 409
        assert response.json()["error"] == "No timestamps" and "DOCX or text" in response.json()["detail"]
    page = client.get(f"/interviews/{interview.id}/transcript.srt")
    assert page.status_code == 409 and "DOCX or text" in page.text
    document = Document(io.BytesIO(client.get(f"/interviews/{interview.id}/transcript.docx").content))
    assert [p.text for p in document.paragraphs[1:] if p.text] == ["Marco: How was the delivery?",
                                                                   "Lucia: Late, twice."]
    assert "Duration" not in {row.cells[0].text for row in document.tables[0].rows}
    assert client.get(f"/interviews/{interview.id}/transcript.f4.txt").text == \
        "Marco: How was the delivery?\n\nLucia: Late, twice.\n"


def test_an_interview_without_a_transcript_yet_is_a_409(client, session, study):
    study, _, _ = study
    waiting = Interview(study_id=study.id, account="Waiting")
    session.add(waiting)
    session.commit()
    response = client.get(f"/api/interviews/{waiting.id}/transcript.docx", headers=client.headers)
    assert response.status_code == 409 and "no transcript yet" in response.json()["detail"]


def test_who_may_download_what(client, session, study):
    study, first, _ = study
    manager = bearer(session, make_user(session, "manager"))
    interviewer = bearer(session, make_user(session, "interviewer"))
    transcript = f"/api/interviews/{first}/transcript.docx"
    sheets = [f"/api/studies/{study.id}/export/{name}" for name in
              ("segments.xlsx", "segments.csv", "ratings.xlsx", "ratings.csv", "codebook.xlsx")]
    forbidden = client.get(transcript, headers=manager)
    assert forbidden.status_code == 403 and "does not allow" in forbidden.json()["detail"]
    assert client.get(transcript, headers=interviewer).status_code == 200
    for path in sheets:
        assert client.get(path, headers=manager).status_code == 200, path
        assert client.get(path, headers=interviewer).status_code == 200, path
    client.cookies.clear()
    assert client.get(transcript).json()["status"] == 401
    assert client.get(sheets[0]).status_code == 401
    assert client.get("/api/interviews/999/transcript.txt", headers=interviewer).status_code == 404
    assert client.get("/api/studies/999/export/ratings.csv", headers=interviewer).status_code == 404
    assert client.get(f"/api/studies/{study.id}/export/codebook.ods", headers=interviewer).status_code == 404


def test_coded_segments_spreadsheet(client, session, study):
    study, first, _ = study
    response = client.get(f"/studies/{study.id}/export/segments.xlsx")
    assert response.status_code == 200
    today = dt.date.today().isoformat()
    assert response.headers["content-disposition"] == \
        f'attachment; filename="soddisfazione-clienti-2026-coded-segments-{today}.xlsx"'
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Coded segments", "About"]
    sheet = workbook["Coded segments"]
    assert sheet.freeze_panes == "A2" and all(cell.font.b for cell in sheet[1])
    rows = list(sheet.iter_rows(values_only=True))
    header, data = list(rows[0]), [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert header[:10] == ["interview id", "account", "respondent", "segment", "region", "product line",
                           "journey stage", "channel", "date", "interviewer"]
    assert {"speaker", "question", "text", "code path", "code name", "sentiment", "reason", "confidence", "status",
            "assigned by", "counted in report", "start (s)", "end (s)"} <= set(header)
    units = session.exec(select(CodedUnit)).all()
    links = session.exec(select(UnitCode)).all()
    coded = {link.unit_id for link in links}
    assert len(data) == len(links) + sum(1 for u in units if u.id not in coded)
    row = next(r for r in data if r["interview id"] == first and r["code path"])
    assert row["account"] == "Caffè Rossi S.r.l." and row["date"] == dt.datetime(2026, 3, 4)
    assert row["speaker"] == "Anna Rossi" and isinstance(row["confidence"], float)
    assert isinstance(row["start (s)"], float) and row["status"] == "suggested" and row["assigned by"] == "model"
    assert sheet.column_dimensions["M"].width > sheet.column_dimensions["A"].width  # the text column is wider
    # a formula-like metadata value stays text, never a formula
    cell = next(c for c in sheet["B"] if c.value == FORMULA)
    assert cell.data_type == "s" and cell.quotePrefix
    assert next(c for c in sheet["C"] if c.value == "@SUM(1+1)").data_type == "s"
    about = dict(workbook["About"].iter_rows(values_only=True))
    assert about["Study"] == "Soddisfazione Clienti 2026" and "suggested" in about["status"]
    assert isinstance(about["Exported"], dt.datetime)

    raw = client.get(f"/studies/{study.id}/export/segments.csv").content
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(table) == len(data)
    assert {r["account"] for r in table} == {"Caffè Rossi S.r.l.", "'" + FORMULA}
    assert {r["segment"] for r in table} == {"SME", "'-Enterprise"}
    assert next(r for r in table if r["interview id"] == str(first))["date"] == "2026-03-04"


def test_decisions_show_in_the_status_and_the_codebook_counts(client, session, study):
    study, first, _ = study
    analyst = make_user(session, "analyst", email="second@example.com")
    for link in session.exec(select(UnitCode)).all():  # no model code is sure enough to count
        link.confidence = 0.01
        session.add(link)
    session.commit()
    unit, link = session.exec(select(CodedUnit, UnitCode).join(UnitCode, UnitCode.unit_id == CodedUnit.id)
                              .where(CodedUnit.interview_id == first)).first()
    code = session.get(Code, link.code_id)
    coding_service.decide(session, study_id=study.id, unit_id=unit.id, action="accept", code_id=code.id,
                          user=analyst)
    segments = openpyxl.load_workbook(io.BytesIO(client.get(f"/studies/{study.id}/export/segments.xlsx").content))
    rows = list(segments.active.iter_rows(values_only=True))
    data = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    counted = [r for r in data if r["counted in report"] == "yes"]
    assert [(r["unit id"], r["code path"], r["status"]) for r in counted] == [(unit.id, code.path, "accepted")]

    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/studies/{study.id}/export/codebook.xlsx").content))
    assert book.sheetnames == ["Codebook", "About"]
    rows = list(book["Codebook"].iter_rows(values_only=True))
    assert rows[0] == ("code path", "name", "level", "parent", "description", "units coded", "interviews",
                       "positive", "negative", "neutral", "mixed")
    by_path = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert len(by_path) == len(session.exec(select(Code).where(Code.study_id == study.id)).all())
    accepted = by_path[code.path]
    assert accepted["units coded"] == 1 and accepted["interviews"] == 1
    assert accepted["positive"] + accepted["negative"] + accepted["neutral"] + accepted["mixed"] == 1
    assert accepted["level"] == code.path.count("/") + 1
    assert sum(r["units coded"] for r in by_path.values()) == 1


def test_ratings_spreadsheet(client, session, study):
    study, first, second = study
    interview = session.get(Interview, first)
    coding_service.set_rating(session, interview=interview, value=9, scale="nps")
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/studies/{study.id}/export/ratings.xlsx").content))
    rows = list(book["Ratings"].iter_rows(values_only=True))
    data = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    typed = next(r for r in data if r["interview id"] == first and r["source"] == "analyst")
    assert typed["value"] == 9 and isinstance(typed["value"], int) and typed["scale"] == "nps"
    assert typed["NPS group"] == "promoter" and typed["question"] == "How likely are you to recommend us?"
    assert typed["scale max"] == 10 and typed["account"] == "Caffè Rossi S.r.l."
    heard = [r for r in data if r["interview id"] == second]
    assert heard and heard[0]["source"] == "model" and heard[0]["value"] == 8 and "eight" in heard[0]["quote"]
    table = list(csv.DictReader(io.StringIO(
        client.get(f"/studies/{study.id}/export/ratings.csv").content.decode("utf-8-sig"))))
    assert len(table) == len(data) and {r["value"] for r in table} >= {"9", "8"}


def test_pages_link_the_downloads_each_role_may_have(client, session, study):
    study, first, _ = study
    page = client.get(f"/interviews/{first}").text
    assert "Download transcript" in page
    for suffix in ("docx", "srt", "vtt", "txt", "f4.txt"):
        assert f"/interviews/{first}/transcript.{suffix}" in page
    untimed = untimed_interview(session, study)
    response = client.get(f"/interviews/{untimed.id}")
    if response.status_code == 200:  # once the page shows interviews without a recording: no subtitles offered
        assert f"/interviews/{untimed.id}/transcript.docx" in response.text
        assert f"/interviews/{untimed.id}/transcript.srt" not in response.text
    overview = client.get(f"/studies/{study.id}").text
    assert f"/studies/{study.id}/export/segments.xlsx" in overview and f"/studies/{study.id}/export.qdpx" in overview
    assert "QualCoder" in overview
    make_user(session, "manager")
    client.cookies.clear()
    sign_in(client, "manager@example.com")
    overview = client.get(f"/studies/{study.id}").text
    assert f"/studies/{study.id}/export/codebook.xlsx" in overview and "export.qdpx" not in overview




def said(result) -> str:
    """The command's output with rich's line wrapping undone."""
    return " ".join(result.output.split())


def test_perche_export_writes_every_file(cli, session, study, tmp_path):
    study, _, _ = study
    untimed_interview(session, study)
    out = tmp_path / "out"
    out.mkdir()
    result = cli("export", study.id, "--segments", out / "segments.xlsx", "--ratings", out / "ratings.csv",
                 "--codebook", out / "codebook.xlsx", "--transcripts", out / "vtt", "--format", "vtt")
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(out / "segments.xlsx").sheetnames == ["Coded segments", "About"]
    assert next(csv.reader(io.StringIO((out / "ratings.csv").read_text("utf-8-sig"))))[-3:] == \
        ["question", "source", "quote"]
    assert openpyxl.load_workbook(out / "codebook.xlsx")["Codebook"].max_row > 1
    subtitles = sorted((out / "vtt").iterdir())
    assert len(subtitles) == 2 and all(p.suffix == ".vtt" for p in subtitles)  # the untimed one is skipped
    assert "Skipped" in said(result) and "no timestamps" in said(result)
    assert webvtt.read(str(subtitles[0])).captions[0].voice == "Interviewer"
    assert sorted(p.name for p in out.iterdir()) == ["codebook.xlsx", "ratings.csv", "segments.xlsx", "vtt"]

    docs = cli("export", study.id, "--transcripts", out / "docs")
    assert docs.exit_code == 0 and len(list((out / "docs").glob("*.docx"))) == 3


def test_perche_export_refuses_bad_paths_without_leaving_files(cli, session, study, tmp_path):
    study, _, _ = study
    tmp_path = tmp_path / "out"  # the test's data folder is in tmp_path too
    tmp_path.mkdir()
    for args, message in [
        (("--segments", tmp_path / "segments.ods"), ".xlsx or .csv"),
        (("--codebook", tmp_path / "missing" / "codebook.xlsx"), "does not exist"),
        (("--transcripts", tmp_path / "t", "--format", "pdf"), "Unknown transcript format"),
        (("--audio",), "go with --qdpx"),
        ((), "Say what to export"),
    ]:
        result = cli("export", study.id, *args)
        assert result.exit_code == 1 and message in said(result), (args, result.output)
    missing = cli("export", 999, "--segments", tmp_path / "s.csv")
    assert missing.exit_code == 1 and "study" in said(missing).lower()
    assert list(tmp_path.iterdir()) == []


def test_perche_export_transcript(cli, session, study, tmp_path):
    study, first, _ = study
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    result = cli("export-transcript", first, tmp_path / "call.txt", "--f4")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "call.txt").read_text().startswith("Interviewer: How likely")
    assert cli("export-transcript", first, tmp_path / "call.docx").exit_code == 0
    assert Document(str(tmp_path / "call.docx")).tables[0].rows[0].cells[1].text == "Caffè Rossi S.r.l."
    wrong = cli("export-transcript", first, tmp_path / "call.docx", "--f4")
    assert wrong.exit_code == 1 and ".txt" in said(wrong)
    untimed = untimed_interview(session, study)
    refused = cli("export-transcript", untimed.id, tmp_path / "untimed.srt")
    assert refused.exit_code == 1 and "no timestamps" in said(refused)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["call.docx", "call.txt"]


def test_perche_export_qdpx(cli, session, study, tmp_path):
    pytest.importorskip("workbench.services.qdpx_export")
    import zipfile

    study, _, _ = study
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    result = cli("export", study.id, "--qdpx", tmp_path / "study.qdpx", "--crlf")
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(tmp_path / "study.qdpx") as archive:
        assert "project.qde" in archive.namelist()
    assert [p.name for p in tmp_path.iterdir()] == ["study.qdpx"]


def test_spreadsheet_writers_keep_odd_text_safe():
    from workbench.services.exports import Table, to_csv, to_xlsx

    table = Table("Odd", ["text", "n"], [["bell\x07 rang", 1], ["+39 02 1234", -2.5], ["\tTAB", None]])
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx(table, about=[("Study", "S")]))).active
    assert [row for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        ("bell rang", 1), ("+39 02 1234", -2.5), ("\tTAB", None)]
    assert sheet["A3"].quotePrefix and sheet["B3"].data_type == "n"
    assert list(csv.reader(io.StringIO(to_csv(table).decode("utf-8-sig")))) == [
        ["text", "n"], ["bell\x07 rang", "1"], ["'+39 02 1234", "-2.5"], ["'\tTAB", ""]]
