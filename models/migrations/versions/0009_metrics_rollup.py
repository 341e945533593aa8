"""metrics rollup: daily counts and duration histograms, the indexes that find changes,
and a covering index of the open reports for the backlog

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status IN ('new', 'in_review')")
CHANGED = (
    ('ix_calls_updated_at', 'calls', 'updated_at'),
    ('ix_recordings_updated_at', 'recordings', 'updated_at'),
    ('ix_reports_updated_at', 'reports', 'updated_at'),
    ('ix_report_changes_at', 'report_changes', 'at'),
    ('ix_referrals_created_at', 'referrals', 'created_at'),
)


def upgrade() -> None:
    op.create_table(
        'metric_day_counts',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('figure', sa.String(length=32), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('n', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'figure', 'key', name=op.f('pk_metric_day_counts')),
    )
    op.create_table(
        'metric_day_values',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('measure', sa.String(length=16), nullable=False),
        sa.Column('bin', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('n', sa.BigInteger(), nullable=False),
        sa.Column('lo', sa.Float(), nullable=False),
        sa.Column('hi', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'measure', 'bin', name=op.f('pk_metric_day_values')),
    )
    op.create_table(
        'metric_rollup',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('tz', sa.String(length=64), nullable=False),
        sa.Column('urgent_target_s', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_metric_rollup')),
    )
    for name, table, column in CHANGED:
        op.create_index(name, table, [column], unique=False)
    op.create_index(
        'ix_reports_open_backlog',
        'reports',
        ['priority', 'status', 'assignee', 'received_at'],
        unique=False,
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index('ix_reports_open_backlog', table_name='reports')
    for name, table, _column in CHANGED:
        op.drop_index(name, table_name=table)
    op.drop_table('metric_rollup')
    op.drop_table('metric_day_values')
    op.drop_table('metric_day_counts')
