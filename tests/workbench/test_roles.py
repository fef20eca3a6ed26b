"""Every route, tried as every role: allowed means not 401/403, forbidden means a 403 page or JSON."""

import pytest
from fastapi.routing import APIRoute

from tests.factories import bearer, make_study, make_user, wav_bytes
from workbench.models import Role

# (method, path) -> who may: a permission name, "signed-in" (any role) or "public".
EXPECTED = {
    ("GET", "/"): "signed-in",
    ("GET", "/login"): "public",
    ("POST", "/login"): "public",
    ("POST", "/logout"): "public",
    ("GET", "/studies"): "view_studies",
    ("GET", "/studies/new"): "create_study",
    ("POST", "/studies"): "create_study",
    ("GET", "/studies/{study_id}"): "view_studies",
    ("GET", "/studies/{study_id}/upload"): "upload",
    ("POST", "/studies/{study_id}/glossary"): "edit_transcript",
    ("POST", "/studies/{study_id}/interviews"): "upload",
    ("GET", "/interviews/{interview_id}"): "view_interviews",
    ("GET", "/interviews/{interview_id}/transcript"): "view_interviews",
    ("GET", "/interviews/{interview_id}/audio"): "view_interviews",
    ("POST", "/interviews/{interview_id}/metadata"): "edit_metadata",
    ("POST", "/interviews/{interview_id}/segments/{segment_id}"): "edit_transcript",
    ("POST", "/interviews/{interview_id}/speakers/{speaker_id}"): "edit_transcript",
    ("POST", "/interviews/{interview_id}/segments/{segment_id}/speaker"): "edit_transcript",
    ("POST", "/interviews/{interview_id}/speakers/{speaker_id}/merge"): "edit_transcript",
    ("POST", "/studies/{study_id}/redaction"): "code",
    ("POST", "/interviews/{interview_id}/segments/{segment_id}/redaction"): "code",
    ("POST", "/interviews/{interview_id}/rating"): "code",
    ("GET", "/studies/{study_id}/codebook"): "view_coding",
    ("POST", "/studies/{study_id}/codebook"): "code",
    ("POST", "/studies/{study_id}/codebook/import"): "code",
    ("GET", "/studies/{study_id}/codebook/export"): "view_coding",
    # REFI-QDA: the project holds every transcript; importing a .qdpx also needs `upload` (checked in the route)
    **{("GET", f"{prefix}/studies/{{study_id}}/export.qdpx"): "view_interviews" for prefix in ("", "/api")},
    **{("POST", f"{prefix}/studies/{{study_id}}/import"): "code" for prefix in ("", "/api")},
    ("POST", "/studies/{study_id}/codebook/{code_id}"): "code",
    ("POST", "/studies/{study_id}/codebook/{code_id}/merge"): "code",
    ("POST", "/studies/{study_id}/codebook/{code_id}/split"): "code",
    ("POST", "/studies/{study_id}/codebook/{code_id}/delete"): "code",
    ("POST", "/studies/{study_id}/discover"): "code",
    ("POST", "/studies/{study_id}/proposals/{proposal_id}/accept"): "code",
    ("POST", "/studies/{study_id}/proposals/{proposal_id}/dismiss"): "code",
    ("GET", "/studies/{study_id}/review"): "code",
    ("POST", "/studies/{study_id}/units/{unit_id}"): "code",
    ("POST", "/studies/{study_id}/retrain"): "code",
    ("POST", "/studies/{study_id}/recode"): "code",
    ("GET", "/studies/{study_id}/questions"): "view_coding",
    ("GET", "/studies/{study_id}/agreement"): "view_coding",
    ("GET", "/studies/{study_id}/report"): "view_reports",
    ("GET", "/studies/{study_id}/report.pdf"): "view_reports",
    ("GET", "/studies/{study_id}/report/quotes"): "view_reports",
    ("GET", "/studies/{study_id}/report/loop"): "edit_stories",
    ("GET", "/studies/{study_id}/units/{unit_id}/clip"): "view_reports",
    ("POST", "/studies/{study_id}/loop/{interview_id}"): "edit_stories",
    ("GET", "/studies/{study_id}/stories"): "view_reports",
    ("GET", "/interviews/{interview_id}/story"): "view_reports",
    ("GET", "/interviews/{interview_id}/story.pdf"): "view_reports",
    ("POST", "/interviews/{interview_id}/story"): "edit_stories",
    ("POST", "/interviews/{interview_id}/story/status"): "edit_stories",
    ("GET", "/jobs/{job_id}"): "view_interviews",
    ("GET", "/admin/users"): "manage_users",
    ("POST", "/admin/users"): "manage_users",
    ("POST", "/admin/users/{user_id}"): "manage_users",
    **{(method, path): "audit" for method, path in (
        ("GET", "/admin/audit"), ("GET", "/admin/audit.csv"), ("GET", "/api/audit"), ("GET", "/admin/erase"),
        ("POST", "/admin/erase/find"), ("POST", "/admin/erase"), ("GET", "/admin/retention"),
        ("POST", "/admin/retention"))},
    ("POST", "/admin/users/{user_id}/sessions/revoke"): "manage_users",
    ("POST", "/admin/tokens/{token_id}/revoke"): "manage_users",
    ("POST", "/admin/users/{user_id}/unlock"): "manage_users",
    ("POST", "/logout/everywhere"): "signed-in",
    ("POST", "/api/studies"): "create_study",
    ("GET", "/api/studies"): "view_studies",
    ("GET", "/api/studies/{study_id}"): "view_studies",
    ("POST", "/api/studies/{study_id}/interviews"): "upload",
    ("GET", "/api/jobs/{job_id}"): "view_interviews",
    ("GET", "/api/interviews/{interview_id}/transcript"): "view_interviews",
    ("GET", "/api/interviews/{interview_id}/coding"): "view_interviews",
    ("GET", "/api/studies/{study_id}/report"): "view_reports",
    ("PUT", "/api/studies/{study_id}/codebook"): "code",
    ("GET", "/api/studies/{study_id}/codebook"): "view_coding",
    ("GET", "/api/studies/{study_id}/interviews"): "view_interviews",
    ("GET", "/api/interviews/{interview_id}"): "view_interviews",
    ("PATCH", "/api/interviews/{interview_id}"): "edit_metadata",
    ("PUT", "/api/interviews/{interview_id}/transcript"): "edit_transcript",
    ("GET", "/api/studies/{study_id}/stories"): "view_reports",
    ("GET", "/api/stories/{story_id}"): "view_reports",
    **{("GET", f"{prefix}/interviews/{{interview_id}}/transcript.{suffix}"): "view_interviews"
       for prefix in ("", "/api") for suffix in ("docx", "srt", "vtt", "txt", "f4.txt")},
    **{("GET", f"{prefix}/studies/{{study_id}}/export/{name}"): "view_coding"
       for prefix in ("", "/api") for name in ("segments.xlsx", "segments.csv", "ratings.xlsx", "ratings.csv",
                                               "codebook.xlsx")},
}
EXPECTED[("DELETE", "/api/interviews/{interview_id}")] = "code"  # last: it deletes the world's interview

