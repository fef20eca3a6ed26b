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


def test_openapi_describes_the_api(client):
    spec = client.get("/openapi.json").json()
    assert "/api/studies/{study_id}/interviews" in spec["paths"]
    assert client.get("/docs").status_code == 200
