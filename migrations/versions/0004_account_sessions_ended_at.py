"""accounts.sessions_ended_at: SSO tokens issued before a deactivation or reactivation stay refused

Local tokens carry the account's token generation; SSO tokens carry only `iat`, so the time of the
last (de)activation is kept to refuse those issued before it (docs/operations.md: `activate` allows
new logins, never the old tokens).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 18:45:00
"""
from alembic import op
import sqlalchemy as sa
import engine.persistence.models

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sessions_ended_at', engine.persistence.models.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('sessions_ended_at')
