"""ready_tasks.owner indexed: the inbox's "visible to me" reads by owner too (issue 15)

An official sees the tasks of their agency and roles OR assigned to them OR delegated by them.
Without an index on owner, PostgreSQL could not combine the three indexes (BitmapOr) and read
the whole table for every inbox page: 47 ms at 20,000 open dossiers, growing with them
(bench/inbox_bench.py).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 22:15:00
"""
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_ready_tasks_owner', 'ready_tasks', ['owner'])


def downgrade() -> None:
    op.drop_index('ix_ready_tasks_owner', table_name='ready_tasks')
