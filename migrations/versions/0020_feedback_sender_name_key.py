"""feedback.sender_name_key: the sender's name as Applicant.owns compares it (engine/domain/
applicant.py name_key: NFC, no case, spaces collapsed), so an applicant's "my feedback" is filtered
in SQL before the page is cut: the name was checked in Python after LIMIT, so a page could come
back empty and the total counted cases sent under their ID number with another name (R-7.1, R-7.2).
Existing cases are backfilled from the sender's name.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 06:20:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    from engine.domain.applicant import name_key

    with op.batch_alter_table('feedback', schema=None) as b:
        b.add_column(sa.Column('sender_name_key', sa.Text(), nullable=True))
    bind = op.get_bind()
    f = sa.table('feedback', sa.column('id'), sa.column('sender', sa.JSON()), sa.column('sender_name_key'))
    for row in bind.execute(sa.select(f.c.id, f.c.sender)).all():
        name = (row.sender or {}).get("name") if isinstance(row.sender, dict) else None
        if isinstance(name, str):
            bind.execute(f.update().where(f.c.id == row.id).values(sender_name_key=name_key(name)))


def downgrade() -> None:
    with op.batch_alter_table('feedback', schema=None) as b:
        b.drop_column('sender_name_key')
