"""reports: partial index of the open reports in the analyst queue's order

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status IN ('new', 'in_review')")


def upgrade() -> None:
    op.create_index(
        'ix_reports_open_queue',
        'reports',
        ['priority_rank', 'received_at', 'id'],
        unique=False,
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index('ix_reports_open_queue', table_name='reports')
