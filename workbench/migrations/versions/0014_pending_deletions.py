"""stored files to delete after an erasure, kept until they are gone (an outbox)

Revision ID: 0014
Revises: 0013

`pendingdeletion` holds a row a stored file (a recording or a classifier) whose rows an erasure, a
retention run or a retrain removed. It is written in the same transaction and deleted once the file is
gone, so a store unavailable at the time is tried again by the workers and the privacy commands.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pendingdeletion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('storage_key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('pendingdeletion')
