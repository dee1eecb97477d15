"""TEMPORARY (reports branch only): dossier columns the lead's issue-9 migration adds; dropped on rebase.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 20:30:00
"""
from alembic import op
import sqlalchemy as sa
import engine.persistence.models

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timeliness', sa.String(16), nullable=True))
        batch_op.add_column(sa.Column('timeliness_reappointed', sa.String(16), nullable=True))
        batch_op.add_column(sa.Column('applicant_name', sa.String(255), nullable=True))
        batch_op.add_column(sa.Column('paused_since', engine.persistence.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('fee', engine.persistence.models.Json, nullable=True))
        batch_op.add_column(sa.Column('returned_at', engine.persistence.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('return_channel', sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        for c in ('return_channel', 'returned_at', 'fee', 'paused_since', 'applicant_name'):
            batch_op.drop_column(c)
        batch_op.drop_column('timeliness_reappointed')
        batch_op.drop_column('timeliness')
