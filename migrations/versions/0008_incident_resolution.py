"""incidents.resolved_by, incidents.resolution_note: an incident closed by hand says who and why

`motcua incidents resolve` (and the administrators' API) closes an incident with a note; the sweep
closing it by firing again leaves both empty.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 20:40:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resolved_by', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('resolution_note', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_column('resolution_note')
        batch_op.drop_column('resolved_by')
