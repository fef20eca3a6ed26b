"""The REFI-QDA project export: valid against the official schema, every reference resolving, and
each selection exactly the coded words (accents, emoji, CRLF offsets)."""

from __future__ import annotations

import io
import zipfile
from xml.etree import ElementTree as ET

import pytest
from defusedxml.ElementTree import fromstring
from sqlmodel import select

from tests.factories import bearer, make_user, sign_in
from tests.workbench.qdpx_fixtures import META, XSD, build_study
from workbench.models import UnitCode
from workbench.services.qdpx_export import build_project, qdpx_bytes, write_qdpx

NS = "{urn:QDA-XML:project:1.0}"


@pytest.fixture
def coded(session, settings):
    analyst = make_user(session, "analyst")
    return build_study(session, settings, analyst)


def _open(data: bytes) -> tuple[zipfile.ZipFile, ET.Element]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return archive, fromstring(archive.read("project.qde"))


def _text(archive: zipfile.ZipFile, path: str) -> str:
    raw = archive.read(f"sources/{path.removeprefix('internal://')}")
    assert not raw.startswith(b"\xef\xbb\xbf")  # UTF-8 without a byte-order mark
    return raw.decode("utf-8")


def _source(root: ET.Element, name_part: str) -> ET.Element:
    return next(s for s in root.iter(f"{NS}TextSource") if name_part in s.get("name"))


@pytest.mark.parametrize("audio, crlf", [(False, False), (True, False), (False, True)])
def test_project_validates_against_the_refi_qda_schema(session, settings, coded, audio, crlf):
    xmlschema = pytest.importorskip("xmlschema")
    if not XSD.is_file():
        pytest.skip(f"the REFI-QDA schema is not at {XSD} (../shared/data from the repo root)")
    study = coded.study
    archive, root = _open(qdpx_bytes(session, settings, study=study, audio=audio, crlf=crlf))
    schema = xmlschema.XMLSchema(str(XSD))
    schema.validate(io.BytesIO(archive.read("project.qde")))
    assert bool(list(root.iter(f"{NS}AudioSource"))) is audio
    assert all(name == "project.qde" or name.startswith("sources/") for name in archive.namelist())


def test_every_guid_reference_resolves(session, settings, coded):
    archive, root = _open(qdpx_bytes(session, settings, study=coded.study, audio=True))
    defined: dict[str, set[str]] = {}
    for element in root.iter():
        if element.get("guid"):
            defined.setdefault(element.tag.removeprefix(NS), set()).add(element.get("guid"))
    all_guids = [g for guids in defined.values() for g in guids]
    assert len(all_guids) == len(set(all_guids)), "a GUID is used twice"
    expected = {"CodeRef": "Code", "SourceRef": ("TextSource", "AudioSource"), "NoteRef": "Note",
                "VariableRef": "Variable"}
    checked = 0
    for element in root.iter():
        tag = element.tag.removeprefix(NS)
        if tag in expected:
            kinds = expected[tag] if isinstance(expected[tag], tuple) else (expected[tag],)
            assert any(element.get("targetGUID") in defined.get(k, ()) for k in kinds), (tag, element.attrib)
            checked += 1
        for attribute in ("creatingUser", "creatingUserGUID"):
            if element.get(attribute) is not None:
                assert element.get(attribute) in defined["User"], (tag, attribute)
                checked += 1
        if tag in ("TextSource", "Note", "PlainTextSelection", "Coding", "AudioSource", "Transcript"):
            assert element.get("creatingUser") and element.get("creationDateTime"), tag  # QualCoder needs both
        for attribute in ("plainTextPath", "path"):
            if element.get(attribute):
                assert element.get(attribute).startswith("internal://")
                assert f"sources/{element.get(attribute).removeprefix('internal://')}" in archive.namelist()
    assert checked > 30
    # each coded case refers to its interview; each story note is referred to from the project
    assert {n.get("guid") for n in root.iter(f"{NS}Note")} == \
        {r.get("targetGUID") for r in root.findall(f"{NS}NoteRef")}


@pytest.mark.parametrize("crlf", [False, True])
def test_selected_text_is_the_quote_character_for_character(session, settings, coded, crlf):
    study, piped, units = coded.study, coded.piped, coded.units
    archive, root = _open(qdpx_bytes(session, settings, study=study, crlf=crlf))
    source = _source(root, "Caffè Àrabo")
    text = _text(archive, source.get("plainTextPath"))
    assert ("\r\n" in text) is crlf and text.count("\n") == 4
    selections = [(int(s.get("startPosition")), int(s.get("endPosition")), s) for s in
                  source.findall(f"{NS}PlainTextSelection")]
    quoted = [text[start:end] for start, end, _ in selections]
    # the quote that runs on into the next line is one selection per line, each exactly the words said
    assert quoted == ["La consegna è arrivata in ritardo 😠, di nuovo.", "Però il caffè",
                      "il caffè è ottimo, davvero."]
    assert " ".join(quoted[:2]) == units["late"].text
    assert quoted[2] == units["good"].text
    assert "Grazie." not in quoted  # an undecided low-confidence suggestion does not count
    late = selections[0][2]
    assert late.find(f"{NS}Description").text == "Sentiment: negative\nWhy: arrivata in ritardo"
    # the pipeline's units land on the words too
    piped_source = _source(root, f"Interview {piped.id}")
    piped_text = _text(archive, piped_source.get("plainTextPath"))
    for selection in piped_source.findall(f"{NS}PlainTextSelection"):
        start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
        assert piped_text[start:end] == selection.get("name")[:60] or piped_text[start:end].startswith(
            selection.get("name"))
        assert "[" not in piped_text[start:end] and ":" not in piped_text[start:end][:2]


