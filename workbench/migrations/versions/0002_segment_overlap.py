"""segments say when another speaker talks over them

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('transcriptsegment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('overlap', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('transcriptsegment', schema=None) as batch_op:
        batch_op.drop_column('overlap')
