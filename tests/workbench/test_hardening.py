"""Hardening: session versions, sign-in throttling, API tokens, demo users, redirects, imports, headers."""

from datetime import timedelta

import pytest
from sqlmodel import select

from tests.factories import PASSWORD, bearer, csrf_from, make_study, make_user, sign_in
from workbench import security
from workbench.models import ApiToken, AuditEvent, LoginFailure, User, utcnow
from workbench.security import safe_local_path
from workbench.services import users as user_service


def _login(client, email, password=PASSWORD, **headers):
    token = csrf_from(client.get("/login").text)
    return client.post("/login", data={"email": email, "password": password, "csrftoken": token},
                       headers=headers, follow_redirects=False)


def _actions(session, action):
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)))


# --- sessions ---------------------------------------------------------------------------------------


def test_the_session_cookie_carries_the_session_version_not_the_password_hash(client, session):
    user = make_user(session, "analyst")
    sign_in(client, user.email)
    import base64
    import json

    from itsdangerous import TimestampSigner

    raw = TimestampSigner("test-secret-key").unsign(client.cookies.get("perche_session"))
    data = json.loads(base64.b64decode(raw))
    assert data == {"user_id": user.id, "sv": 0}


def test_sign_out_everywhere_ends_every_session_of_the_user(app, session):
    from fastapi.testclient import TestClient

    user = make_user(session, "analyst")
    with TestClient(app) as laptop, TestClient(app) as phone:
        sign_in(laptop, user.email)
        sign_in(phone, user.email)
        assert phone.get("/studies", follow_redirects=False).status_code == 200
        response = laptop.post("/logout/everywhere", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/login"
        assert phone.get("/studies", follow_redirects=False).status_code == 303
        assert laptop.get("/studies", follow_redirects=False).status_code == 303
        sign_in(phone, user.email)  # signing in again works
        assert phone.get("/studies", follow_redirects=False).status_code == 200
    [event] = _actions(session, "session.revoke")
    assert event.user_id == user.id and event.target == f"user:{user.id}"


def test_an_admin_signs_another_user_out_everywhere(app, session):
    from fastapi.testclient import TestClient

    admin = make_user(session, "admin")
    analyst = make_user(session, "analyst")
    with TestClient(app) as admin_client, TestClient(app) as analyst_client:
        sign_in(analyst_client, analyst.email)
        sign_in(admin_client, admin.email)
        page = admin_client.get("/admin/users")
        assert f"/admin/users/{analyst.id}/sessions/revoke" in page.text
        assert "Sign out of every device" in page.text and "API tokens are" in page.text.replace("\n      ", " ")
        admin_client.post(f"/admin/users/{analyst.id}/sessions/revoke", follow_redirects=False)
        assert analyst_client.get("/studies", follow_redirects=False).status_code == 303
        assert admin_client.get("/studies", follow_redirects=False).status_code == 200
        notice = f"{analyst.email} is signed out on every device"
        assert notice in admin_client.get("/admin/users").text  # the confirmation, once
        assert notice not in admin_client.get("/admin/users").text


@pytest.mark.parametrize("change", ["role", "deactivate", "password"])
def test_a_role_change_deactivation_or_new_password_ends_the_sessions(app, session, change):
    from fastapi.testclient import TestClient

    admin = make_user(session, "admin")
    analyst = make_user(session, "analyst")
    with TestClient(app) as client:
        sign_in(client, analyst.email)
        if change == "role":
            user_service.update_user(session, user_id=analyst.id, role="manager", acting_user=admin)
        elif change == "deactivate":
            user_service.update_user(session, user_id=analyst.id, active=False, acting_user=admin)
        else:
            user_service.set_password(session, user=analyst, password="another long one", acting_user=admin)
        assert client.get("/studies", follow_redirects=False).status_code == 303
    assert session.get(User, analyst.id).session_version == 1


def test_accounts_made_by_an_admin_or_a_command_are_audited(client, session):
    admin = make_user(session, "admin")
    assert _actions(session, "user.create") == []  # test factories are no one's action
    sign_in(client, admin.email)
    client.post("/admin/users", data={"email": "new@example.com", "password": "long enough pw", "role": "analyst"})
    client.post(f"/admin/users/{admin.id + 1}", data={"role": "manager"})
    [created] = _actions(session, "user.create")
    assert created.user_id == admin.id and created.detail["email"] == "new@example.com"
    [changed] = _actions(session, "user.role")
    assert changed.detail == {"email": "new@example.com", "from": "analyst", "to": "manager"}


# --- sign-in ----------------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_for_a_while(client, session):
    user = make_user(session, "analyst")
    for _ in range(user_service.MAX_FAILURES_PER_ACCOUNT):
        assert _login(client, user.email, "wrong password").status_code == 400
    response = _login(client, user.email)  # even the right password, while locked
    assert response.status_code == 429
    assert "Too many failed sign-ins for this account" in response.text and "Try again in 15 minutes" in response.text
    assert int(response.headers["retry-after"]) > 800
    assert 'value="analyst@example.com"' in response.text  # the form again, with the e-mail kept
    # JSON clients get the same as an error body
    json_response = _login(client, user.email, accept="application/json")
    assert json_response.status_code == 429 and json_response.json()["status"] == 429
    # after the window, the right password works and clears the account's failures
    for row in session.exec(select(LoginFailure)):
        row.at = utcnow() - timedelta(minutes=16)
        session.add(row)
    session.commit()
    assert _login(client, user.email).status_code == 303
    assert session.exec(select(LoginFailure).where(LoginFailure.email == user.email)).first() is None


def test_guesses_sent_in_parallel_get_no_more_verifications_than_the_limit(session, settings):
    """Each attempt counts before its password is checked: parallel guesses cannot all slip past the check."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from sqlmodel import Session

    from workbench.db import get_engine
    from workbench.services.users import TooManyAttempts

    user = make_user(session, "analyst")
    guesses = 3 * user_service.MAX_FAILURES_PER_ACCOUNT
    start = threading.Barrier(guesses)

    def guess(number: int) -> str:
        with Session(get_engine(settings), expire_on_commit=False) as own:
            start.wait()
            try:
                user_service.authenticate(own, email=user.email, password=f"guess {number}", address=f"10.0.0.{number}")
            except TooManyAttempts:
                return "throttled"
            return "verified"

    with ThreadPoolExecutor(max_workers=guesses) as pool:
        outcomes = list(pool.map(guess, range(guesses)))
    # At most the limit get their password checked; under a burst it may be none (each counts the others'
    # attempts, already recorded), which only ever errs towards refusing.
    assert outcomes.count("verified") <= user_service.MAX_FAILURES_PER_ACCOUNT, outcomes
    with pytest.raises(TooManyAttempts):  # and the right password waits for the window too
        user_service.authenticate(session, email=user.email, password=PASSWORD, address="10.0.1.1")
    assert session.exec(select(LoginFailure).where(LoginFailure.email == user.email)).all()


def test_a_successful_sign_in_clears_the_accounts_failures(client, session):
    user = make_user(session, "analyst")
    for _ in range(user_service.MAX_FAILURES_PER_ACCOUNT - 1):
        _login(client, user.email, "wrong password")
    assert _login(client, user.email).status_code == 303
    client.cookies.clear()
    for _ in range(user_service.MAX_FAILURES_PER_ACCOUNT - 1):
        _login(client, user.email, "wrong password")
    assert _login(client, user.email).status_code == 303  # not locked: the earlier failures were cleared


def test_one_address_trying_many_accounts_is_throttled(client, session):
    for n in range(user_service.MAX_FAILURES_PER_ADDRESS):
        assert _login(client, f"nobody{n}@example.com", "whatever pw").status_code == 400
    make_user(session, "analyst")
    response = _login(client, "analyst@example.com")
    assert response.status_code == 429 and "this address" in response.text


def test_old_failures_are_pruned(client, session):
    session.add(LoginFailure(email="old@example.com", address="10.0.0.1", at=utcnow() - timedelta(days=2)))
    session.commit()
    _login(client, "someone@example.com", "wrong password")
    emails = {row.email for row in session.exec(select(LoginFailure))}
    assert emails == {"someone@example.com"}


def test_a_failed_sign_in_is_audited_without_the_password(client, session):
    make_user(session, "analyst")
    _login(client, "analyst@example.com", "my secret guess")
    [event] = _actions(session, "login.failed")
    assert event.detail["email"] == "analyst@example.com" and event.user_id is None
    assert "my secret guess" not in str(event.detail) + event.target


def test_an_unknown_email_verifies_a_dummy_hash_like_a_wrong_password(client, session, monkeypatch):
    """The same work (one argon2 verification) for an unknown e-mail as for a wrong password."""
    make_user(session, "analyst")
    verified = []
    real_verify = security._hasher.verify

    def counting_verify(password, hash_):
        verified.append(hash_)
        return real_verify(password, hash_)

    monkeypatch.setattr(security._hasher, "verify", counting_verify)
    _login(client, "nobody@example.com", "some password")
    _login(client, "analyst@example.com", "some password")
    assert len(verified) == 2
    assert verified[0] == security.dummy_password_hash() and verified[0].startswith("$argon2")
    assert verified[1] == session.exec(select(User)).one().password_hash
    assert verified[0].split("$")[3] == verified[1].split("$")[3]  # same argon2 parameters


# --- API tokens -------------------------------------------------------------------------------------


def test_tokens_expire_and_say_so(client, session):
    user = make_user(session, "analyst")
    headers = bearer(session, user)
    token = session.exec(select(ApiToken)).one()
    assert token.expires_at is not None and token.expires_at - utcnow() > timedelta(days=89)
    token.expires_at = utcnow() - timedelta(minutes=1)
    session.add(token)
    session.commit()
    response = client.get("/api/studies", headers=headers)
    assert response.status_code == 401 and "expired on" in response.json()["detail"]


def test_revoked_tokens_are_refused_with_a_message(client, session):
    admin = make_user(session, "admin")
    headers = bearer(session, admin)
    assert client.get("/api/studies", headers=headers).status_code == 200
    token = session.exec(select(ApiToken)).one()
    user_service.revoke_token(session, token_id=token.id, acting_user=admin)
    response = client.get("/api/studies", headers=headers)
    assert response.status_code == 401 and "revoked on" in response.json()["detail"]
    assert [e.target for e in _actions(session, "token.create")] == [f"token:{token.id}"]
    assert [e.target for e in _actions(session, "token.revoke")] == [f"token:{token.id}"]


def test_last_use_is_written_at_most_once_an_hour(client, session):
    user = make_user(session, "analyst")
    headers = bearer(session, user)
    client.get("/api/studies", headers=headers)
    first = session.exec(select(ApiToken)).one().last_used_at
    assert first is not None
    client.get("/api/studies", headers=headers)
    session.expire_all()
    assert session.exec(select(ApiToken)).one().last_used_at == first  # no write on the second request
    token = session.exec(select(ApiToken)).one()
    token.last_used_at = utcnow() - timedelta(hours=2)
    session.add(token)
    session.commit()
    client.get("/api/studies", headers=headers)
    session.expire_all()
    assert session.exec(select(ApiToken)).one().last_used_at > first


def test_the_admin_page_lists_tokens_and_revokes_one(client, session):
    admin = make_user(session, "admin")
    analyst = make_user(session, "analyst")
    user_service.create_token(session, user=analyst, name="CRM sync", days=30)
    sign_in(client, admin.email)
    page = client.get("/admin/users")
    assert "CRM sync" in page.text and "analyst@example.com" in page.text
    token = session.exec(select(ApiToken)).one()
    assert client.post(f"/admin/tokens/{token.id}/revoke", follow_redirects=False).status_code == 303
    session.expire_all()
    assert session.get(ApiToken, token.id).revoked_at is not None
    page = client.get("/admin/users").text
    assert ">revoked<" in page and f"API token #{token.id} (CRM sync) is revoked" in page
    assert "is revoked" not in client.get("/admin/users").text


def test_an_admin_sees_a_locked_account_and_unlocks_it(app, client, session):
    from fastapi.testclient import TestClient

    admin = make_user(session, "admin")
    analyst = make_user(session, "analyst")
    for _ in range(user_service.MAX_FAILURES_PER_ACCOUNT):
        assert _login(client, analyst.email, "wrong password").status_code == 400
    assert _login(client, analyst.email).status_code == 429
    with TestClient(app) as admin_client:
        sign_in(admin_client, admin.email)
        page = admin_client.get("/admin/users").text
        assert f"/admin/users/{analyst.id}/unlock" in page and f"/admin/users/{admin.id}/unlock" not in page
        assert admin_client.post(f"/admin/users/{analyst.id}/unlock", follow_redirects=False).status_code == 303
        page = admin_client.get("/admin/users").text
        assert f"{analyst.email} is unlocked" in page and f"/admin/users/{analyst.id}/unlock" not in page
    assert session.exec(select(LoginFailure).where(LoginFailure.email == analyst.email)).all() == []
    assert _login(client, analyst.email).status_code == 303
    [event] = _actions(session, "user.unlock")
    assert event.user_id == admin.id and event.target == f"user:{analyst.id}"
    assert event.detail["failures_cleared"] == user_service.MAX_FAILURES_PER_ACCOUNT


def test_token_cli_creates_lists_and_revokes(settings, session, monkeypatch):
    from typer.testing import CliRunner

    from workbench.cli import app as cli_app
    from workbench.settings import get_settings

    monkeypatch.setenv("PERCHE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("PERCHE_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    try:
        make_user(session, "analyst")
        runner = CliRunner()
        created = runner.invoke(cli_app, ["token", "create", "analyst@example.com", "--name", "BI", "--days", "7"])
        assert created.exit_code == 0, created.output
        token = session.exec(select(ApiToken)).one()
        assert token.name == "BI" and timedelta(days=6) < token.expires_at - utcnow() <= timedelta(days=7)
        listed = runner.invoke(cli_app, ["token", "list", "analyst@example.com"])
        assert "BI" in listed.output and "active" in listed.output and created.output.strip() not in listed.output
        revoked = runner.invoke(cli_app, ["token", "revoke", str(token.id)])
        assert revoked.exit_code == 0 and "Revoked token" in revoked.output
        assert "revoked" in runner.invoke(cli_app, ["token", "list"]).output
        missing = runner.invoke(cli_app, ["token", "revoke", "999"])
        assert missing.exit_code == 1 and "perche token list" in missing.output
        bad = runner.invoke(cli_app, ["token", "create", "analyst@example.com", "--days", "0"])
        assert bad.exit_code == 1 and "at least 1 day" in bad.output
    finally:
        get_settings.cache_clear()


# --- demo users -------------------------------------------------------------------------------------


def _demo_user(session):
    return user_service.create_user(session, email="admin@perche.demo", password="perche-admin", role="admin",
                                    is_demo=True)


def test_perche_demo_flags_its_users(session, settings):
    from workbench.demo import load_demo_users

    load_demo_users(session)
    users = list(session.exec(select(User)))
    assert len(users) == 4 and all(u.is_demo for u in users)
    assert not make_user(session, "analyst").is_demo


def test_demo_users_are_refused_at_sign_in_in_production(settings, session):
    from fastapi.testclient import TestClient

    from workbench.app import create_app

    demo = _demo_user(session)
    user_service.update_user(session, user_id=demo.id, active=False, acting_user=None)  # so the app starts
    demo.active = True
    production = settings.model_copy(update={"env": "production"})
    app = create_app(production, start_worker=False)
    with TestClient(app) as client:  # started while the demo user was disabled
        session.add(demo)
        session.commit()
        response = _login(client, "admin@perche.demo", "perche-admin")
        assert response.status_code == 403 and "demo account" in response.text
        api = client.get("/api/studies", headers=bearer(session, demo))  # nor with an API token
        assert api.status_code == 403 and "demo account" in api.json()["detail"]
        make_user(session, "analyst")
        assert _login(client, "analyst@example.com").status_code == 303


def test_the_app_refuses_to_start_in_production_while_a_demo_user_is_active(settings, session):
    from fastapi.testclient import TestClient

    from workbench.app import create_app

    _demo_user(session)
    app = create_app(settings.model_copy(update={"env": "production"}), start_worker=False)
    with pytest.raises(RuntimeError, match="perche user deactivate --demo"), TestClient(app):
        pass
    with TestClient(create_app(settings, start_worker=False)) as client:  # development: it starts
        assert _login(client, "admin@perche.demo", "perche-admin").status_code == 303


def test_user_deactivate_demo_and_the_serve_warning(settings, session, monkeypatch, capsys):
    from typer.testing import CliRunner

    from workbench import cli
    from workbench.cli import server
    from workbench.settings import get_settings

    monkeypatch.setenv("PERCHE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("PERCHE_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    try:
        _demo_user(session)
        server._warn_about_demo_users(get_settings())
        assert "perche user deactivate --demo" in capsys.readouterr().err.replace("\n", " ")
        result = CliRunner().invoke(cli.app, ["user", "deactivate", "--demo"])
        assert result.exit_code == 0 and "Disabled admin@perche.demo" in result.output
        assert user_service.active_demo_users(session) == []
        server._warn_about_demo_users(get_settings())
        assert "demo" not in capsys.readouterr().err
    finally:
        get_settings.cache_clear()


# --- redirects --------------------------------------------------------------------------------------


EVIL_TARGETS = ["//evil.com", "/\\evil.com", "https://evil.com", "javascript:alert(1)", "%2F%2Fevil.com",
                "/\t/evil.com", "/\n/evil.com", "\t//evil.com", " //evil.com", "http:/evil.com", "/\\/evil.com",
                "///evil.com", "evil.com", "", None]


@pytest.mark.parametrize("target", EVIL_TARGETS)
def test_safe_local_path_refuses_other_sites(target):
    assert safe_local_path(target) == "/studies"


@pytest.mark.parametrize("target", ["/studies/3", "/studies/3?segment=SMB#top", "/interviews/5/report?lang=it"])
def test_safe_local_path_keeps_local_paths(target):
    assert safe_local_path(target) == target


@pytest.mark.parametrize("target", ["//evil.com", "/\\evil.com", "https://evil.com", "/\t/evil.com", "%2F%2Fevil.com"])
def test_login_next_never_leaves_the_site(client, session, target):
    make_user(session, "analyst")
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"email": "analyst@example.com", "password": PASSWORD, "csrftoken": token,
                                           "next": target}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/studies"
    assert "evil" not in client.get("/login", params={"next": target}).text


def test_a_review_decision_goes_back_only_to_a_local_referer(client, session):
    make_user(session, "analyst")
    sign_in(client, "analyst@example.com")
    study = make_study(session)
    for referer in ("https://evil.com/interviews/1", "https://evil.com//evil.com/interviews/"):
        response = client.post(f"/studies/{study.id}/units/999", data={"action": "none"},
                               headers={"referer": referer}, follow_redirects=False)
        location = response.headers.get("location", "")
        assert not location.startswith(("//", "http")) and "evil.com/" not in location.split("?")[0][:12]


# --- imports ----------------------------------------------------------------------------------------


def test_a_codebook_over_the_limit_is_a_413(client, session):
    from workbench.services.codebook import MAX_CODEBOOK_BYTES

    admin = make_user(session, "admin")
    study = make_study(session)
    huge = b"codes:\n" + b"- path: x\n  name: " + b"a" * MAX_CODEBOOK_BYTES + b"\n"
    response = client.put(f"/api/studies/{study.id}/codebook", content=huge,
                          headers={**bearer(session, admin), "content-type": "application/yaml"})
    assert response.status_code == 413 and "2 MB" in response.json()["detail"]
    sign_in(client, admin.email)
    response = client.post(f"/studies/{study.id}/codebook/import",
                           files={"file": ("codebook.yaml", huge, "application/yaml")})
    assert response.status_code == 413 and "2 MB" in response.text


# --- headers ----------------------------------------------------------------------------------------


def test_every_page_carries_the_security_headers(client, session):
    make_user(session, "analyst")
    sign_in(client, "analyst@example.com")
    for path in ("/login", "/studies", "/api/studies", "/nowhere", "/static/app.js"):
        headers = client.get(path).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy, path
        assert "default-src 'self'" in policy and "base-uri 'none'" in policy and "form-action 'self'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "same-origin"


def test_the_api_docs_page_gets_its_own_wider_policy(client):
    policy = client.get("/docs").headers["content-security-policy"]
    assert "https://cdn.jsdelivr.net" in policy and "frame-ancestors 'none'" in policy


def test_templates_hold_no_inline_script_or_style_attribute():
    import re

    from workbench.web import ROOT

    for folder in (ROOT / "templates", ROOT / "storytelling" / "templates"):
        for path in folder.rglob("*.html"):
            text = path.read_text()
            assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
            assert not re.search(r"\son[a-z]+\s*=", text), path
            assert not re.search(r"\sstyle\s*=", text), path


def test_the_report_stylesheet_is_allowed_by_its_hash(client, session):
    import re

    study = make_study(session)
    sign_in(client, make_user(session, "manager").email)
    page = client.get(f"/studies/{study.id}/report")
    assert page.status_code == 200
    styles = re.findall(r"<style>(.*?)</style>", page.text, re.DOTALL)
    assert styles, "the report carries its stylesheet"
    for css in styles:
        assert "&#34;" not in css and "&quot;" not in css  # not HTML-escaped: quotes in CSS must stay quotes
        assert security.style_hash(css) in page.headers["content-security-policy"]


def test_a_405_carries_the_allow_header(client, session):
    admin = make_user(session, "admin")
    response = client.patch("/api/studies", headers=bearer(session, admin))
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}


def test_session_cookie_flags_are_unchanged(client, session):
    make_user(session, "analyst")
    cookie = _login(client, "analyst@example.com").headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()


# --- numbers typed by hand --------------------------------------------------------------------------


def test_superscript_digits_are_a_clear_4xx_not_a_500(client, session):
    """'²'.isdigit() is True, int('²') raises: every number read by hand takes ASCII digits only."""
    from workbench.models import Interview

    admin = make_user(session, "admin")
    headers = bearer(session, admin)
    study = make_study(session)
    interview = Interview(study_id=study.id, respondent_name="Mario Rossi")
    session.add(interview)
    session.commit()
    page = client.get("/admin/audit", params={"before": "²"}, headers=headers)
    assert page.status_code == 422 and "before" in page.text
    assert client.get("/admin/audit", params={"study": "²"}, headers=headers).status_code == 422
    assert client.get("/admin/audit.csv", params={"study": "١٢"}, headers=headers).status_code == 422
    found = client.post("/admin/erase/find", data={"kind": "interview", "q": "²"}, headers=headers)
    assert found.status_code == 400 and "by its number" in found.text
    erased = client.post("/admin/erase", headers=headers,
                         data={"kind": "interview", "q": str(interview.id), "ids": "²", "confirm": "ERASE"})
    assert erased.status_code == 400 and "changed since the list was shown" in erased.text
    response = client.post(f"/interviews/{interview.id}/rating", headers=headers,
                           data={"value": "8", "scale": "0-10", "question_id": "²"})
    assert response.status_code == 400
    assert client.get(f"/api/studies/{study.id}/interviews", params={"cursor": "²"}, headers=headers
                      ).status_code == 422
