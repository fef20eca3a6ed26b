"""when a job's message was last put on the queue

Revision ID: 0011
Revises: 0010

Recovery re-sends a queued job's message only when it has waited past a threshold since it was
last enqueued (not every queued job every minute). Rows made before this count from their creation.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enqueued_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.execute("UPDATE job SET enqueued_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_column('enqueued_at')
