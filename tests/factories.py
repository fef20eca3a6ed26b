"""Factories for test data: users, studies, audio, signed-in clients."""

from __future__ import annotations

import io
import re
import wave

import numpy as np
from fastapi.testclient import TestClient
from sqlmodel import Session

from workbench.models import Role, Study, User
from workbench.services import studies as study_service
from workbench.services import users as user_service

PASSWORD = "correct horse battery"


def make_user(session: Session, role: Role | str = Role.interviewer, email: str | None = None) -> User:
    role = Role(role)
    return user_service.create_user(session, email=email or f"{role.value}@example.com", password=PASSWORD,
                                    role=role, name=role.value.title())


def make_study(session: Session, name: str = "Satisfaction 2026", language: str = "en") -> Study:
    data = study_service.StudyIn(name=name, language=language, guide=[
        {"text": "How is the relationship going?"},
        {"text": "How likely are you to recommend us?", "kind": "rating", "scale": "nps"},
    ])
    return study_service.create_study(session, data=data, created_by=None)


def wav_bytes(seconds: float = 2.0, rate: int = 16000, freq: float = 220.0, seed: int = 0) -> bytes:
    """A small mono 16-bit WAV; different seeds give different content (and hashes)."""
    t = np.arange(int(seconds * rate)) / rate
    noise = np.random.default_rng(seed).normal(0, 0.01, t.size)
    samples = (0.3 * np.sin(2 * np.pi * freq * t) + noise) * 32767
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.astype("<i2").tobytes())
    return buffer.getvalue()


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrftoken" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> TestClient:
    """Sign in through the login form; later unsafe requests carry the CSRF header like htmx does."""
    page = client.get("/login")
    token = csrf_from(page.text)
    response = client.post("/login", data={"email": email, "password": password, "csrftoken": token,
                                           "next": "/studies"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    client.headers["x-csrftoken"] = client.cookies.get("csrftoken")
    return client


def bearer(session: Session, user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {user_service.create_token(session, user=user)}"}


def make_interview(session: Session, settings, study: Study, meta: dict[str, str] | None = None,
                   seconds: float = 2.0, seed: int = 0):
    """An uploaded interview of `study` with its queued transcription job: (interview, job)."""
    from workbench import storage
    from workbench.services import interviews as interview_service

    tmp = settings.data_dir / "tmp" / "in.wav"
    tmp.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_bytes(wav_bytes(seconds, seed=seed))
    with tmp.open("rb") as handle:
        staged = storage.stage_upload(settings, handle, "in.wav")
    tmp.unlink()
    return interview_service.create_interview(session, settings, study=study, staged=staged,
                                              meta=interview_service.parse_meta(meta or {}), created_by=None)
