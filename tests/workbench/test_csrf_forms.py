"""Plain (non-htmx) multipart forms carry their CSRF token in the body, before the file."""

import re

from tests.factories import make_study, make_user, sign_in

CODEBOOK = b"codes:\n  - path: delivery/late\n    name: Late deliveries\n"


def _plain_browser(client, session):
    make_user(session, "analyst")
    study = make_study(session)
    sign_in(client, "analyst@example.com")
    token = client.headers.pop("x-csrftoken")
    return study, token


def _multipart(parts: list[tuple[str, str | None, bytes]]) -> tuple[bytes, str]:
    boundary = "perche-test-boundary"
    body = b""
    for name, filename, value in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + value + b"\r\n"
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def test_a_file_form_with_its_token_first_is_accepted_without_javascript(client, session):
    study, token = _plain_browser(client, session)
    body, content_type = _multipart([("csrftoken", None, token.encode()), ("file", "codes.yaml", CODEBOOK)])
    response = client.post(f"/studies/{study.id}/codebook/import", content=body,
                           headers={"content-type": content_type}, follow_redirects=False)
    assert response.status_code == 303
    assert "Late deliveries" in client.get(f"/studies/{study.id}/codebook").text


def test_a_file_before_the_token_or_a_wrong_token_is_refused(client, session):
    study, token = _plain_browser(client, session)
    for parts in ([("file", "codes.yaml", CODEBOOK), ("csrftoken", None, token.encode())],
                  [("csrftoken", None, b"forged"), ("file", "codes.yaml", CODEBOOK)]):
        body, content_type = _multipart(parts)
        response = client.post(f"/studies/{study.id}/codebook/import", content=body,
                               headers={"content-type": content_type})
        assert response.status_code == 403
        assert "expired" in response.text
    assert not re.search("Late deliveries", client.get(f"/studies/{study.id}/codebook").text)
