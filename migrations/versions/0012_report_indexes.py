"""dossiers: partial index of dossiers whose deadline basis records pauses (reports, N-4)

The on-time report counts an open dossier past due as late unless it was paused for a supplement
at the as-of instant; those are few, and this index finds them without a second scan.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 20:45:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_dossiers_pausing', 'dossiers', ['due_at'], unique=False,
                    postgresql_where=sa.text("due_basis ? 'pauses' OR paused_since IS NOT NULL"),
                    sqlite_where=sa.text("json_extract(due_basis, '$.pauses') IS NOT NULL OR paused_since IS NOT NULL"))


def downgrade() -> None:
    op.drop_index('ix_dossiers_pausing', table_name='dossiers')
