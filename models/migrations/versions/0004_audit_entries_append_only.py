"""audit_entries append-only: triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL)

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_FUNCTION = """
CREATE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_entries is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(PG_FUNCTION)
        op.execute(
            'CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries '
            'FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()'
        )
        op.execute(
            'CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries '
            'FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only()'
        )
    else:
        for verb in ('UPDATE', 'DELETE'):
            op.execute(
                f'CREATE TRIGGER audit_entries_no_{verb.lower()} BEFORE {verb} ON audit_entries '
                f"BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only: {verb} refused'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS audit_entries_no_truncate ON audit_entries')
        op.execute('DROP TRIGGER IF EXISTS audit_entries_append_only ON audit_entries')
        op.execute('DROP FUNCTION IF EXISTS audit_entries_append_only()')
    else:
        op.execute('DROP TRIGGER IF EXISTS audit_entries_no_update')
        op.execute('DROP TRIGGER IF EXISTS audit_entries_no_delete')
