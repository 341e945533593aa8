"""Fixtures that several test packages switch on in their conftest by importing them."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["sqlite", "postgres"], name="database_url")
def database_of_its_own(request: pytest.FixtureRequest) -> str:
    """A fresh, migrated database for one test only, on each backend: for tests that count
    audit entries, which cannot be deleted. Replaces ``database_url`` where imported."""
    name = "sqlite_url" if request.param == "sqlite" else "own_postgres_url"
    url: str = request.getfixturevalue(name)
    return url
