"""The `perche` command, in-process, against the test's own data folder."""

import pytest
from sqlmodel import select

from tests.factories import make_study, wav_bytes
from workbench.models import Interview, Role, TranscriptSegment, User


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


def test_transcribe_prints_a_readable_transcript_and_writes_files(cli, tmp_path):
    import json

    audio = tmp_path / "call 1.wav"
    audio.write_bytes(wav_bytes(4.0))
    out = tmp_path / "out.json"
    result = cli("transcribe", str(audio), "--no-diarize", "--language", "en", "--json", str(out),
                 "--srt", str(tmp_path / "out.srt"), "--vtt", str(tmp_path / "out.vtt"),
                 "--rttm", str(tmp_path / "out.rttm"))
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert set(data) == {"language", "duration", "speakers", "segments"}
    assert data["language"] == "en" and data["duration"] == 4.0
    assert data["segments"][1]["text"].startswith("I would say an eight")
    assert data["segments"][1]["speaker"] == "SPEAKER_01" and data["segments"][1]["words"]
    assert "--> 00:00:0" in (tmp_path / "out.srt").read_text()
    assert (tmp_path / "out.vtt").read_text().startswith("WEBVTT")
    assert (tmp_path / "out.rttm").read_text().startswith("SPEAKER call_1 1 ")

    printed = cli("transcribe", str(audio), "--no-diarize")
    assert printed.exit_code == 0, printed.output
    assert "[00:00.0 → " in printed.output
    assert "SPEAKER_01 (respondent): I would say an eight, because" in printed.output


@pytest.mark.parametrize("args, message", [
    (["missing.wav"], "There is no file"),
    (["{audio}", "--engine", "whisperx"], "Unknown engine"),
    (["{audio}", "--language", "de"], "Unknown language"),
    (["{audio}", "--speakers", "2", "--max-speakers", "4"], "not both"),
    (["{audio}", "--min-speakers", "5", "--max-speakers", "3"], "larger than"),
    (["{audio}", "--json", "/no/such/folder/out.json"], "does not exist"),
])
def test_transcribe_refuses_bad_arguments(cli, tmp_path, args, message):
    audio = tmp_path / "call.wav"
    audio.write_bytes(wav_bytes(1.0))
    result = cli("transcribe", *[a.format(audio=audio) for a in args])
    assert result.exit_code == 2 and message in result.output


def test_transcribe_reports_unsupported_audio(cli, tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio at all")
    result = cli("transcribe", str(bad), "--no-diarize")
    assert result.exit_code == 1 and "Error:" in result.output
