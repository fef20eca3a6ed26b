"""marks shared by every process of the installation: erasures seen, the daily retention run

Revision ID: 0013
Revises: 0012

`clustermark` holds a row a name, moved with conditional updates: `erasures` (a counter each erasure
or retention run raises, so workers on other machines clear their embedding caches before their next
job) and `retention` (the day of the last daily run claimed, so one worker runs it a day).
"""
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table('clustermark',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('counter', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=True),
    sa.Column('changed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    now = datetime.now(UTC)
    op.execute(table.insert().values([{'name': 'erasures', 'counter': 0, 'day': None, 'changed_at': now},
                                      {'name': 'retention', 'counter': 0, 'day': None, 'changed_at': now}]))


def downgrade() -> None:
    op.drop_table('clustermark')