def test_codes_cases_variables_and_stories(session, settings, coded):
    study, hand = coded.study, coded.hand
    project = build_project(session, study=study)
    tops = {code.name: code for code in project.codes}
    delivery = tops["Delivery and logistics"]
    assert {c.name for c in delivery.children} >= {"Late shipments", "Damaged goods"}
    assert all(c.color == delivery.color for c in delivery.children)  # one colour per top-level theme
    assert "Perché path: delivery" in delivery.description
    variables = {v.guid: v for v in project.variables}
    interview_case = next(c for c in project.cases if c.name.startswith(f"Interview {hand.id}"))
    values = {variables[v.variable_guid].name: v.value for v in interview_case.values}
    assert values["Account"] == META["account"] and values["Journey stage"] == "delivery"
    assert str(values["Interview date"]) == "2026-03-02"
    assert values["NPS"] == 9 and variables[next(g for g, v in variables.items() if v.name == "NPS")].kind == "Integer"
    account_case = next(c for c in project.cases if c.name == META["account"])
    assert account_case.source_guids == interview_case.source_guids
    # the people of an interview are its case's variables, not the account's
    assert values["Respondent"] == META["respondent_name"] and variables[next(
        g for g, v in variables.items() if v.name == "Respondent")].kind == "Text"
    assert "Respondent" not in {variables[v.variable_guid].name for v in account_case.values}


def test_respondent_role_and_interviewer_are_text_variables(session, settings, coded):
    coded.hand.respondent_role, coded.hand.interviewer_name = "Responsabile acquisti", "Marco Ferri"
    session.add(coded.hand)
    session.commit()
    project = build_project(session, study=coded.study)
    names = {v.guid: v.name for v in project.variables}
    case = next(c for c in project.cases if c.name.startswith(f"Interview {coded.hand.id}"))
    values = {names[v.variable_guid]: v.value for v in case.values}
    assert (values["Respondent"], values["Respondent role"], values["Interviewer"]) == (
        META["respondent_name"], "Responsabile acquisti", "Marco Ferri")
    assert [n.name for n in project.notes] == ["Story: Caffè Àrabo: consegne in ritardo"]
    assert "Il caffè piace" in project.notes[0].text
    assert {u.name for u in project.users} >= {"Analyst", "Perché (automatic coding)"}


def test_export_is_repeatable_and_atomic(session, settings, coded, tmp_path):
    study = coded.study
    assert qdpx_bytes(session, settings, study=study) == qdpx_bytes(session, settings, study=study)
    folder = tmp_path / "out"
    folder.mkdir()
    write_qdpx(session, settings, study=study, out=folder / "study.qdpx", audio=True, crlf=True)
    assert zipfile.is_zipfile(folder / "study.qdpx") and [p.name for p in folder.iterdir()] == ["study.qdpx"]


def test_audio_sources_carry_sync_points_in_milliseconds(session, settings, coded):
    study = coded.study
    archive, root = _open(qdpx_bytes(session, settings, study=study, audio=True))
    audio = list(root.iter(f"{NS}AudioSource"))
    assert len(audio) == 1  # only the interview with a recording
    transcript = audio[0].find(f"{NS}Transcript")
    points = [(int(p.get("timeStamp")), int(p.get("position"))) for p in transcript.findall(f"{NS}SyncPoint")]
    assert points == sorted(points) and points[-1][0] <= 2000 and points[1][0] > 0
    text = _text(archive, transcript.get("plainTextPath"))
    assert text.startswith("[00:00:00] ") and len(text) >= points[-1][1]
    assert archive.read(f"sources/{audio[0].get('path').removeprefix('internal://')}")[:4] == b"RIFF"


def test_rejected_codes_stay_out(session, settings, coded):
    study, units = coded.study, coded.units
    link = session.exec(select(UnitCode).where(UnitCode.unit_id == units["good"].id)).one()
    link.status = "rejected"
    session.add(link)
    session.commit()
    project = build_project(session, study=study)
    source = next(s for s in project.sources if "Caffè" in s.name)
    assert [source.text[s.start:s.end] for s in source.selections][-1] == "Però il caffè"


def test_export_routes_and_roles(client, session, settings, coded):
    study = coded.study
    manager, interviewer = make_user(session, "manager"), make_user(session, "interviewer")
    response = client.get(f"/api/studies/{study.id}/export.qdpx?audio=1&crlf=1", headers=bearer(session, interviewer))
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    assert "attachment" in response.headers["content-disposition"]
    assert list(_open(response.content)[1].iter(f"{NS}AudioSource"))
    assert client.get(f"/api/studies/{study.id}/export.qdpx", headers=bearer(session, manager)).status_code == 403
    assert client.get("/api/studies/999/export.qdpx", headers=bearer(session, interviewer)).status_code == 404
    assert client.get(f"/api/studies/{study.id}/export.qdpx").status_code == 401
    sign_in(client, "analyst@example.com")
    page = client.get(f"/studies/{study.id}/export.qdpx")
    assert page.status_code == 200 and zipfile.is_zipfile(io.BytesIO(page.content))
    assert not list((settings.data_dir / "tmp").glob("export-*"))  # the temporary file is gone
    spec = client.get("/openapi.json").json()["paths"]
    assert set(spec["/api/studies/{study_id}/export.qdpx"]["get"]["responses"]) >= {"200", "401", "403", "404"}
    assert set(spec["/api/studies/{study_id}/import"]["post"]["responses"]) >= \
        {"200", "400", "401", "403", "404", "409", "413", "415", "422"}
