"""procedure review: submission, announcing decision, repeals and the procedure audit trail (issue 12)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 20:40:00
"""
from alembic import op
import sqlalchemy as sa
import engine.persistence.models
from sqlalchemy.dialects import postgresql

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), 'postgresql')
_TIME = engine.persistence.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('procedure_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submitted_at', _TIME, nullable=True))
        batch_op.add_column(sa.Column('submitted_by', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('decision_number', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('decision_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('backdate_reason', sa.Text(), nullable=True))

    op.create_table('procedure_repeals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('procedure_id', sa.Integer(), nullable=False),
    sa.Column('effective_from', _TIME, nullable=False),
    sa.Column('decision_number', sa.String(length=64), nullable=False),
    sa.Column('decision_date', sa.Date(), nullable=False),
    sa.Column('replaced_by', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('repealed_by', sa.String(length=128), nullable=False),
    sa.Column('repealed_at', _TIME, nullable=False),
    sa.ForeignKeyConstraint(['procedure_id'], ['procedures.id'], name=op.f('fk_procedure_repeals_procedure_id_procedures')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_procedure_repeals'))
    )
    with op.batch_alter_table('procedure_repeals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_procedure_repeals_procedure_id'), ['procedure_id'], unique=False)

    op.create_table('procedure_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('procedure_id', sa.Integer(), nullable=False),
    sa.Column('version_number', sa.Integer(), nullable=True),
    sa.Column('at', _TIME, nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('decision_number', sa.String(length=64), nullable=True),
    sa.Column('decision_date', sa.Date(), nullable=True),
    sa.Column('detail', _JSON, nullable=False),
    sa.ForeignKeyConstraint(['procedure_id'], ['procedures.id'], name=op.f('fk_procedure_events_procedure_id_procedures')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_procedure_events'))
    )
    with op.batch_alter_table('procedure_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_procedure_events_procedure_id'), ['procedure_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_procedure_events_at'), ['at'], unique=False)


def downgrade() -> None:
    op.drop_table('procedure_events')
    op.drop_table('procedure_repeals')
    with op.batch_alter_table('procedure_versions', schema=None) as batch_op:
        for column in ('backdate_reason', 'decision_date', 'decision_number', 'submitted_by', 'submitted_at'):
            batch_op.drop_column(column)
