"""feedback.procedure_version_id, feedback.state: each feedback case runs as an instance of the
PAKN-01 version in effect at its receipt (R-7.2, issue 10; docs/feedback.md)

Existing rows keep NULL in both: a case received before this change starts its workflow lazily, at
its current status, the first time it is acted on (engine/services/feedback_workflow.py).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 03:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('feedback', schema=None) as b:
        b.add_column(sa.Column('procedure_version_id', sa.Integer(), nullable=True))
        b.add_column(sa.Column('state', sa.Text(), nullable=True))
        b.create_foreign_key(b.f('fk_feedback_procedure_version_id_procedure_versions'), 'procedure_versions',
                             ['procedure_version_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('feedback', schema=None) as b:
        b.drop_constraint(b.f('fk_feedback_procedure_version_id_procedure_versions'), type_='foreignkey')
        b.drop_column('state')
        b.drop_column('procedure_version_id')
