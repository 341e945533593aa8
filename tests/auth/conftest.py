"""Console tests each get a database of their own (SQLite and PostgreSQL): they count
audit entries, and audit entries cannot be deleted."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """A fresh, migrated database for this test only, on each backend."""
    name = "sqlite_url" if request.param == "sqlite" else "own_postgres_url"
    url: str = request.getfixturevalue(name)
    return url
