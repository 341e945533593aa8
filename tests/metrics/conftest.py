"""Metrics tests run on SQLite and PostgreSQL. A data set is written once per module and
backend (the queries only read), on a database of its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from models import Database, migrate
from tests.conftest import fresh_postgres


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def module_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """A fresh, migrated database for this module, on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('metrics') / 'hotline.db'}"
        migrate.upgrade(url)
        database = Database(url)
        yield database
        database.dispose()
        return
    with fresh_postgres() as url:
        database = Database(url)
        yield database
        database.dispose()
