"""Fixtures shared by the workbench tests."""

import pytest

from tests.factories import make_user, sign_in


@pytest.fixture
def analyst(client, session):
    """An analyst, signed in on `client`."""
    user = make_user(session, "analyst")
    sign_in(client, "analyst@example.com")
    return user


@pytest.fixture
def cli(settings, monkeypatch):
    """Run `perche` in-process against the test's database: cli("export", 1, "--segments", path, input=...)."""
    from typer.testing import CliRunner

    from workbench.cli import app
    from workbench.settings import get_settings

    monkeypatch.setenv("PERCHE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("PERCHE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PERCHE_ASR_ENGINE", settings.asr_engine)
    monkeypatch.setenv("PERCHE_CODING_EMBEDDER", settings.coding_embedder)
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args, **kw: runner.invoke(app, [str(a) for a in args], **kw)
    get_settings.cache_clear()
