"""The `perche` command, in-process, against the test's own data folder."""

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from tests.factories import make_study, wav_bytes
from workbench.cli import app
from workbench.models import Interview, Role, TranscriptSegment, User
from workbench.settings import get_settings


@pytest.fixture
def cli(settings, monkeypatch):
    monkeypatch.setenv("PERCHE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("PERCHE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PERCHE_ASR_ENGINE", settings.asr_engine)
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args, **kw: runner.invoke(app, list(args), **kw)
    get_settings.cache_clear()


def test_user_create_reads_the_password_from_stdin(cli, session):
    result = cli("user", "create", "ana@example.com", "--role", "analyst", "--password-stdin",
                 input="a long password\n")
    assert result.exit_code == 0, result.output
    user = session.exec(select(User)).one()
    assert user.role == Role.analyst and user.password_hash.startswith("$argon2")


def test_user_create_refuses_a_bad_role_and_a_short_password(cli):
    result = cli("user", "create", "x@example.com", "--role", "boss", "--password-stdin", input="long enough\n")
    assert result.exit_code == 1 and "Unknown role" in result.output
    result = cli("user", "create", "x@example.com", "--password-stdin", input="short\n")
    assert result.exit_code == 1 and "at least 8" in result.output


def test_token_create_prints_a_token_that_works(cli, client):
    cli("user", "create", "int@example.com", "--password-stdin", input="a long password\n")
    result = cli("token", "create", "int@example.com")
    token = result.output.strip()
    assert result.exit_code == 0 and token.startswith("pch_")
    assert client.get("/api/studies", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    missing = cli("token", "create", "nobody@example.com")
    assert missing.exit_code == 1 and "perche user create" in missing.output


def test_upload_transcribes_files_and_reports_bad_ones(cli, session, tmp_path):
    study = make_study(session)
    good = tmp_path / "call.wav"
    good.write_bytes(wav_bytes(2.0))
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    result = cli("upload", str(study.id), str(good), str(bad), "--meta", "account=Acme", "--meta", "segment=SMB",
                 "--process")
    assert result.exit_code == 1  # one file failed
    assert "notes.wav" in result.output and "interview #1" in result.output
    interview = session.exec(select(Interview)).one()
    assert interview.account == "Acme" and interview.segment == "SMB"
    assert len(session.exec(select(TranscriptSegment)).all()) == 4


def test_upload_refuses_bad_meta(cli, session, tmp_path):
    study = make_study(session)
    result = cli("upload", str(study.id), str(tmp_path / "x.wav"), "--meta", "nonsense")
    assert result.exit_code == 2 and "key=value" in result.output
