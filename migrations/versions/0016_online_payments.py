"""online_payments: an applicant's online payment of a dossier's fee (R-6.2), written before the
payment platform is asked, so two requests never charge twice and a charge the dossier could not
take is kept for refund (found breaking issue 10)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 03:30:00
"""
from alembic import op
import sqlalchemy as sa

import engine.persistence.models

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

_TIME = engine.persistence.models.UTCDateTime(timezone=True)
_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'online_payments',
        sa.Column('id', _ID, autoincrement=True, nullable=False),
        sa.Column('dossier_id', _ID, nullable=False),
        sa.Column('order_id', sa.String(length=80), nullable=False),
        sa.Column('attempt', sa.Integer(), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('payer_id_number', sa.String(length=12), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('reference', sa.String(length=128), nullable=True),
        sa.Column('detail', sa.Text(), nullable=True),
        sa.Column('started_at', _TIME, nullable=False),
        sa.Column('updated_at', _TIME, nullable=False),
        sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_online_payments_dossier_id_dossiers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_online_payments')),
        sa.UniqueConstraint('dossier_id', name=op.f('uq_online_payments_dossier_id')),
        sa.UniqueConstraint('order_id', name=op.f('uq_online_payments_order_id')),
    )
    with op.batch_alter_table('online_payments', schema=None) as b:
        b.create_index(b.f('ix_online_payments_state'), ['state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('online_payments', schema=None) as b:
        b.drop_index(b.f('ix_online_payments_state'))
    op.drop_table('online_payments')
