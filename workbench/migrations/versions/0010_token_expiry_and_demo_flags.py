"""token expiry and demo flags for rows made before 0009

Revision ID: 0010
Revises: 0009

API tokens issued before 0009 have no expiry: they get the default lifetime from their creation
(90 days, PERCHE_TOKEN_DAYS's default), so a token left over from then has expired or soon does.
Users an older `perche demo` made (e-mails at perche.demo, the demo's domain) are flagged as demo
users, so production refuses them like the demo users made now.
"""
from datetime import timedelta

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import UTCDateTime

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

TOKEN_DAYS = 90
DEMO_DOMAIN = "@perche.demo"

apitoken = sa.table('apitoken', sa.column('id', sa.Integer()), sa.column('created_at', UTCDateTime()),
                    sa.column('expires_at', UTCDateTime()))
user = sa.table('user', sa.column('email', sa.String()), sa.column('is_demo', sa.Boolean()))


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(apitoken.c.id, apitoken.c.created_at)
                              .where(apitoken.c.expires_at.is_(None))).all()
    for token_id, created_at in rows:  # in Python: date arithmetic differs between SQLite and PostgreSQL
        connection.execute(apitoken.update().where(apitoken.c.id == token_id)
                           .values(expires_at=created_at + timedelta(days=TOKEN_DAYS)))
    connection.execute(user.update().where(sa.func.lower(user.c.email).like('%' + DEMO_DOMAIN))
                       .values(is_demo=True))


def downgrade() -> None:
    pass  # the expiries and flags are right for the older schema too
