"""Auditing from the web app.

An action and its audit entry commit together: :func:`audit_access` appends to the
request's own session (``db.session``), committed once at the edge when the answer is a
success. A refused or failed request is not committed, yet its denial must be kept:
:func:`audit_failure` queues the entry and, once the answer's status is known, writes it
in the request's session (status < 400) or in a transaction of its own that commits
whatever the request does (status >= 400).

The acting user's name is read from ``g.actor``, which :mod:`ivr.auth` sets on every
request it authenticates (this module does not import :mod:`ivr.auth`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, Response, g, request
from sqlalchemy.orm import Session

from ivr.audit.chain import record
from ivr.extensions import db
from models import AuditEntry


def client_ip() -> str | None:
    """The address the request came from (as the WSGI server reports it)."""
    return request.remote_addr


def current_actor() -> str | None:
    """The username of the authenticated user of this request, if any."""
    actor: str | None = g.get("actor")
    return actor


@contextmanager
def separate_transaction() -> Iterator[Session]:
    """A session of its own, committed at the end of the block whatever the request does.

    The request's session is rolled back first: a failing request commits nothing anyway,
    and it must not keep holding the chain's lock (or a row lock) that this one waits for.
    """
    request_session: Session | None = g.get("db_session")
    if request_session is not None:
        request_session.rollback()
    with db.database.session() as session, session.begin():
        yield session


def audit_access(
    action: str,
    target_type: str | None = None,
    target_id: str | int | None = None,
    **detail: Any,
) -> AuditEntry:
    """Record that the current user did ``action`` on a target, in the request's transaction.

    For views: a record viewed, a recording played, a number revealed, an export, a
    change. It commits with the request (and vanishes with it if the request fails).
    """
    return record(
        db.session,
        actor=current_actor(),
        action=action,
        target_type=target_type,
        target_id=target_id,
        detail=detail,
        ip=client_ip(),
    )


def audit_failure(
    action: str,
    target_type: str | None = None,
    target_id: str | int | None = None,
    *,
    outcome: str = "denied",
    actor: str | None = None,
    **detail: Any,
) -> None:
    """Record a refused or failed attempt; kept even when the request is not committed.

    ``actor`` defaults to the current user (None when anonymous). The entry is written
    when the response is final (see the module's docstring).
    """
    entry: dict[str, Any] = {
        "actor": actor if actor is not None else current_actor(),
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "outcome": outcome,
        "detail": detail,
        "ip": client_ip(),
    }
    pending: list[dict[str, Any]] = g.setdefault("audit_pending", [])
    pending.append(entry)


def _write_pending(response: Response) -> Response:
    pending: list[dict[str, Any]] | None = g.pop("audit_pending", None)
    if not pending:
        return response
    if response.status_code < 400:
        for entry in pending:
            record(db.session, **entry)
        return response
    with separate_transaction() as session:
        for entry in pending:
            record(session, **entry)
    return response


def init_app(app: Flask) -> None:
    """Write queued failure entries at the end of each request (before the edge commit)."""
    # after_request functions run in reverse order of registration: this one runs before
    # the commit that ivr.extensions registered earlier.
    app.after_request(_write_pending)
