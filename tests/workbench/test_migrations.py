from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from workbench.db import get_engine


def test_migrations_match_the_models(settings):
    """A model change without its Alembic migration fails here."""
    with get_engine(settings).connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []
