import tempfile

from tests.factories import bearer, make_user, wav_bytes


def _study(client, headers, **overrides):
    body = {"name": "NPS 2026", "language": "en",
            "guide": [{"text": "How is it going?"}, {"text": "Recommend us?", "kind": "rating", "scale": "nps"}]}
    body.update(overrides)
    return client.post("/api/studies", json=body, headers=headers)


def test_upload_through_the_api_gives_a_job_and_then_a_transcript(client, session):
    headers = bearer(session, make_user(session, "interviewer"))
    created = _study(client, headers)
    assert created.status_code == 201
    study_id = created.json()["id"]
    assert client.get(f"/api/studies/{study_id}", headers=headers).json()["guide"][1]["scale_max"] == 10

    response = client.post(f"/api/studies/{study_id}/interviews", headers=headers,
                           files={"file": ("call.wav", wav_bytes(3.0), "audio/wav")},
                           data={"account": "Acme S.p.A.", "segment": "Enterprise", "language": "en"})
    assert response.status_code == 202, response.text
    body = response.json()
    job = client.get(f"/api/jobs/{body['job_id']}", headers=headers).json()
    assert job["status"] == "done" and job["progress"] == 1.0 and job["error"] is None

    transcript = client.get(f"/api/interviews/{body['id']}/transcript", headers=headers).json()
    assert transcript["language"] == "en"
    assert abs(transcript["duration"] - 3.0) < 0.05
    assert transcript["segments"][1]["text"].startswith("I would say an eight")
    assert {s["speaker"] for s in transcript["segments"]} == {"SPEAKER_00", "SPEAKER_01"}
    assert all(s["start"] < s["end"] for s in transcript["segments"])


def test_study_with_bad_fields_is_a_422_saying_what_is_wrong(client, session):
    headers = bearer(session, make_user(session, "interviewer"))
    response = _study(client, headers, language="fr")
    assert response.status_code == 422
    assert "language" in response.json()["detail"]
    response = _study(client, headers, guide=[{"text": "Score?", "kind": "rating"}])
    assert response.status_code == 422
    assert "scale" in response.json()["detail"]


def test_unknown_metadata_is_refused(client, session):
    headers = bearer(session, make_user(session, "interviewer"))
    study_id = _study(client, headers).json()["id"]
    response = client.post(f"/api/studies/{study_id}/interviews", headers=headers,
                           files={"file": ("call.wav", wav_bytes(), "audio/wav")}, data={"colour": "red"})
    assert response.status_code == 422
    assert "colour" in response.json()["detail"]


def test_missing_things_are_404(client, session):
    headers = bearer(session, make_user(session, "admin"))
    assert client.get("/api/jobs/999", headers=headers).status_code == 404
    assert client.get("/api/interviews/999/transcript", headers=headers).status_code == 404
    response = client.post("/api/studies/999/interviews", headers=headers,
                           files={"file": ("call.wav", wav_bytes(), "audio/wav")})
    assert response.status_code == 404
    # ids past the database's integer range (PostgreSQL: 2**31, SQLite: 2**63) are missing too, not a 500
    for huge in (2**31, 2**64):
        assert client.get(f"/api/interviews/{huge}/coding", headers=headers).status_code == 404
        assert client.get(f"/api/studies/{huge}/report", headers=headers).status_code == 404


def test_openapi_describes_the_api(client):
    spec = client.get("/openapi.json").json()
    assert "/api/studies/{study_id}/interviews" in spec["paths"]
    assert client.get("/docs").status_code == 200


def _coded_interview(client, headers, study_id):
    response = client.post(f"/api/studies/{study_id}/interviews", headers=headers,
                           files={"file": ("call.wav", wav_bytes(2.0), "audio/wav")}, data={"language": "en"})
    assert response.status_code == 202, response.text
    return response.json()["id"]