# Who holds what, written out here independently of workbench.permissions.
ALLOWED = {
    "admin": {"view_studies", "view_interviews", "create_study", "upload", "edit_metadata", "edit_transcript",
              "view_coding", "code", "view_reports", "edit_stories", "manage_users", "view_personal_data", "audit"},
    "analyst": {"view_studies", "view_interviews", "create_study", "upload", "edit_metadata", "edit_transcript",
                "view_coding", "code", "view_reports", "edit_stories", "view_personal_data"},
    "interviewer": {"view_studies", "view_interviews", "create_study", "upload", "edit_metadata", "view_coding",
                    "view_reports", "view_personal_data"},
    "manager": {"view_studies", "view_coding", "view_reports"},
}


def _api_routes(routes, prefix=""):
    for route in routes:
        router = getattr(route, "original_router", None)  # FastAPI keeps included routers nested
        if router is not None:
            yield from _api_routes(router.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute):
            yield prefix + route.path, route


def _routes(app):
    for path, route in _api_routes(app.routes):
        for method in route.methods - {"HEAD"}:
            yield method, path


def test_every_route_is_in_the_matrix(app):
    assert set(_routes(app)) == set(EXPECTED)


@pytest.fixture
def world(client, session):
    """One of everything, owned by an admin, with a transcript to act on."""
    admin = make_user(session, "admin", email="owner@example.com")
    headers = bearer(session, admin)
    study = make_study(session)
    response = client.post(f"/api/studies/{study.id}/interviews", headers=headers,
                           files={"file": ("call.wav", wav_bytes(2.0), "audio/wav")})
    interview_id, job_id = response.json()["id"], response.json()["job_id"]
    page = client.get(f"/interviews/{interview_id}", headers=headers).text
    import re

    segment_id = re.search(r'id="segment-(\d+)"', page).group(1)
    speaker_id = re.search(r'/speakers/(\d+)"', page).group(1)
    from sqlmodel import select

    from workbench.models import Code, CodedUnit, ThemeProposal

    unit = session.exec(select(CodedUnit).where(CodedUnit.interview_id == interview_id)).first()
    code = session.exec(select(Code).where(Code.study_id == study.id).order_by(Code.id.desc())).first()
    proposal = ThemeProposal(study_id=study.id, label="A theme", keyphrases=[], unit_ids=[unit.id], examples=[])
    session.add(proposal)
    session.commit()
    from workbench.models import Interview
    from workbench.services import reports as report_service

    story = report_service.set_story_status(session, interview=session.get(Interview, interview_id),
                                            status="approved", user=admin)
    return {"study_id": study.id, "interview_id": interview_id, "job_id": job_id, "segment_id": segment_id,
            "story_id": story.id, "speaker_id": speaker_id, "user_id": admin.id, "unit_id": unit.id, "code_id": code.id,
            "proposal_id": proposal.id, "token_id": _spare_token_id(session, admin)}


