"""Hypothesis profiles for the fuzz tests, and a client that sends drawn webhooks.

Profiles (``HYPOTHESIS_PROFILE`` picks one; CI, which sets ``CI=true``, gets ``ci``):

- ``ci``: derandomized (the same examples on every run), no example database, so a red
  CI run is reproduced exactly by running the same command again;
- ``dev`` (default elsewhere): random examples, failures saved in ``.hypothesis/`` and
  replayed first on the next run.

Each test sets its own ``max_examples`` so that the whole fuzz suite takes 1-2 minutes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings
from sqlalchemy import inspect, text
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from tests.conftest import PUBLIC_BASE_URL, app_config, running_app
from tests.fuzz.strategies import Request

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)

FORM = "application/x-www-form-urlencoded"
# FUZZ_SCALE=10 runs ten times as many examples (a deeper run by hand or at night).
SCALE = float(os.environ.get("FUZZ_SCALE") or 1)


def examples(n: int) -> int:
    """``max_examples`` for a test sized to keep the fuzz suite at 1-2 minutes."""
    return max(1, round(n * SCALE))


Params = Mapping[str, str] | MultiDict[str, str]


class WebhookClient:
    """Sends requests to the app the way Twilio does, signed or not, and reads its state."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client: FlaskClient = app.test_client()
        self.validator = RequestValidator(app.config["TWILIO_AUTH_TOKEN"])
        self.spool = Path(app.config["SPOOL_DIR"])

    def url(self, target: str) -> str:
        """The public URL Twilio signs for a path (with its query)."""
        return PUBLIC_BASE_URL + target

    def seen(self, req: Request, body: bytes | None = None) -> MultiDict[str, str]:
        """The parameters the app will read: the decoded form (POST) or query (GET)."""
        data = body if body is not None else req.params
        with self.app.test_request_context(
            req.path, method=req.method, query_string=req.query, data=data, content_type=FORM
        ) as ctx:
            seen = ctx.request.form if req.method == "POST" else ctx.request.args
            return MultiDict(seen.items(multi=True))

    def signature(self, req: Request, body: bytes | None = None) -> str:
        """The signature Twilio would send for this request (over what Flask decodes)."""
        signed: Params = self.seen(req, body) if req.method == "POST" else {}
        return str(self.validator.compute_signature(self.url(req.target), signed))

    def send(
        self, req: Request, signature: str | None, *, body: bytes | None = None
    ) -> TestResponse:
        """Send ``req`` (or a raw ``body``) with this X-Twilio-Signature (None: no header)."""
        headers = {} if signature is None else {"X-Twilio-Signature": signature}
        data = body if body is not None else (req.params if req.method == "POST" else None)
        return self.client.open(
            req.path,
            method=req.method,
            query_string=req.query,
            data=data,
            content_type=FORM if req.method == "POST" else None,
            headers=headers,
        )

    def signed(self, req: Request, *, body: bytes | None = None) -> TestResponse:
        """Send ``req`` signed as Twilio signs it."""
        return self.send(req, self.signature(req, body), body=body)

    def spooled(self) -> int:
        """How many requests wait in the spool (each one means the degraded path ran)."""
        return len(list(self.spool.glob("*.req"))) if self.spool.is_dir() else 0

    def row_counts(self) -> dict[str, int]:
        """Rows in every table of the database, in one query."""
        engine = self.app.extensions["database"].engine
        tables = sorted(inspect(engine).get_table_names())
        # Names read from the database itself, quoted: nothing from outside reaches the SQL.
        columns = ", ".join(f'(SELECT count(*) FROM "{name}")' for name in tables)  # noqa: S608
        with engine.connect() as conn:
            row = conn.execute(text(f"SELECT {columns}")).one()
        return dict(zip(tables, row, strict=True))


@pytest.fixture
def webhook_client(database_url: str, tmp_path: Path) -> Iterator[WebhookClient]:
    """A :class:`WebhookClient` for the app (SQLite and PostgreSQL).

    The operators are always on duty, so that ``0`` rings them and /twilio/dial has a step
    to answer.
    """
    config = app_config(
        database_url,
        tmp_path,
        BUSINESS_HOURS="mon-sun 00:00-24:00",
        OPERATOR_NUMBERS=("+12045550100", "+12045550101"),
    )
    with running_app(config) as app:
        yield WebhookClient(app)
