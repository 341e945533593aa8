"""The same migrations build the schema on an empty SQLite and PostgreSQL database."""

from __future__ import annotations

import secrets
from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from models import Base, migrate
from tests.conftest import PG_URL, _pg_admin


def _tables_and_columns(url: str) -> dict[str, set[str]]:
    engine = create_engine(url)
    try:
        insp = inspect(engine)
        return {
            t: {c["name"] for c in insp.get_columns(t)}
            for t in insp.get_table_names()
            if t != "alembic_version"
        }
    finally:
        engine.dispose()


def _model_schema() -> dict[str, set[str]]:
    return {name: {c.name for c in table.columns} for name, table in Base.metadata.tables.items()}


def test_migrations_on_empty_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    migrate.upgrade(url)
    assert _tables_and_columns(url) == _model_schema()
    migrate.downgrade(url, "base")
    assert _tables_and_columns(url) == {}


def test_migrations_on_empty_postgres() -> None:
    name = f"hotline_migrate_{secrets.token_hex(4)}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        assert _tables_and_columns(url) == _model_schema()
        migrate.downgrade(url, "base")
        assert _tables_and_columns(url) == {}
        migrate.upgrade(url)
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_migrations_match_the_models(postgres_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == [], "run alembic autogenerate: the models changed without a migration"
