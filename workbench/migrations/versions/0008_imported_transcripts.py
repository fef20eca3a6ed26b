"""imported transcripts: segments without timestamps, and the file a transcript came from

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('transcriptsegment', schema=None) as batch_op:
        batch_op.alter_column('start', existing_type=sa.Float(), nullable=True)
        batch_op.alter_column('end', existing_type=sa.Float(), nullable=True)
    with op.batch_alter_table('interview', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transcript_file', sa.String(length=255), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('coded_elsewhere', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('transcript_sha256', sa.String(length=64), nullable=False, server_default=''))
        batch_op.create_index('ix_interview_transcript_sha256', ['transcript_sha256'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('interview', schema=None) as batch_op:
        batch_op.drop_index('ix_interview_transcript_sha256')
        batch_op.drop_column('transcript_sha256')
        batch_op.drop_column('coded_elsewhere')
        batch_op.drop_column('transcript_file')
    with op.batch_alter_table('transcriptsegment', schema=None) as batch_op:
        batch_op.alter_column('end', existing_type=sa.Float(), nullable=False)
        batch_op.alter_column('start', existing_type=sa.Float(), nullable=False)
