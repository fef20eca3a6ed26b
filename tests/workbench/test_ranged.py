"""The audio route's range requests: HEAD, invalid and unsatisfiable ranges, several ranges, a client gone early."""

from __future__ import annotations

import asyncio
import io

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session
from starlette.requests import Request

from tests.factories import bearer, make_interview, make_study, make_user
from workbench.ranged import ranged_response
from workbench.settings import Settings


@pytest.fixture
def audio(client: TestClient, session: Session, settings: Settings) -> tuple[str, dict[str, str], int]:
    interview, _job = make_interview(session, settings, make_study(session))
    headers = bearer(session, make_user(session, "admin"))
    url = f"/interviews/{interview.id}/audio"
    size = len(client.get(url, headers=headers).content)
    return url, headers, size


def test_head_answers_the_headers_without_a_body(client: TestClient, audio: tuple[str, dict[str, str], int]) -> None:
    url, headers, size = audio
    whole = client.head(url, headers=headers)
    assert whole.status_code == 200 and whole.content == b""
    assert whole.headers["content-length"] == str(size) and whole.headers["accept-ranges"] == "bytes"
    part = client.head(url, headers={**headers, "Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == b""
    assert part.headers["content-range"] == f"bytes 10-19/{size}" and part.headers["content-length"] == "10"


@pytest.mark.parametrize("header", ["bytes=5-3", "bytes=abc", "items=0-10", "bytes=-"])
def test_an_invalid_range_is_ignored(client: TestClient, audio: tuple[str, dict[str, str], int], header: str) -> None:
    url, headers, size = audio
    response = client.get(url, headers={**headers, "Range": header})
    assert response.status_code == 200 and len(response.content) == size


@pytest.mark.parametrize("header", ["bytes=999999999-", "bytes=-0"])
def test_an_unsatisfiable_range_is_refused(client: TestClient, audio: tuple[str, dict[str, str], int],
                                           header: str) -> None:
    url, headers, size = audio
    response = client.get(url, headers={**headers, "Range": header})
    assert response.status_code == 416 and response.headers["content-range"] == f"bytes */{size}"


def test_several_ranges_get_the_whole_body(client: TestClient, audio: tuple[str, dict[str, str], int]) -> None:
    url, headers, size = audio
    response = client.get(url, headers={**headers, "Range": "bytes=0-9,20-29"})
    assert response.status_code == 200 and len(response.content) == size
    one = client.get(url, headers={**headers, "Range": "bytes=20-29"})
    assert one.status_code == 206 and one.content == response.content[20:30]


class Tracked(io.BytesIO):
    closes = 0

    def close(self) -> None:
        Tracked.closes += 1
        super().close()


def test_the_stream_is_closed_when_the_client_leaves_before_the_body() -> None:
    scope = {"type": "http", "method": "GET", "path": "/a", "headers": [(b"range", b"bytes=0-9")],
             "query_string": b"", "asgi": {"version": "3.0", "spec_version": "2.4"}}
    stream = Tracked(b"x" * 1000)
    response = ranged_response(Request(scope), stream, filename="a.wav")

    async def receive() -> dict[str, str]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        raise OSError("the client went away")

    with pytest.raises(Exception):  # noqa: B017 - Starlette's ClientDisconnect or the OSError
        asyncio.run(response(scope, receive, send))
    assert stream.closed
