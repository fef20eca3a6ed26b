"""each study's data version (cache keys), and an index on coding events by interview

Revision ID: 0012
Revises: 0011

`study.data_version` is raised in the same transaction as every change to a study's data
(workbench.services.revisions); cached report data and summaries are keyed on it. Re-coding an
interview reads its logged decisions by interview: `codingevent.interview_id` gets an index.
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('study', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data_version', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('codingevent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_codingevent_interview_id'), ['interview_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('codingevent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_codingevent_interview_id'))
    with op.batch_alter_table('study', schema=None) as batch_op:
        batch_op.drop_column('data_version')
