"""call log indexes: calls by status/category/region and reports by assignee/priority/status,
each in newest-first order

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    'calls': {
        'ix_calls_status_started': ['status', 'started_at', 'id'],
        'ix_calls_category_started': ['category', 'started_at', 'id'],
        'ix_calls_region_started': ['caller_region', 'started_at', 'id'],
    },
    'reports': {
        'ix_reports_assignee_received': ['assignee', 'received_at', 'call_id'],
        'ix_reports_priority_received': ['priority', 'received_at', 'call_id'],
        'ix_reports_status_received': ['status', 'received_at', 'call_id'],
    },
}


def upgrade() -> None:
    for table, indexes in INDEXES.items():
        for name, columns in indexes.items():
            op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for table, indexes in INDEXES.items():
        for name in indexes:
            op.drop_index(name, table_name=table)
