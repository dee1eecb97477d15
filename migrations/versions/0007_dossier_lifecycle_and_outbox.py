"""dossier lifecycle fields, back-entered steps, outbox (issue 9)

The lifecycle aggregate (engine/domain/dossier.py) keeps its fields on the dossier row; every
status change and notice is queued in `outbox` in the same transaction (N-8, R-9.5). Existing
dossiers are backfilled: applicant name and ID number from the applicant JSON (R-7.1 search), and
finished ones get their stored N-7 class and outcome `result` (they could only end processed).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 20:50:00
"""
from datetime import timezone

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
import engine.persistence.models

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=sa.Text()),
                                                'postgresql')
_TIME = engine.persistence.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('dossiers', schema=None) as b:
        b.add_column(sa.Column('applicant_name', sa.String(length=255), nullable=True))
        b.add_column(sa.Column('applicant_id_number', sa.String(length=12), nullable=True))
        b.add_column(sa.Column('on_the_spot', sa.Boolean(), server_default='0', nullable=False))
        b.add_column(sa.Column('outcome', sa.String(length=16), nullable=True))
        b.add_column(sa.Column('status_reason', sa.Text(), nullable=True))
        b.add_column(sa.Column('timeliness', sa.String(length=16), nullable=True))
        b.add_column(sa.Column('timeliness_reappointed', sa.String(length=16), nullable=True))
        b.add_column(sa.Column('paused_since', _TIME, nullable=True))
        b.add_column(sa.Column('supplements', sa.Integer(), server_default='0', nullable=False))
        b.add_column(sa.Column('forced_late', sa.Boolean(), server_default='0', nullable=False))
        b.add_column(sa.Column('fee', _JSON, nullable=True))
        b.add_column(sa.Column('result_ready_at', _TIME, nullable=True))
        b.add_column(sa.Column('returned_at', _TIME, nullable=True))
        b.add_column(sa.Column('return_channel', sa.String(length=16), nullable=True))
        b.add_column(sa.Column('tracking_number', sa.String(length=64), nullable=True))
        b.create_index(b.f('ix_dossiers_applicant_name'), ['applicant_name'], unique=False)
        b.create_index(b.f('ix_dossiers_applicant_id_number'), ['applicant_id_number'], unique=False)
        b.create_index(b.f('ix_dossiers_timeliness'), ['timeliness'], unique=False)
    with op.batch_alter_table('steps', schema=None) as b:
        b.add_column(sa.Column('back_entered', sa.Boolean(), server_default='0', nullable=False))
        b.add_column(sa.Column('back_entry_reason', sa.Text(), nullable=True))
    op.create_table(
        'outbox',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('topic', sa.String(length=16), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('dossier_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
        sa.Column('dossier_code', sa.String(length=64), nullable=True),
        sa.Column('at', _TIME, nullable=False),
        sa.Column('payload', _JSON, nullable=False),
        sa.Column('sent_at', _TIME, nullable=True),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_outbox_dossier_id_dossiers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    )
    with op.batch_alter_table('outbox', schema=None) as b:
        b.create_index('ix_outbox_pending', ['topic', 'sent_at', 'id'], unique=False)
        b.create_index(b.f('ix_outbox_dossier_id'), ['dossier_id'], unique=False)
    _backfill()


def _backfill() -> None:
    from engine.calendar import WorkingCalendar
    from engine.domain.timeliness import classify

    try:
        tz = WorkingCalendar.load().tz
    except Exception:  # a migration must not fail on a calendar file problem: the province's zone
        from zoneinfo import ZoneInfo
        tz = ZoneInfo("Asia/Ho_Chi_Minh")
    bind = op.get_bind()
    d = sa.table('dossiers', sa.column('id'), sa.column('applicant', _JSON), sa.column('completed_at', _TIME),
                 sa.column('due_at', _TIME), sa.column('applicant_name'), sa.column('applicant_id_number'),
                 sa.column('timeliness'), sa.column('outcome'))
    for row in bind.execute(sa.select(d.c.id, d.c.applicant, d.c.completed_at, d.c.due_at)).all():
        applicant = row.applicant if isinstance(row.applicant, dict) else {}
        name = applicant.get("name") if isinstance(applicant.get("name"), str) else None
        number = applicant.get("id_number")
        number = number if isinstance(number, str) and len(number) == 12 and number.isdigit() else None
        values = {"applicant_name": name[:255] if name else None, "applicant_id_number": number}
        if row.completed_at is not None:
            done = row.completed_at.replace(tzinfo=row.completed_at.tzinfo or timezone.utc)
            due = row.due_at.replace(tzinfo=row.due_at.tzinfo or timezone.utc) if row.due_at else None
            t = classify(done, due, tz)
            values.update(outcome="result", timeliness=t.value if t else None)
        bind.execute(d.update().where(d.c.id == row.id).values(**values))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as b:
        b.drop_index(b.f('ix_outbox_dossier_id'))
        b.drop_index('ix_outbox_pending')
    op.drop_table('outbox')
    with op.batch_alter_table('steps', schema=None) as b:
        b.drop_column('back_entry_reason')
        b.drop_column('back_entered')
    with op.batch_alter_table('dossiers', schema=None) as b:
        b.drop_index(b.f('ix_dossiers_timeliness'))
        b.drop_index(b.f('ix_dossiers_applicant_id_number'))
        b.drop_index(b.f('ix_dossiers_applicant_name'))
        for c in ('tracking_number', 'return_channel', 'returned_at', 'result_ready_at', 'fee', 'forced_late',
                  'supplements', 'paused_since', 'timeliness_reappointed', 'timeliness', 'status_reason',
                  'outcome', 'on_the_spot', 'applicant_id_number', 'applicant_name'):
            b.drop_column(c)
