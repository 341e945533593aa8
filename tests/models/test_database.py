"""The engine's per-connection settings."""

from __future__ import annotations

from sqlalchemy import text

from models import Database


def test_postgres_connections_run_without_jit(postgres_url: str) -> None:
    # The dashboard's aggregates spent most of their time being JIT-compiled.
    database = Database(postgres_url)
    try:
        with database.session() as session:
            assert session.execute(text("SHOW jit")).scalar() == "off"
    finally:
        database.dispose()


def test_sqlite_connections_enforce_foreign_keys(sqlite_url: str) -> None:
    database = Database(sqlite_url)
    try:
        with database.session() as session:
            assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        database.dispose()
