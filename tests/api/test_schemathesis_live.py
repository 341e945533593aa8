"""Schemathesis against a live gunicorn server with a valid token: for every operation of
the published document, generated requests never get a 5xx, and every answer's status,
content type and body conform to the document."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from ivr.auth.tokens import issue_token
from models import User
from models.base import utcnow
from tests.auth.helpers import make_user
from tests.conftest import app_config, running_app
from tests.live import LiveServer, live_server
from tests.reports.factory import ReportFactory

# A bound for a machine busy with other work, not a timing: alone it takes about a minute.
pytestmark = [pytest.mark.live, pytest.mark.timeout(600)]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 12  # per operation: enough to hit every filter and error path, quickly


@pytest.fixture
def seeded(own_postgres_url: str, tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    """A migrated database with a few reports and a supervisor's token."""
    with running_app(app_config(own_postgres_url, tmp_path)) as app:
        factory = ReportFactory(app)
        numbers = [factory(minutes=m, voicemail=m % 2 == 0) for m in range(4)]
        assert numbers
        account = make_user(app, "supervisor", totp=True)
        with app.extensions["database"].session() as session, session.begin():
            user = session.scalar(select(User).where(User.username == account.username))
            assert user is not None
            secret = issue_token(session, user, "schemathesis", actor="test", now=utcnow()).secret
        yield app, secret


def test_the_live_api_conforms_to_its_document(seeded: tuple[Flask, str], tmp_path: Path) -> None:
    app, secret = seeded
    headers = {"Authorization": f"Bearer {secret}"}
    config = {k: v for k, v in app.config.items() if k in app_config("x", tmp_path)}
    with live_server(config, tmp_path) as server:
        schema = schemathesis.openapi.from_url(f"{server.url}/api/v1/openapi.json", headers=headers)
        operations = [result.ok() for result in schema.get_all_operations()]
        # Schemathesis leaves out the document's own path (tested in test_openapi.py).
        assert len(operations) >= 6
        for operation in operations:
            _explore(server, operation, headers)


def _explore(server: LiveServer, operation: object, headers: dict[str, str]) -> None:
    strategy = operation.as_strategy()  # type: ignore[attr-defined]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=server.url, headers=headers, checks=CHECKS)

    run()
