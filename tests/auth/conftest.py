"""Console tests each get a database of their own (SQLite and PostgreSQL): they count
audit entries, and audit entries cannot be deleted."""

from __future__ import annotations

from tests.fixtures import database_of_its_own  # noqa: F401  (database_url: one per test)
