"""attachments.is_result: an official marks the file that is the dossier's result; only those (and
the applicant's own files) reach the applicant after an online return (R-6.1), never the officials'
working documents (found breaking issue 10). Files stored before this are not results: privacy
first, an official re-attaches a result with is_result=true if an applicant still needs it.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 04:45:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('attachments', schema=None) as b:
        b.add_column(sa.Column('is_result', sa.Boolean(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('attachments', schema=None) as b:
        b.drop_column('is_result')
