"""metrics rollup: the days added up per month, for long ranges

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'metric_month_counts',
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('figure', sa.String(length=32), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('n', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('month', 'figure', 'key', name=op.f('pk_metric_month_counts')),
    )
    op.create_table(
        'metric_month_values',
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('measure', sa.String(length=16), nullable=False),
        sa.Column('bin', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('n', sa.BigInteger(), nullable=False),
        sa.Column('lo', sa.Float(), nullable=False),
        sa.Column('hi', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('month', 'measure', 'bin', name=op.f('pk_metric_month_values')),
    )


def downgrade() -> None:
    op.drop_table('metric_month_values')
    op.drop_table('metric_month_counts')
