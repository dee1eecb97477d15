"""dossiers.assigned_official: the official chosen in an assignment task (R-4.1, issue 9)

The dossier's next tasks of its competent agency with role `official` are given to that official
when they are created (engine/services/workflow_state.py).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 21:05:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('dossiers', schema=None) as b:
        b.add_column(sa.Column('assigned_official', sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('dossiers', schema=None) as b:
        b.drop_column('assigned_official')
