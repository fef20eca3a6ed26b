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
            ("INSERT INTO transcriptsegment (id, interview_id, position, start, \"end\", text, asr_text, words, overlap) "
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
