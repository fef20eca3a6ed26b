from sqlmodel import select

from tests.factories import PASSWORD, bearer, csrf_from, make_user, sign_in
from workbench.models import User


def test_login_with_right_password_starts_a_session(client, session):
    make_user(session, "analyst")
    sign_in(client, "analyst@example.com")
    page = client.get("/studies")
    assert page.status_code == 200
    assert "analyst@example.com" in page.text or "Analyst" in page.text


def test_wrong_password_is_refused_with_a_message(client, session):
    make_user(session, "analyst")
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"email": "analyst@example.com", "password": "nope-nope",
                                           "csrftoken": token})
    assert response.status_code == 400
    assert "wrong" in response.text
    assert client.get("/studies", follow_redirects=False).status_code == 303


def test_passwords_are_stored_hashed(session):
    make_user(session, "admin")
    stored = session.exec(select(User)).one().password_hash
    assert PASSWORD not in stored and stored.startswith("$argon2")


def test_pages_redirect_to_login_and_back(client):
    response = client.get("/studies/3?segment=SMB", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/studies/3%3Fsegment%3DSMB"


def test_login_does_not_redirect_off_site(client, session):
    make_user(session, "analyst")
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"email": "analyst@example.com", "password": PASSWORD,
                                           "csrftoken": token, "next": "//evil.example/"}, follow_redirects=False)
    assert response.headers["location"] == "/studies"


def test_logout_ends_the_session(client, session):
    make_user(session, "analyst")
    sign_in(client, "analyst@example.com")
    assert client.post("/logout", follow_redirects=False).status_code == 303
    assert client.get("/studies", follow_redirects=False).status_code == 303


def test_form_posts_without_csrf_token_are_refused(client, session):
    make_user(session, "interviewer")
    sign_in(client, "interviewer@example.com")
    del client.headers["x-csrftoken"]
    response = client.post("/studies", data={"name": "Sneaky"})
    assert response.status_code == 403
    assert "expired" in response.text


def test_session_cookie_is_http_only(client, session):
    make_user(session, "analyst")
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"email": "analyst@example.com", "password": PASSWORD,
                                           "csrftoken": token}, follow_redirects=False)
    cookie = response.headers["set-cookie"]
    assert "perche_session=" in cookie and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()


def test_disabled_user_cannot_sign_in(client, session):
    user = make_user(session, "analyst")
    user.active = False
    session.add(user)
    session.commit()
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrftoken": token})
    assert response.status_code == 400


def test_api_needs_a_valid_token(client, session):
    user = make_user(session, "interviewer")
    assert client.get("/api/studies").status_code == 401
    assert client.get("/api/studies", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/api/studies", headers=bearer(session, user)).status_code == 200
