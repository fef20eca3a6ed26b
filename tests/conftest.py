"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL when PERCHE_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from tests.s3_server import s3_server, s3_settings  # noqa: F401 - fixtures: a SeaweedFS, settings storing in it
from workbench.db import get_engine, upgrade_database
from workbench.jobs import MEMORY
from workbench.settings import Settings

# pyannote is imported only inside the diarization functions (at test time), so this is in place before it.
os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "0")
_SESSION_DIR = Path(tempfile.mkdtemp(prefix="perche-tests-"))
ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
TEST_DATABASE_URL = os.environ.get("PERCHE_TEST_DATABASE_URL", "")


def reset_database(settings: Settings) -> None:
    if settings.resolved_database_url.startswith("postgresql"):
        with get_engine(settings).begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        # Pooled connections hold prepared plans for the dropped tables.
        get_engine(settings).dispose()
    upgrade_database(settings)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with their own data folder and an empty, migrated database; jobs run inline as they are queued."""
    value = Settings(data_dir=tmp_path / "data", database_url=TEST_DATABASE_URL, queue_url=MEMORY,
                     asr_engine="tests.fakes:FakeEngine", secret_key="test-secret-key", diarization=False,
                     coding_embedder="tests.fakes:FakeEmbedder",
                     model_cache=Path(os.environ.get("PERCHE_MODEL_CACHE", str(_SESSION_DIR / "models"))))
    value.ensure_dirs()
    reset_database(value)
    return value


@pytest.fixture
def session(settings: Settings) -> Iterator[Session]:
    with Session(get_engine(settings), expire_on_commit=False) as db:
        yield db


@pytest.fixture(autouse=True, scope="session")
def synchronous_audit() -> None:
    """Audit events are written as they are recorded, so each test reads its own."""
    from workbench.services import audit

    audit.set_synchronous(True)


@pytest.fixture
def app(settings: Settings):
    from workbench.app import create_app

    return create_app(settings, start_worker=False)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"the evaluation data is not at {SHARED_DATA}")
    return SHARED_DATA
