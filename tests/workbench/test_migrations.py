from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from workbench.db import get_engine


def test_migrations_match_the_models(settings):
    """A model change without its Alembic migration fails here."""
    with get_engine(settings).connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []


def test_an_older_sqlite_database_with_rows_upgrades(tmp_path):
    """SQLite rebuilds a table to change a column; rows pointing at it (foreign keys) must not stop that."""
    from alembic import command
    from sqlalchemy import text

    from workbench.db import alembic_config, upgrade_database
    from workbench.settings import Settings

    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'old.db'}")
    engine = get_engine(settings)
    config = alembic_config(settings)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0007")
    with engine.begin() as connection:
        for statement in (
            ("INSERT INTO user (id, email, name, role, password_hash, active, created_at) "
             "VALUES (1, 'a@b.it', 'A', 'analyst', 'x', 1, '2026-01-01')"),
            ("INSERT INTO study (id, name, language, interview_type, glossary, created_at) "
             "VALUES (1, 'S', 'it', 'phone', '[]', '2026-01-01')"),
            ("INSERT INTO interview (id, study_id, account, respondent_name, respondent_role, segment, region, "
             "product_line, journey_stage, channel, interviewer_name, consent_recorded, language, status, created_at) "
             "VALUES (1, 1, 'Acme', '', '', '', '', '', '', '', '', 0, 'it', 'transcribed', '2026-01-01')"),
            ("INSERT INTO transcriptsegment "
             "(id, interview_id, position, start, \"end\", text, asr_text, words, overlap) "
             "VALUES (1, 1, 0, 0.0, 2.0, 'Bene', 'Bene', '[]', 0)"),
            ("INSERT INTO codedunit (id, interview_id, segment_id, position, start_char, end_char, text, language, "
             "reason_explicit, confidence) VALUES (1, 1, 1, 0, 0, 4, 'Bene', 'it', 1, 1.0)"),
        ):
            connection.execute(text(statement))
    upgrade_database(settings)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM codedunit")).scalar() == 1
        assert connection.execute(text("SELECT session_version FROM user")).scalar() == 0
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []


def test_tokens_and_demo_users_from_before_0009_get_an_expiry_and_their_flag(settings):
    """Tokens issued before 0009 expire 90 days after their creation; an older `perche demo`'s users are flagged."""
    from datetime import UTC, datetime, timedelta

    from alembic import command
    from sqlalchemy import text

    from workbench.db import alembic_config, upgrade_database

    engine = get_engine(settings)
    config = alembic_config(settings)
    with engine.begin() as connection:  # the test database is at head: back to 0009, then rows as they were
        config.attributes["connection"] = connection
        command.downgrade(config, "0009")
    with engine.begin() as connection:
        for number, email in enumerate(("admin@perche.demo", "Analyst@Perche.Demo", "real@example.com"), start=1):
            connection.execute(text(
                "INSERT INTO \"user\" (id, email, name, role, password_hash, active, created_at, session_version, "
                "is_demo) VALUES (:id, :email, 'U', 'analyst', 'x', true, :at, 0, false)"),
                {"id": number, "email": email, "at": datetime(2026, 1, 1, tzinfo=UTC)})
        for number, expires in ((1, None), (2, datetime(2027, 6, 1, tzinfo=UTC))):
            connection.execute(text(
                "INSERT INTO apitoken (id, user_id, token_hash, name, created_at, expires_at) "
                "VALUES (:id, 3, :hash, '', :created, :expires)"),
                {"id": number, "hash": f"h{number}", "created": datetime(2026, 1, 10, 12, tzinfo=UTC),
                 "expires": expires})
    upgrade_database(settings)
    from sqlmodel import Session, select

    from workbench.models import ApiToken, User

    with Session(engine) as session:
        expiries = {t.id: t.expires_at.replace(tzinfo=t.expires_at.tzinfo or UTC)
                    for t in session.exec(select(ApiToken))}
        assert expiries == {1: datetime(2026, 1, 10, 12, tzinfo=UTC) + timedelta(days=90),
                            2: datetime(2027, 6, 1, tzinfo=UTC)}
        flags = {u.email: u.is_demo for u in session.exec(select(User))}
        assert flags == {"admin@perche.demo": True, "Analyst@Perche.Demo": True, "real@example.com": False}
        diff = compare_metadata(MigrationContext.configure(session.connection()), SQLModel.metadata)
    assert diff == []
