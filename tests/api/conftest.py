"""API tests: a database of their own per test (SQLite and PostgreSQL), since they count
audit entries; tokens issued through the real service; reports made with the factory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from ivr.auth.tokens import issue_token
from models import User
from models.base import utcnow
from tests.auth.helpers import Account, database, make_user
from tests.fixtures import database_of_its_own  # noqa: F401  (database_url: one per test)


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
