"""dossier_ratings: the applicant's rating of a finished dossier (R-7.3, issue 10), one per dossier;
applicant_forms: the applicant's data store of the forms they submitted online (R-2.3)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 22:00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import engine.persistence.models

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

_TIME = engine.persistence.models.UTCDateTime(timezone=True)
_JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=sa.Text()),
                                                'postgresql')


def upgrade() -> None:
    op.create_table(
        'dossier_ratings',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('dossier_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('id_number', sa.String(length=12), nullable=False),
        sa.Column('rating', sa.String(length=16), nullable=False),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.Column('rated_at', _TIME, nullable=False),
        sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_dossier_ratings_dossier_id_dossiers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dossier_ratings')),
        sa.UniqueConstraint('dossier_id', name=op.f('uq_dossier_ratings_dossier_id')),
    )
    with op.batch_alter_table('dossier_ratings', schema=None) as b:
        b.create_index(b.f('ix_dossier_ratings_id_number'), ['id_number'], unique=False)
    op.create_table(
        'applicant_forms',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('id_number', sa.String(length=12), nullable=False),
        sa.Column('procedure_code', sa.String(length=64), nullable=False),
        sa.Column('dossier_code', sa.String(length=64), nullable=False),
        sa.Column('data', _JSON, nullable=False),
        sa.Column('saved_at', _TIME, nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_applicant_forms')),
    )
    with op.batch_alter_table('applicant_forms', schema=None) as b:
        b.create_index(b.f('ix_applicant_forms_id_number'), ['id_number'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('applicant_forms', schema=None) as b:
        b.drop_index(b.f('ix_applicant_forms_id_number'))
    op.drop_table('applicant_forms')
    with op.batch_alter_table('dossier_ratings', schema=None) as b:
        b.drop_index(b.f('ix_dossier_ratings_id_number'))
    op.drop_table('dossier_ratings')
