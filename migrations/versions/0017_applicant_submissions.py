"""applicant_submissions: online submissions sent with an Idempotency-Key and the dossier each made,
so the same key again returns that dossier instead of making a second (found breaking issue 10)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 04:00:00
"""
from alembic import op
import sqlalchemy as sa

import engine.persistence.models

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

_TIME = engine.persistence.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'applicant_submissions',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('id_number', sa.String(length=12), nullable=False),
        sa.Column('idempotency_key', sa.String(length=64), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('dossier_code', sa.String(length=64), nullable=False),
        sa.Column('created_at', _TIME, nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_applicant_submissions')),
        sa.UniqueConstraint('id_number', 'idempotency_key', name=op.f('uq_applicant_submissions_id_number_idempotency_key')),
    )


def downgrade() -> None:
    op.drop_table('applicant_submissions')
