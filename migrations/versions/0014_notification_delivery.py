"""outbox: delivery of notifications to applicants (R-3.1, N-6, issue 10)

The notification worker (engine/services/notifications.py) claims `notification` rows, sends them
by e-mail and/or SMS, and records on the row when to try again (`next_attempt_at`, also the claim's
lease while a send is under way), when it last tried, which channels already went out
(`delivered`: channel -> {"to", "at"}) and, once it gives up, why (`delivery`: `failed` after the
last attempt, `undeliverable` when the applicant left no usable contact). Existing rows need
nothing: NULL means due now.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 23:55:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import engine.persistence.models

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

_TIME = engine.persistence.models.UTCDateTime(timezone=True)
_JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=sa.Text()),
                                                'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as b:
        b.add_column(sa.Column('next_attempt_at', _TIME, nullable=True))
        b.add_column(sa.Column('last_attempt_at', _TIME, nullable=True))
        b.add_column(sa.Column('delivery', sa.String(length=16), nullable=True))
        b.add_column(sa.Column('delivered', _JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as b:
        for c in ('delivered', 'delivery', 'last_attempt_at', 'next_attempt_at'):
            b.drop_column(c)
