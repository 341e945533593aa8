"""Shared fixtures: real databases (SQLite and PostgreSQL), the app, signed requests."""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

from ivr import create_app
from ivr.crypto import generate_key
from ivr.jobs.setup import shutdown
from models import migrate

if TYPE_CHECKING:  # the factory imports this module
    from tests.reports.factory import ReportFactory

PG_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PUBLIC_BASE_URL = "https://hotline.example.org"
ACCOUNT_SID = "AC" + "1" * 32


def _pg_admin(sql: str) -> None:
    url = make_url(PG_URL)
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


@contextmanager
def fresh_postgres() -> Iterator[str]:
    """A new, migrated PostgreSQL database of its own, dropped afterwards."""
    name = f"hotline_test_{os.getpid()}_{secrets.token_hex(3)}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database shared by this test session's tests."""
    with fresh_postgres() as url:
        yield url


@pytest.fixture
def own_postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database for one test only (for tests that count rows)."""
    with fresh_postgres() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A new, migrated SQLite database file."""
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    migrate.upgrade(url)
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test using it runs once on SQLite and once on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(name)
    return url


def app_config(database_url: str, tmp_path: Path, **extra: Any) -> dict[str, Any]:
    """A complete configuration for a test app (nothing read from instance/)."""
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_hex(16),
        "DATA_KEY": generate_key(),
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "RECORDINGS_DIR": str(tmp_path / "recordings"),
        "SPOOL_DIR": str(tmp_path / "spool"),
        "TRANSCRIBER": "none",
        "SWEEP_INTERVAL": 0,
        "TWILIO_API_BASE": "http://127.0.0.1:9",  # nothing listens: no download succeeds
        **extra,
    }


@contextmanager
def running_app(config: dict[str, Any]) -> Iterator[Flask]:
    """An app for the duration of a block; its background jobs and connections end with it."""
    app = create_app(config)
    try:
        yield app
    finally:
        shutdown(app)
        app.extensions["database"].dispose()


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app on a migrated database (SQLite and PostgreSQL)."""
    with running_app(app_config(database_url, tmp_path)) as app:
        yield app


class TwilioClient:
    """Posts webhooks to the app signed as Twilio would sign them."""

    def __init__(self, client: FlaskClient, auth_token: str) -> None:
        self.client = client
        self.validator = RequestValidator(auth_token)

    def post(self, path: str, params: dict[str, str], *, sign: bool = True) -> TestResponse:
        """POST ``params`` to ``path`` (which may carry a query string)."""
        headers = {}
        if sign:
            headers["X-Twilio-Signature"] = self.validator.compute_signature(
                PUBLIC_BASE_URL + path, params
            )
        return self.client.post(path, data=params, headers=headers)


@pytest.fixture
def twilio(app: Flask) -> TwilioClient:
    """A client that signs its requests with the app's auth token."""
    return TwilioClient(app.test_client(), app.config["TWILIO_AUTH_TOKEN"])


def call_params(call_sid: str | None = None, **extra: str) -> dict[str, str]:
    """The parameters Twilio sends with every voice request."""
    params = {
        "CallSid": call_sid or "CA" + uuid.uuid4().hex,
        "AccountSid": ACCOUNT_SID,
        "From": "+16135550142",
        "To": "+18005550199",
        "CallStatus": "in-progress",
        "ApiVersion": "2010-04-01",
        "Direction": "inbound",
    }
    params.update(extra)
    return params


@pytest.fixture
def make_report(app: Flask) -> Iterator[ReportFactory]:
    """Makes reports (``make_report(...)`` returns the report number); deletes them after."""
    from tests.reports.factory import ReportFactory

    factory = ReportFactory(app)
    try:
        yield factory
    finally:
        factory.cleanup()
