"""audit_log hash chain: prev_hash/hash on every record and a chain-head row (R-8.5)

Records already stored are chained in id order, so `motcua audit verify` covers them too.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 20:40:00
"""
from alembic import op
import sqlalchemy as sa

from engine.domain import audit_chain
from engine.persistence.models import UTCDateTime

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
    head = op.create_table(
        'audit_chain_head',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('record_id', sa.BigInteger(), nullable=True),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('count', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head')),
    )
    json = sa.JSON(none_as_null=True)
    log = sa.table('audit_log', sa.column('id', sa.BigInteger()), sa.column('at', UTCDateTime()),
                   *[sa.column(n, sa.String()) for n in ('actor', 'agency_id', 'action', 'target', 'request_id')],
                   sa.column('outcome', sa.Integer()), sa.column('detail', json),
                   sa.column('prev_hash', sa.String()), sa.column('hash', sa.String()))
    conn = op.get_bind()
    prev, last_id, count = audit_chain.GENESIS, 0, 0
    while True:
        rows = conn.execute(sa.select(log).where(log.c.id > last_id).order_by(log.c.id).limit(_BATCH)).all()
        if not rows:
            break
        for r in rows:
            digest = audit_chain.record_hash(prev, r._mapping)
            conn.execute(log.update().where(log.c.id == r.id).values(prev_hash=prev, hash=digest))
            prev, last_id, count = digest, r.id, count + 1
    if count:  # an empty database stays empty (restores refuse a target with rows): the first append creates it
        op.bulk_insert(head, [{'id': 1, 'record_id': last_id, 'hash': prev, 'count': count}])


def downgrade() -> None:
    op.drop_table('audit_chain_head')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
