"""dossiers.applicant_name_key: the applicant's name folded for search (R-7.1, issue 9)

Lower case without Vietnamese diacritics (engine/domain/search_text.py), so officials find
"Đặng Thị Ánh" by typing "dang thi anh" or "ĐẶNG": SQLite's lower() only folds ASCII and
PostgreSQL's depends on the server's locale. Existing dossiers are backfilled from applicant_name.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 21:45:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    from engine.domain.search_text import fold

    with op.batch_alter_table('dossiers', schema=None) as b:
        b.add_column(sa.Column('applicant_name_key', sa.String(length=255), nullable=True))
        b.create_index(b.f('ix_dossiers_applicant_name_key'), ['applicant_name_key'], unique=False)
    bind = op.get_bind()
    d = sa.table('dossiers', sa.column('id'), sa.column('applicant_name'), sa.column('applicant_name_key'))
    for row in bind.execute(sa.select(d.c.id, d.c.applicant_name).where(d.c.applicant_name.is_not(None))).all():
        bind.execute(d.update().where(d.c.id == row.id).values(applicant_name_key=fold(row.applicant_name)[:255]))


def downgrade() -> None:
    with op.batch_alter_table('dossiers', schema=None) as b:
        b.drop_index(b.f('ix_dossiers_applicant_name_key'))
        b.drop_column('applicant_name_key')