def _spare_token_id(session, user) -> int:
    """A token of the owner's that no request uses, for the revoke route to act on."""
    from workbench.services import users as user_service

    user_service.create_token(session, user=user, name="spare")
    return user_service.list_tokens(session, user_id=user.id)[0][0].id


FORMS = {
    "/studies": {"name": "Role study"},
    "/studies/{study_id}/interviews": None,  # multipart, below
    "/interviews/{interview_id}/metadata": {"account": "Renamed"},
    "/interviews/{interview_id}/segments/{segment_id}": {"text": "Corrected text"},
    "/interviews/{interview_id}/speakers/{speaker_id}": {"display_name": "Laura", "role": "respondent"},
    "/interviews/{interview_id}/segments/{segment_id}/speaker": {"speaker_id": "{speaker_id}"},
    "/interviews/{interview_id}/speakers/{speaker_id}/merge": {"into": "{speaker_id}"},
    "/interviews/{interview_id}/rating": {"value": "7"},
    "/studies/{study_id}/codebook": {"path": "roles/new-code", "name": "New"},
    "/studies/{study_id}/codebook/{code_id}": {"path": "roles/renamed", "name": "Renamed"},
    "/studies/{study_id}/codebook/{code_id}/merge": {"into": "{code_id}"},
    "/studies/{study_id}/units/{unit_id}": {"action": "add", "new_code_id": "{code_id}"},
    "/studies/{study_id}/loop/{interview_id}": {"status": "contacted"},
    "/interviews/{interview_id}/story": {"text": "A short story."},
    "/interviews/{interview_id}/story/status": {"status": "approved"},
    "/admin/users": {"email": "new@example.com", "password": "long enough pw", "role": "manager"},
    "/admin/users/{user_id}": {"role": "admin"},
}


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_role_matrix(client, session, world, role):
    user = make_user(session, role, email=f"actor-{role}@example.com")
    headers = bearer(session, user)
    for (method, template), needed in EXPECTED.items():
        if needed == "public":
            continue
        path = template.format(**world)
        kwargs = {"headers": headers, "follow_redirects": False}
        if method == "POST":
            if template.endswith("/interviews"):
                kwargs["files"] = {"file": (f"{role}.wav", wav_bytes(1.0, seed=hash(role) % 1000), "audio/wav")}
            elif template == "/api/studies":
                kwargs["json"] = {"name": "API role study"}
            else:
                kwargs["data"] = {k: v.format(**world) for k, v in FORMS.get(template, {}).items()}
        response = client.request(method, path, **kwargs)
        allowed = needed == "signed-in" or needed in ALLOWED[role]
        if allowed:
            assert response.status_code not in (401, 403), (role, method, path, response.text[:300])
        else:
            assert response.status_code == 403, (role, method, path, response.status_code)
            if path.startswith("/api/"):
                assert "does not allow" in response.json()["detail"]
            else:
                assert "Not allowed" in response.text and "does not allow" in response.text


def test_forbidden_page_is_a_403_not_a_redirect(client, session):
    from tests.factories import sign_in

    make_user(session, "manager")
    sign_in(client, "manager@example.com")
    response = client.get("/studies/new", follow_redirects=False)
    assert response.status_code == 403
    assert "Ask an admin" in response.text
