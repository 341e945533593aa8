"""Console tests: each gets a database of its own (SQLite and PostgreSQL), because they
count audit entries and audit entries cannot be deleted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.reports.factory import ReportFactory


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """A fresh, migrated database for this test only, on each backend."""
    name = "sqlite_url" if request.param == "sqlite" else "own_postgres_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture
def make_report(app: Flask) -> Iterator[ReportFactory]:
    """Makes reports (``make_report(...)`` returns the report number); deletes them after."""
    factory = ReportFactory(app)
    try:
        yield factory
    finally:
        factory.cleanup()
