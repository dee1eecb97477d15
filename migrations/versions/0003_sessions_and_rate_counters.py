"""sessions end on password change or deactivation; login limits shared by every API process

Accounts get a token generation (local tokens carry it; raising it ends every session).
The per-account failure counter moves to rate_counters, which counts per username whether the
account exists or not, and per client address.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 17:40:00
"""
from alembic import op
import sqlalchemy as sa
import engine.persistence.models

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rate_counters',
    sa.Column('scope', sa.String(length=32), nullable=False),
    sa.Column('subject', sa.String(length=128), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.Column('resets_at', engine.persistence.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'subject', name=op.f('pk_rate_counters'))
    )
    with op.batch_alter_table('rate_counters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rate_counters_resets_at'), ['resets_at'], unique=False)

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_generation', sa.Integer(), server_default='0', nullable=False))
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')


def downgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('locked_until', engine.persistence.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.drop_column('token_generation')

    with op.batch_alter_table('rate_counters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_counters_resets_at'))

    op.drop_table('rate_counters')