def test_coding_results_through_the_api(client, session):
    headers = bearer(session, make_user(session, "analyst"))
    study_id = _study(client, headers).json()["id"]
    interview_id = _coded_interview(client, headers, study_id)
    response = client.get(f"/api/interviews/{interview_id}/coding", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["coding_status"] == "done"
    assert body["ratings"] == [{"scale": "nps", "value": 8.0, "question": "Recommend us?", "source": "model"}]
    units = {u["text"]: u for u in body["units"]}
    invoices = units["Invoices arrive late and often with errors."]
    assert invoices["speaker"] == "SPEAKER_01" and invoices["start"] < invoices["end"]
    assert invoices["sentiment"] == "negative" and invoices["question"] in ("How is it going?", "Recommend us?", None)
    assert all(set(c) == {"code", "name", "sentiment", "confidence", "status", "source"} for c in invoices["codes"])
    assert all(c["status"] == "suggested" and c["source"] == "model" for u in body["units"] for c in u["codes"])
    assert not any("recommend" in text for text in units)  # the interviewer's questions are not coded

    manager = bearer(session, make_user(session, "manager"))
    assert client.get(f"/api/interviews/{interview_id}/coding", headers=manager).status_code == 403
    assert client.get("/api/interviews/999/coding", headers=headers).status_code == 404


CODEBOOK_YAML = """name: Flow
language: en
codes:
  - path: delivery
    name: Delivery
    description: Shipments, couriers and delivery times.
    examples: [The parcel came late.]
  - path: delivery/damaged
    name: Damaged goods
    examples: [The boxes arrived broken.]
"""


def test_replacing_the_codebook_through_the_api(client, session):
    headers = bearer(session, make_user(session, "analyst"))
    study_id = _study(client, headers).json()["id"]
    yaml_headers = {**headers, "Content-Type": "application/yaml"}
    replaced = client.put(f"/api/studies/{study_id}/codebook", content=CODEBOOK_YAML, headers=yaml_headers)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json() == {"added": 2, "updated": 0, "removed": 0, "recode_job_ids": []}
    exported = client.get(f"/studies/{study_id}/codebook/export?format=yaml", headers=headers).text
    assert "delivery/damaged" in exported and "invoicing" not in exported

    as_json = {"name": "Flow", "language": "en", "codes": [
        {"path": "delivery", "name": "Delivery"}, {"path": "invoicing", "name": "Invoicing",
                                                   "examples": ["The invoice was wrong."]}]}
    replaced = client.put(f"/api/studies/{study_id}/codebook", json=as_json, headers=headers)
    assert replaced.json() == {"added": 1, "updated": 1, "removed": 1, "recode_job_ids": []}

    interview_id = _coded_interview(client, headers, study_id)
    conflict = client.put(f"/api/studies/{study_id}/codebook", content=CODEBOOK_YAML, headers=yaml_headers)
    assert conflict.status_code == 409 and "recode=true" in conflict.json()["detail"]
    recoded = client.put(f"/api/studies/{study_id}/codebook?recode=true", content=CODEBOOK_YAML,
                         headers=yaml_headers)
    assert recoded.status_code == 200 and len(recoded.json()["recode_job_ids"]) == 1
    job = client.get(f"/api/jobs/{recoded.json()['recode_job_ids'][0]}", headers=headers).json()
    assert job["kind"] == "code" and job["status"] == "done"
    codes = {c["code"] for u in client.get(f"/api/interviews/{interview_id}/coding", headers=headers).json()["units"]
             for c in u["codes"]}
    assert codes <= {"delivery", "delivery/damaged"}


def test_a_malformed_codebook_is_a_422_naming_the_entry(client, session):
    headers = bearer(session, make_user(session, "analyst"))
    study_id = _study(client, headers).json()["id"]
    bad = {"codes": [{"path": "delivery", "name": "Delivery"}, {"name": "No path here"}]}
    response = client.put(f"/api/studies/{study_id}/codebook", json=bad, headers=headers)
    assert response.status_code == 422 and "code 2" in response.json()["detail"], response.text
    twice = {"codes": [{"path": "delivery"}, {"path": "delivery"}]}
    response = client.put(f"/api/studies/{study_id}/codebook", json=twice, headers=headers)
    assert response.status_code == 422 and "repeats the path of code 1" in response.json()["detail"]
    response = client.put(f"/api/studies/{study_id}/codebook", content="codes: [unclosed",
                          headers={**headers, "Content-Type": "application/yaml"})
    assert response.status_code == 422 and "YAML" in response.json()["detail"]
    assert tempfile.gettempdir() not in response.json()["detail"]
    response = client.put(f"/api/studies/{study_id}/codebook", content="{not json",
                          headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 422 and "JSON" in response.json()["detail"]
    response = client.put(f"/api/studies/{study_id}/codebook", content="path,name\n",
                          headers={**headers, "Content-Type": "text/csv"})
    assert response.status_code == 415
    # a path the codebook editor would refuse, or one longer than the database holds, is named too
    spaced = {"codes": [{"path": "delivery"}, {"path": "late deliveries"}]}
    response = client.put(f"/api/studies/{study_id}/codebook", json=spaced, headers=headers)
    assert response.status_code == 422 and "Code 2 ('late deliveries')" in response.json()["detail"]
    long = {"codes": [{"path": "delivery", "name": "D" * 201}]}
    response = client.put(f"/api/studies/{study_id}/codebook", json=long, headers=headers)
    assert response.status_code == 422 and "Code 1 ('delivery'): the name" in response.json()["detail"]
    response = client.put(f"/api/studies/{study_id}/codebook", json={"codes": [{"path": "d" * 201}]},
                          headers=headers)
    assert response.status_code == 422 and "longer than 200" in response.json()["detail"]
    interviewer = bearer(session, make_user(session, "interviewer"))
    assert client.put(f"/api/studies/{study_id}/codebook", json={"codes": [{"path": "x"}]},
                      headers=interviewer).status_code == 403


def test_openapi_documents_the_coding_results(client):
    spec = client.get("/openapi.json").json()
    coding = spec["paths"]["/api/interviews/{interview_id}/coding"]["get"]
    assert coding["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("CodingPublic")
    unit = spec["components"]["schemas"]["UnitPublic"]["properties"]
    assert {"id", "start", "end", "speaker", "text", "question", "sentiment", "reason", "codes"} <= set(unit)
    status = spec["components"]["schemas"]["CodePublic"]["properties"]["status"]
    assert set(status["enum"]) == {"suggested", "accepted", "rejected"}
    put = spec["paths"]["/api/studies/{study_id}/codebook"]["put"]
    assert {"application/yaml", "application/json"} <= set(put["requestBody"]["content"])


def test_a_nul_character_is_never_a_misleading_404(client, session, settings):
    headers = bearer(session, make_user(session, "interviewer"))
    response = client.post("/api/studies", headers=headers, json={"name": "NPS\x002026", "guide": []})
    if settings.resolved_database_url.startswith("postgresql"):
        # PostgreSQL cannot store it: the request is refused, saying why
        assert response.status_code == 422 and "NUL" in response.json()["detail"]
    else:
        assert response.status_code == 201
