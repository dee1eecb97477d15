"""feedback, feedback_events, feedback_code_counters: feedback and complaints (R-7.2, issue 10), cases
of procedure PAKN-01 kept apart from dossiers

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 00:00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import engine.persistence.models

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

_TIME = engine.persistence.models.UTCDateTime(timezone=True)
_JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=sa.Text()),
                                                'postgresql')
_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'feedback',
        sa.Column('id', _ID, autoincrement=True, nullable=False),
        sa.Column('code', sa.String(length=64), nullable=False),
        sa.Column('agency_id', sa.String(length=35), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('sender', _JSON, nullable=False),
        sa.Column('sender_id_number', sa.String(length=12), nullable=True),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('dossier_id', _ID, nullable=True),
        sa.Column('dossier_code', sa.String(length=64), nullable=True),
        sa.Column('received_at', _TIME, nullable=False),
        sa.Column('entered_at', _TIME, nullable=False),
        sa.Column('entered_by', sa.String(length=128), nullable=False),
        sa.Column('entry_due_at', _TIME, nullable=True),
        sa.Column('entered_late', sa.Boolean(), server_default='0', nullable=False),
        sa.Column('due_at', _TIME, nullable=False),
        sa.Column('assigned_to', sa.String(length=128), nullable=True),
        sa.Column('assigned_at', _TIME, nullable=True),
        sa.Column('answer', sa.Text(), nullable=True),
        sa.Column('answered_at', _TIME, nullable=True),
        sa.Column('answered_by', sa.String(length=128), nullable=True),
        sa.Column('timeliness', sa.String(length=16), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_feedback_dossier_id_dossiers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback')),
        sa.UniqueConstraint('code', name=op.f('uq_feedback_code')),
    )
    with op.batch_alter_table('feedback', schema=None) as b:
        b.create_index(b.f('ix_feedback_agency_id'), ['agency_id'], unique=False)
        b.create_index(b.f('ix_feedback_dossier_id'), ['dossier_id'], unique=False)
        b.create_index(b.f('ix_feedback_due_at'), ['due_at'], unique=False)
        b.create_index(b.f('ix_feedback_sender_id_number'), ['sender_id_number'], unique=False)
    op.create_table(
        'feedback_events',
        sa.Column('id', _ID, autoincrement=True, nullable=False),
        sa.Column('feedback_id', _ID, nullable=False),
        sa.Column('at', _TIME, nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('actor', sa.String(length=128), nullable=True),
        sa.Column('detail', _JSON, nullable=False),
        sa.ForeignKeyConstraint(['feedback_id'], ['feedback.id'], name=op.f('fk_feedback_events_feedback_id_feedback')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_events')),
    )
    with op.batch_alter_table('feedback_events', schema=None) as b:
        b.create_index(b.f('ix_feedback_events_feedback_id'), ['feedback_id'], unique=False)
    op.create_table(
        'feedback_code_counters',
        sa.Column('agency_id', sa.String(length=35), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('agency_id', 'day', name=op.f('pk_feedback_code_counters')),
    )


def downgrade() -> None:
    op.drop_table('feedback_code_counters')
    with op.batch_alter_table('feedback_events', schema=None) as b:
        b.drop_index(b.f('ix_feedback_events_feedback_id'))
    op.drop_table('feedback_events')
    with op.batch_alter_table('feedback', schema=None) as b:
        b.drop_index(b.f('ix_feedback_sender_id_number'))
        b.drop_index(b.f('ix_feedback_due_at'))
        b.drop_index(b.f('ix_feedback_dossier_id'))
        b.drop_index(b.f('ix_feedback_agency_id'))
    op.drop_table('feedback')
