"""API tokens: issued once, hashed at rest, refused when missing, unknown, revoked,
expired or the account is disabled (401, JSON, audited); scopes follow the role."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from flask import Flask
from sqlalchemy import select, update

from ivr.auth.accounts import disable_user
from models import ApiToken, AuditEntry, User
from models.base import utcnow
from tests.api.conftest import ApiClient, api_client
from tests.auth.helpers import Console, audit_actions, database, last_audit_id, make_user


def _failures(app: Flask, after: int) -> list[tuple[str | None, str]]:
    with database(app).session() as session:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.id > after, AuditEntry.action == "api.auth_failed")
        )
        return [(e.actor, e.detail["reason"]) for e in rows]


def _assert_refused(client: ApiClient, message: str) -> None:
    response = client.get("/calls")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json == {"error": "unauthorized", "message": message}
    assert "Set-Cookie" not in response.headers


def test_missing_malformed_and_unknown_tokens_are_refused_and_audited(app: Flask) -> None:
    start = last_audit_id(app)
    client = app.test_client()
    _assert_refused(ApiClient(client, None), "send an API token: Authorization: Bearer <token>")
    _assert_refused(ApiClient(client, "not-a-token"), "this is not an API token")
    _assert_refused(ApiClient(client, "hlt_" + "x" * 43), "unknown API token")
    basic = client.get("/api/v1/calls", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert basic.status_code == 401
    assert _failures(app, start) == [
        (None, "missing"),
        (None, "malformed"),
        (None, "unknown"),
        (None, "missing"),
    ]


def test_a_token_is_stored_as_its_hash_and_records_its_last_use(app: Flask) -> None:
    client = api_client(app)
    assert re.fullmatch(r"hlt_[A-Za-z0-9_-]{43}", client.token or "")
    assert client.get("/calls").status_code == 200
    with database(app).session() as session:
        token = session.scalars(select(ApiToken)).one()
        assert token.token_hash == hashlib.sha256((client.token or "").encode()).hexdigest()
        assert token.last_used_at is not None
        assert client.token not in repr([getattr(token, c.key) for c in ApiToken.__table__.columns])


def test_revoked_expired_and_disabled_tokens_are_refused(app: Flask) -> None:
    revoked, expired, disabled, closed = (api_client(app) for _ in range(4))
    for client in (revoked, expired, disabled, closed):
        assert client.get("/calls").status_code == 200
    start = last_audit_id(app)
    now = utcnow()
    with database(app).session() as session, session.begin():
        tokens = {t.user_id: t for t in session.scalars(select(ApiToken))}
        users = {u.username: u for u in session.scalars(select(User))}

        def token_of(client: ApiClient) -> ApiToken:
            assert client.account is not None
            return tokens[users[client.account.username].id]

        token_of(revoked).revoked_at = now
        token_of(expired).expires_at = now - timedelta(seconds=1)
        # Disabled behind the service's back (its token not revoked): still refused.
        assert disabled.account is not None and closed.account is not None
        session.execute(
            update(User).where(User.username == disabled.account.username).values(disabled_at=now)
        )
        disable_user(session, closed.account.username, actor="test")
    _assert_refused(revoked, "this API token was revoked")
    _assert_refused(expired, "this API token has expired")
    _assert_refused(disabled, "the account of this API token is disabled")
    _assert_refused(closed, "this API token was revoked")
    names = [c.account.username for c in (revoked, expired, disabled, closed) if c.account]
    assert _failures(app, start) == list(
        zip(names, ["revoked", "expired", "disabled", "revoked"], strict=True)
    )


def test_an_operator_token_cannot_read_the_audit_log(app: Flask) -> None:
    operator, supervisor, admin = (api_client(app, r) for r in ("operator", "supervisor", "admin"))
    start = last_audit_id(app)
    refused = operator.get("/audit")
    assert refused.status_code == 403
    assert refused.json == {
        "error": "forbidden",
        "message": "this needs the supervisor role or above",
    }
    assert supervisor.get("/audit").status_code == 200
    assert admin.get("/audit").status_code == 200
    assert operator.account is not None and supervisor.account and admin.account
    assert audit_actions(app, start) == [
        ("access.denied", operator.account.username, "denied"),
        ("audit.search", supervisor.account.username, "ok"),
        ("audit.search", admin.account.username, "ok"),
    ]


def test_a_console_session_does_not_open_the_api(app: Flask) -> None:
    account = make_user(app)
    console = Console(app)
    console.sign_in(account)
    response = console.get("/api/v1/calls")
    assert response.status_code == 401
    assert response.json is not None and response.json["error"] == "unauthorized"


def test_the_users_token_commands(app: Flask) -> None:
    account = make_user(app, "supervisor", totp=True)
    runner = app.test_cli_runner()
    created = runner.invoke(
        args=["users", "token", "create", account.username, "--name", "siem", "--expires", "30"]
    )
    assert created.exit_code == 0, created.output
    secret = re.search(r"^(hlt_\S+)$", created.output, re.M)
    assert secret is not None
    client = ApiClient(app.test_client(), secret.group(1))
    assert client.get("/audit").status_code == 200
    listed = runner.invoke(args=["users", "token", "list", account.username])
    assert listed.exit_code == 0
    assert "siem" in listed.output and "active" in listed.output
    assert secret.group(1) not in listed.output
    token_id = re.search(r"API token (\d+) for", created.output)
    assert token_id is not None
    revoked = runner.invoke(args=["users", "token", "revoke", token_id.group(1)])
    assert revoked.exit_code == 0
    assert client.get("/audit").status_code == 401
    assert "revoked" in runner.invoke(args=["users", "token", "list"]).output
    unknown = runner.invoke(args=["users", "token", "create", "nobody"])
    assert unknown.exit_code != 0 and "no user" in unknown.output
    actions = [a for a, actor, _ in audit_actions(app) if actor == "cli"]
    assert actions == [
        "api_token.created",
        "api_token.listed",
        "api_token.revoked",
        "api_token.listed",
    ]


def test_a_token_for_a_disabled_account_cannot_be_issued(app: Flask) -> None:
    account = make_user(app)
    with database(app).session() as session, session.begin():
        disable_user(session, account.username, actor="test")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "token", "create", account.username])
    assert result.exit_code != 0 and "disabled" in result.output
