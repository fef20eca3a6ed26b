"""REFI-QDA import: .qdc codebooks (merge, replace), .qdpx projects (a round trip of Perché's own
export, one shaped like MAXQDA's), and hostile files refused with nothing imported."""

from __future__ import annotations

import io
import zipfile
from collections import Counter

import pytest
from sqlmodel import select

from tests.factories import bearer, make_study, make_user, sign_in
from tests.workbench.qdpx_fixtures import META, build_study
from transcription.schema import Segment
from workbench.interop.qdpx_model import Code as QdpxCode
from workbench.interop.qdpx_write import write_codebook_xml
from workbench.models import Code, CodedUnit, CodingEvent, Interview, Job, Rating, Speaker, UnitCode
from workbench.services.qdpx_export import build_project, qdpx_bytes
from workbench.services.qdpx_import import _roles, row_counts

G = "{:08x}-0000-4000-8000-000000000000".format


def _qdpx(entries: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(zipfile.ZipInfo(name), data.encode() if isinstance(data, str) else data,
                             compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


# A project shaped like MAXQDA's: upper-case GUIDs, CRLF text, speakers without timestamps,
# document variables on a nameless case with one source, a parent code that is also codable.
FOREIGN_TEXT = "I: Come va con le consegne?\r\nB: Sempre in ritardo, è un disastro.\r\nI: E il prezzo?\r\n" \
               "B: Il prezzo è giusto.\r\n"
LATE = FOREIGN_TEXT.index("Sempre in ritardo")
PRICE = FOREIGN_TEXT.index("Il prezzo è giusto")


def foreign_project(*, code_ref: str = G(3).upper(), start: int = LATE, end: int = LATE + 33,
                    namespace: str = "urn:QDA-XML:project:1.0", text_path: str = f"internal://{G(9)}.txt") -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="{namespace}" name="Studio MAXQDA" origin="MAXQDA 2024">
 <Users><User guid="{G(1).upper()}" name="Giulia"/></Users>
 <CodeBook><Codes>
  <Code guid="{G(2).upper()}" name="Consegne" isCodable="true" color="#ff0000">
   <Description>Tutto sulle consegne</Description>
   <Code guid="{G(3).upper()}" name="Ritardi nelle consegne" isCodable="true"/>
  </Code>
  <Code guid="{G(4).upper()}" name="Prezzo" isCodable="true"/>
 </Codes></CodeBook>
 <Variables>
  <Variable guid="{G(5).upper()}" name="Regione" typeOfVariable="Text"/>
  <Variable guid="{G(6).upper()}" name="Data intervista" typeOfVariable="Date"/>
  <Variable guid="{G(7).upper()}" name="Età" typeOfVariable="Integer"/>
 </Variables>
 <Cases><Case guid="{G(8).upper()}">
  <VariableValue><VariableRef targetGUID="{G(5).upper()}"/><TextValue>Sud</TextValue></VariableValue>
  <VariableValue><VariableRef targetGUID="{G(6).upper()}"/><DateValue>2025-11-20</DateValue></VariableValue>
  <VariableValue><VariableRef targetGUID="{G(7).upper()}"/><IntegerValue>44</IntegerValue></VariableValue>
  <SourceRef targetGUID="{G(9).upper()}"/>
 </Case></Cases>
 <Sources>
  <TextSource guid="{G(9).upper()}" name="Intervista Rossi" plainTextPath="{text_path}">
   <PlainTextSelection guid="{G(10).upper()}" startPosition="{start}" endPosition="{end}"
     creatingUser="{G(1).upper()}" creationDateTime="2025-11-21T10:00:00Z">
    <Coding guid="{G(11).upper()}"><CodeRef targetGUID="{code_ref}"/></Coding>
   </PlainTextSelection>
   <PlainTextSelection guid="{G(12).upper()}" startPosition="{PRICE - 3}" endPosition="{PRICE + 19}">
    <Description>Un memo libero</Description>
    <Coding guid="{G(13).upper()}"><CodeRef targetGUID="{G(4).upper()}"/></Coding>
   </PlainTextSelection>
  </TextSource>
  <AudioSource guid="{G(14).upper()}" name="rossi.mp3" path="relative://rossi.mp3"/>
 </Sources>
</Project>"""


def foreign_qdpx(**overrides) -> bytes:
    return _qdpx({"project.qde": foreign_project(**overrides), f"sources/{G(9)}.txt": FOREIGN_TEXT})


def _import(client, headers, study_id, name, data, **form):
    return client.post(f"/api/studies/{study_id}/import", headers=headers, files={"file": (name, data)},
                       data=form)


@pytest.fixture
def analyst_headers(session):
    return bearer(session, make_user(session, "analyst"))


@pytest.mark.parametrize("crlf", [False, True])
def test_round_trip_keeps_codes_coded_texts_and_variables(client, session, settings, crlf):
    analyst = make_user(session, "analyst")
    coded = build_study(session, settings, analyst)
    coded.hand.respondent_role, coded.hand.interviewer_name = "Responsabile acquisti", "Marco Ferri"
    session.add(coded.hand)
    session.commit()
    exported = build_project(session, study=coded.study, crlf=crlf)
    data = qdpx_bytes(session, settings, study=coded.study, crlf=crlf)
    fresh = make_study(session, name="Ritorno")
    response = _import(client, bearer(session, analyst), fresh.id, "caffe.qdpx", data)
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["interviews"]) == 2 and "No coding job was queued" in " ".join(body["summary"])

    old_paths = {c.path for c in session.exec(select(Code).where(Code.study_id == coded.study.id))}
    assert {c.path for c in session.exec(select(Code).where(Code.study_id == fresh.id))} == old_paths
    paths = {code.guid: code.description.rsplit("Perché path: ", 1)[1] for code, _ in exported.all_codes()}
    sent = Counter((s.text[sel.start:sel.end], tuple(sorted(paths[c.code_guid] for c in sel.codings)))
                   for s in exported.sources for sel in s.selections)
    interviews = session.exec(select(Interview).where(Interview.study_id == fresh.id)).all()
    units = session.exec(select(CodedUnit).where(CodedUnit.interview_id.in_([i.id for i in interviews]))).all()
    received = Counter()
    for unit in units:
        links = session.exec(select(UnitCode, Code).join(Code, Code.id == UnitCode.code_id)
                             .where(UnitCode.unit_id == unit.id)).all()
        assert all(link.source == "analyst" and link.status == "accepted" for link, _ in links)
        received[(unit.text, tuple(sorted(code.path for _, code in links)))] += 1
    assert received == sent and len(sent) >= 4
    assert any("😠" in text for text, _ in received)
    events = session.exec(select(CodingEvent).where(CodingEvent.study_id == fresh.id)).all()
    assert len(events) == sum(len(p) for _, p in received.elements()) and {e.action for e in events} == {"add"}

    hand = next(i for i in interviews if i.account == META["account"])
    for field in ("segment", "region", "product_line", "journey_stage", "channel", "respondent_name"):
        assert getattr(hand, field) == META[field]
    assert (hand.respondent_role, hand.interviewer_name) == ("Responsabile acquisti", "Marco Ferri")
    assert str(hand.interview_date) == META["interview_date"] and hand.transcript_file.startswith("caffe.qdpx")
    rating = session.exec(select(Rating).where(Rating.interview_id == hand.id)).one()
    assert (rating.value, rating.scale, rating.source) == (9, "nps", "analyst")
    def roles(interview):
        speakers = session.exec(select(Speaker).where(Speaker.interview_id == interview.id))
        return {s.display_name: s.role for s in speakers}

    # a line label that says the role keeps it; a speaker called by name is the other one of the two
    assert roles(hand) == {"Intervistatore": "interviewer", "Anna": "respondent"}
    piped = next(i for i in interviews if i.account == "Acme")
    assert roles(piped) == {"Interviewer": "interviewer", "Respondent": "respondent"}
    assert not session.exec(select(Job).where(Job.interview_id.in_([i.id for i in interviews]))).all()


def test_a_project_shaped_like_maxqdas(client, session, analyst_headers):
    study = make_study(session)
    response = _import(client, analyst_headers, study.id, "rossi.qdpx", foreign_qdpx())
    assert response.status_code == 200, response.text
    body = response.json()
    interview = session.get(Interview, body["interviews"][0])
    assert (interview.region, str(interview.interview_date)) == ("Sud", "2025-11-20")
    assert body["variables"] == {"Regione": "region", "Data intervista": "interview_date"}
    ignored = " ".join(body["ignored"])
    assert "'Età'" in ignored and "1 audio source" in ignored
    assert any("memo" in line for line in body["notes"])
    units = session.exec(select(CodedUnit).where(CodedUnit.interview_id == interview.id)
                         .order_by(CodedUnit.position)).all()
    # offsets counted with CRLF as two characters; a selection starting in the speaker label is clipped to the words
    assert [u.text for u in units] == ["Sempre in ritardo, è un disastro.", "Il prezzo è giusto."]
    codes = {c.path: c for c in session.exec(select(Code).where(Code.study_id == study.id))}
    assert {"consegne", "consegne/ritardi-nelle-consegne", "prezzo"} <= set(codes)
    assert codes["consegne"].description == "Tutto sulle consegne"
    speakers = session.exec(select(Speaker).where(Speaker.interview_id == interview.id)).all()
    assert {(s.display_name, s.role) for s in speakers} == {("I", "interviewer"), ("B", "respondent")}


def _segments(*turns: tuple[str, str]) -> list[Segment]:
    return [Segment(start=None, end=None, text=text, speaker=speaker) for speaker, text in turns]


def test_speaker_roles_from_line_labels_else_from_what_they_say():
    named = {"S0": "Cliente", "S1": "Intervistatore"}
    assert _roles(_segments(("S1", "Come va?"), ("S0", "Bene.")), named, []) == {"S0": "respondent",
                                                                                 "S1": "interviewer"}
    # one labelled respondent: the other of two asks the questions
    assert _roles(_segments(("S0", "Tutto bene?"), ("S1", "Sì.")), {"S0": "Marco", "S1": "Rispondente"}, []) == \
        {"S0": "interviewer", "S1": "respondent"}
    # a focus group with a named moderator: the others are participants
    assert _roles(_segments(("S0", "Cosa ne pensate?"), ("S1", "Bene."), ("S2", "Male.")),
                  {"S0": "Moderatore", "S1": "Anna", "S2": "Luca"}, []) == \
        {"S0": "interviewer", "S1": "participant", "S2": "participant"}
    # no label says a role: what each says decides (detect_roles)
    talk = _segments(("S0", "How is the relationship going? Why do you say so?"),
                     ("S1", "Deliveries are late and support never answers our calls."),
                     ("S0", "What should we improve first?"), ("S1", "The invoices, they are often wrong."))
    assert _roles(talk, {"S0": "Marco Ferri", "S1": "Laura Bianchi"}, []) == {"S0": "interviewer",
                                                                               "S1": "respondent"}


def test_importing_a_project_twice_adds_nothing_twice(client, session, settings):
    analyst = make_user(session, "analyst")
    analyst_headers = bearer(session, analyst)
    coded = build_study(session, settings, analyst)
    data = qdpx_bytes(session, settings, study=coded.study)
    fresh = make_study(session, name="Ritorno")
    first = _import(client, analyst_headers, fresh.id, "caffe.qdpx", data).json()
    before = row_counts(session, fresh.id)
    # the same project again, and with MAXQDA's CRLF line endings: refused, nothing added
    for name, again in (("caffe.qdpx", data), ("caffe-crlf.qdpx", qdpx_bytes(session, settings, study=coded.study,
                                                                              crlf=True))):
        response = _import(client, analyst_headers, fresh.id, name, again)
        assert response.status_code == 409, response.text
        body = response.json()
        assert body["error"] == "Already imported" and body["link"] == f"/interviews/{first['interviews'][0]}"
        assert all(f"#{number}" in body["detail"] for number in first["interviews"]), body
        session.expire_all()
        assert row_counts(session, fresh.id) == before
    # a later export with one new interview: only that one comes in, the codebook is not duplicated
    from tests.workbench.qdpx_fixtures import SEGMENTS
    from transcription.schema import Speaker as TranscriptSpeaker
    from transcription.schema import Transcript
    from workbench.services.interviews import add_transcribed_interview, parse_meta

    add_transcribed_interview(session, study=coded.study, meta=parse_meta({"account": "Nuovo"}), transcript_file="",
                              created_by=analyst, transcript=Transcript(
                                  language="it", duration=4.0, speakers=[TranscriptSpeaker(id="A", role="respondent")],
                                  segments=[Segment(start=1.0, end=2.0, text=SEGMENTS[1][2], speaker="A")]))
    session.commit()
    response = _import(client, analyst_headers, fresh.id, "caffe-2.qdpx", qdpx_bytes(session, settings,
                                                                                    study=coded.study))
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["interviews"]) == 1 and body["codes_added"] == 0
    assert sorted(s["interview"] for s in body["already_there"]) == sorted(first["interviews"])
    assert sum("already in the study as interview #" in line for line in body["summary"]) == 2
    session.expire_all()
    after = row_counts(session, fresh.id)
    assert (after["interviews"], after["codes"]) == (before["interviews"] + 1, before["codes"])


def test_a_maxqda_project_imported_twice_keeps_one_codebook(client, session, analyst_headers):
    study = make_study(session)
    assert _import(client, analyst_headers, study.id, "rossi.qdpx", foreign_qdpx()).status_code == 200
    codes = row_counts(session, study.id)["codes"]
    response = _import(client, analyst_headers, study.id, "rossi (1).qdpx", foreign_qdpx())
    assert response.status_code == 409 and "rossi (1).qdpx" in response.json()["detail"]
    session.expire_all()
    assert row_counts(session, study.id)["codes"] == codes


def test_the_model_never_recodes_an_interview_coded_elsewhere(client, session, settings, analyst_headers):
    from workbench.services import jobs as job_service

    study = make_study(session)
    interview_id = _import(client, analyst_headers, study.id, "rossi.qdpx", foreign_qdpx()).json()["interviews"][0]
    interview = session.get(Interview, interview_id)
    assert interview.coded_elsewhere
    assert job_service.queue_coding(session, interview_ids=[interview_id], study_id=study.id) == []
    assert job_service.request_recoding(session, interview_id=interview_id, settings=settings) is None
    page = client.get(f"/interviews/{interview_id}", headers=analyst_headers)
    assert page.status_code == 200 and "does not re-code this interview" in page.text
    # its codes are not the model's, and without a recording speakers are people, not voices
    assert "the model's codes" not in page.text and "with the codes it came with" in page.text
    assert "Same person as" in page.text and "Same voice as" not in page.text


def _bomb() -> bytes:
    return _qdpx({"project.qde": foreign_project(), f"sources/{G(9)}.txt": FOREIGN_TEXT,
                  "sources/padding.txt": b"\0" * (20 * 1024 * 1024)})


LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
          '<Project xmlns="urn:QDA-XML:project:1.0" name="&lol2;"/>')
DEEP = 3000  # nested codes: far past the stack a recursive reader has
NESTED_CODES = "".join(f'<Code guid="{G(100 + n)}" name="c{n}">' for n in range(DEEP)) + "</Code>" * DEEP
HOSTILE = {
    "zip bomb": (_bomb, 422, "zip bomb"),
    "dot-dot entry": (lambda: _qdpx({"project.qde": foreign_project(), f"sources/{G(9)}.txt": FOREIGN_TEXT,
                                     "../evil.txt": "x"}), 422, "outside its folder"),
    "absolute entry": (lambda: _qdpx({"project.qde": foreign_project(), f"sources/{G(9)}.txt": FOREIGN_TEXT,
                                      "/etc/cron.d/evil": "x"}), 422, "outside its folder"),
    "billion laughs": (lambda: _qdpx({"project.qde": LAUGHS}), 422, "DTD or XML entities"),
    "wrong namespace": (lambda: foreign_qdpx(namespace="urn:QDA-XML:project:2.0"), 422, "namespace"),
    "no project.qde": (lambda: _qdpx({f"sources/{G(9)}.txt": FOREIGN_TEXT}), 422, "no project.qde"),
    "dangling code": (lambda: foreign_qdpx(code_ref=G(99)), 422, "not in the project's codebook"),
    "selection out of range": (lambda: foreign_qdpx(end=5000), 422, "offsets do not match"),
    "missing text file": (lambda: foreign_qdpx(text_path="internal://nothing.txt"), 422, "not in the archive"),
    "text path climbing out": (lambda: foreign_qdpx(text_path="internal://../../etc/passwd"), 422,
                               "not a file name inside"),
    "codes nested too deep": (lambda: _qdpx({"project.qde": foreign_project().replace(
        "<CodeBook><Codes>", f"<CodeBook><Codes>{NESTED_CODES}"), f"sources/{G(9)}.txt": FOREIGN_TEXT}), 422,
        "levels deep"),
    "not a zip": (lambda: b"PK\x03\x04 this is not really a zip", 422, "not a readable zip"),
    "not refi at all": (lambda: b"%PDF-1.4 a pdf", 415, "neither"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_files_are_refused_and_nothing_is_imported(client, session, analyst_headers, case):
    make_data, status, message = HOSTILE[case]
    study = make_study(session)
    before = row_counts(session, study.id)
    name = "notes.pdf" if case == "not refi at all" else "project.qdpx"
    response = _import(client, analyst_headers, study.id, name, make_data())
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]
    session.expire_all()
    assert row_counts(session, study.id) == before


def test_a_failure_halfway_leaves_nothing(client, session, analyst_headers, monkeypatch):
    """A source whose metadata is refused after the codes and a first interview were added: all rolled back."""
    study = make_study(session)
    long_region = "x" * 150
    data = _qdpx({"project.qde": foreign_project().replace(">Sud<", f">{long_region}<"),
                  f"sources/{G(9)}.txt": FOREIGN_TEXT})
    before = row_counts(session, study.id)
    response = _import(client, analyst_headers, study.id, "p.qdpx", data)
    assert response.status_code == 422 and "Intervista Rossi" in response.json()["detail"]
    session.expire_all()
    assert row_counts(session, study.id) == before


def _qdc(*codes: QdpxCode) -> bytes:
    return write_codebook_xml(list(codes), origin="NVivo 14")


def test_qdc_merge_and_replace(client, session, analyst_headers):
    study = make_study(session)
    first = _qdc(QdpxCode(guid=G(1), name="Delivery", description="Shipping.", children=[
        QdpxCode(guid=G(2), name="Late shipments")]), QdpxCode(guid=G(3), name="Price"))
    response = _import(client, analyst_headers, study.id, "book.qdc", first)
    assert response.status_code == 200, response.text
    assert response.json()["codes_added"] == 3
    second = _qdc(QdpxCode(guid=G(1), name="Delivery", description="Shipping and transport."),
                  QdpxCode(guid=G(4), name="Qualità"))
    merged = _import(client, analyst_headers, study.id, "book.qdc", second, mode="merge").json()
    assert (merged["codes_added"], merged["codes_updated"]) == (1, 1)
    paths = {c.path: c for c in session.exec(select(Code).where(Code.study_id == study.id))}
    assert set(paths) == {"delivery", "delivery/late-shipments", "price", "qualità"}
    assert paths["delivery"].description == "Shipping and transport."
    replaced = _import(client, analyst_headers, study.id, "book.qdc", second, mode="replace").json()
    assert replaced["codes_removed"] == 2
    session.expire_all()
    assert {c.path for c in session.exec(select(Code).where(Code.study_id == study.id))} == {"delivery", "qualità"}
    assert _import(client, analyst_headers, study.id, "book.qdc", second, mode="swap").status_code == 400


def test_replacing_the_codebook_of_a_coded_study_is_a_conflict(client, session, analyst_headers):
    study = make_study(session)
    assert _import(client, analyst_headers, study.id, "p.qdpx", foreign_qdpx()).status_code == 200
    response = _import(client, analyst_headers, study.id, "b.qdc", _qdc(QdpxCode(guid=G(1), name="Other")),
                       mode="replace")
    assert response.status_code == 409 and "merge" in response.json()["detail"]


def test_import_roles_size_and_the_codebook_page(client, session, settings, analyst_headers):
    study = make_study(session)
    interviewer, manager = make_user(session, "interviewer"), make_user(session, "manager")
    book = _qdc(QdpxCode(guid=G(1), name="Price"))
    for user in (interviewer, manager):
        assert _import(client, bearer(session, user), study.id, "b.qdc", book).status_code == 403
        assert _import(client, bearer(session, user), study.id, "p.qdpx", foreign_qdpx()).status_code == 403
    assert _import(client, analyst_headers, 999, "b.qdc", book).status_code == 404
    assert client.post(f"/api/studies/{study.id}/import", headers=analyst_headers).status_code == 400
    client.app.state.settings.max_upload_mb = 1
    try:
        big = _import(client, analyst_headers, study.id, "p.qdpx", b"PK\x03\x04" + b"\0" * (1024 * 1024 + 10))
        assert big.status_code == 413
    finally:
        client.app.state.settings.max_upload_mb = settings.max_upload_mb
    sign_in(client, "analyst@example.com")
    page = client.get(f"/studies/{study.id}/codebook")
    assert f'action="/studies/{study.id}/import"' in page.text and f'hx-post="/studies/{study.id}/import"' in page.text


def test_the_codebook_page_import_redirects_and_shows_the_summary_once(client, session):
    study = make_study(session)
    make_user(session, "analyst")
    sign_in(client, "analyst@example.com")
    codebook = f"/studies/{study.id}/codebook"
    # a plain form (no JavaScript): 303 to the codebook page, which shows the summary once; a reload imports nothing
    response = client.post(f"/studies/{study.id}/import", files={"file": ("rossi.qdpx", foreign_qdpx())},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == codebook
    assert "1 interview imported from rossi.qdpx" in client.get(codebook).text
    assert "1 interview imported" not in client.get(codebook).text
    assert row_counts(session, study.id)["interviews"] == 1
    # the same file again: the error page, with a link to the interview it already is
    again = client.post(f"/studies/{study.id}/import", files={"file": ("rossi.qdpx", foreign_qdpx())})
    assert again.status_code == 409 and "already in the study" in again.text and 'href="/interviews/' in again.text
    # htmx: the refusal is a fragment for the form's error slot; a success answers HX-Redirect
    htmx = {"HX-Request": "true"}
    refused = client.post(f"/studies/{study.id}/import", headers=htmx, files={"file": ("rossi.qdpx", foreign_qdpx())})
    assert refused.status_code == 409 and refused.text.startswith('<div class="alert alert-error"')
    book = _qdc(QdpxCode(guid=G(1), name="Price"))
    done = client.post(f"/studies/{study.id}/import", headers=htmx, files={"file": ("book.qdc", book)})
    assert done.status_code == 200 and done.headers["HX-Redirect"] == codebook
    assert "Codebook merged from book.qdc" in client.get(codebook).text
    # a summary kept for another study is not shown here
    other = make_study(session, name="Altro")
    client.post(f"/studies/{study.id}/import", headers=htmx, files={"file": ("book.qdc", book)})
    assert "Codebook merged" not in client.get(f"/studies/{other.id}/codebook").text


def test_cli_import(session, settings, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from workbench.cli import app
    from workbench.settings import get_settings

    study = make_study(session)
    monkeypatch.setenv("PERCHE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("PERCHE_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    try:
        (tmp_path / "rossi.qdpx").write_bytes(foreign_qdpx())
        result = CliRunner().invoke(app, ["import", str(study.id), str(tmp_path / "rossi.qdpx")])
        assert result.exit_code == 0, result.output
        assert "1 interview imported" in result.output
        (tmp_path / "bad.qdpx").write_bytes(foreign_qdpx(code_ref=G(99)))
        result = CliRunner().invoke(app, ["import", str(study.id), str(tmp_path / "bad.qdpx")])
        assert result.exit_code == 1 and "codebook" in result.output
    finally:
        get_settings.cache_clear()
