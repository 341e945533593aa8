"""API tests: a database of their own per test (SQLite and PostgreSQL), since they count
audit entries; tokens issued through the real service; reports made with the factory."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from ivr.auth.tokens import issue_token
from models import User
from models.base import utcnow
from tests.auth.helpers import Account, database, make_user
from tests.reports.factory import ReportFactory


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """A fresh, migrated database for this test only, on each backend."""
    name = "sqlite_url" if request.param == "sqlite" else "own_postgres_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture
def make_report(app: Flask) -> Iterator[ReportFactory]:
    """Makes reports (returns the report number); deletes them after."""
    factory = ReportFactory(app)
    try:
        yield factory
    finally:
        factory.cleanup()


def issue(app: Flask, username: str, *, expires_days: int | None = None) -> str:
    """A new API token of ``username`` (its secret)."""
    with database(app).session() as session, session.begin():
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        return issue_token(
            session, user, "test", actor="test", now=utcnow(), expires_days=expires_days
        ).secret


@dataclass
class ApiClient:
    """Sends API requests with a bearer token."""

    client: FlaskClient
    token: str | None
    account: Account | None = None

    def open(self, method: str, path: str, **kwargs: Any) -> TestResponse:
        """A request to ``/api/v1`` + ``path``."""
        headers = dict(kwargs.pop("headers", {}))
        if self.token is not None:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        return self.client.open("/api/v1" + path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        """GET ``/api/v1`` + ``path``."""
        return self.open("GET", path, **kwargs)

    def patch(self, path: str, body: Any) -> TestResponse:
        """PATCH a JSON body."""
        return self.open("PATCH", path, json=body)


def api_client(app: Flask, role: str = "operator") -> ApiClient:
    """A new account of ``role`` and a client with a token of it."""
    account = make_user(app, role, totp=role != "operator")
    return ApiClient(app.test_client(), issue(app, account.username), account)
