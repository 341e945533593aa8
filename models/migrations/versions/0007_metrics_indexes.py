"""metrics indexes: report history by field, new value and time (per-operator figures
on the supervisors' dashboard)

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        'ix_report_changes_field_value_at', 'report_changes', ['field', 'new_value', 'at']
    )


def downgrade() -> None:
    op.drop_index('ix_report_changes_field_value_at', table_name='report_changes')
