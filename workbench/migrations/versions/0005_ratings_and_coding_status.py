"""every rating of an interview: one row per (interview, guide question, scale)

Revision ID: 0005
Revises: 0004
"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_interview_id'))
        batch_op.create_index(batch_op.f('ix_rating_interview_id'), ['interview_id'], unique=False)
        batch_op.create_unique_constraint('uq_rating_slot', ['interview_id', 'question_id', 'scale'])


def downgrade() -> None:
    # Keep one rating per interview (the analyst's, else the first stored) before restoring the unique index.
    op.execute(
        "DELETE FROM rating WHERE id NOT IN ("
        " SELECT COALESCE(MIN(CASE WHEN source = 'analyst' THEN id END), MIN(id)) FROM rating GROUP BY interview_id)"
    )
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.drop_constraint('uq_rating_slot', type_='unique')
        batch_op.drop_index(batch_op.f('ix_rating_interview_id'))
        batch_op.create_index(batch_op.f('ix_rating_interview_id'), ['interview_id'], unique=True)
