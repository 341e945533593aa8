"""Server-side sessions: a random token in the cookie, rotated at login, timed out, ended
by logout; the cookie's flags."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask, session
from flask.sessions import NullSession
from sqlalchemy import select, update

from ivr.auth.sessions import TOKEN_PATTERN
from ivr.security import EXEMPT_PREFIXES, MACHINE_PATHS
from models import LoginSession
from tests.auth.helpers import Console, audit_actions, database, make_user
from tests.conftest import TwilioClient, app_config, call_params, running_app


def _logins(app: Flask) -> list[LoginSession]:
    with database(app).session() as db_session:
        return list(db_session.scalars(select(LoginSession).order_by(LoginSession.id)))


def test_the_cookie_holds_only_a_random_token_kept_hashed(app: Flask) -> None:
    account = make_user(app)
    console = Console(app)
    console.sign_in(account)
    token = console.token
    assert token is not None and TOKEN_PATTERN.match(token)
    (login,) = _logins(app)
    assert login.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in login.token_hash


def test_the_session_id_rotates_at_login(app: Flask) -> None:
    account = make_user(app)
    console = Console(app)
    console.get("/login")
    before = console.token
    assert before is not None  # the login form's session (CSRF) is already a cookie
    console.sign_in(account)
    after = console.token
    assert after is not None and after != before
    # The token the browser had before logging in opens nothing.
    fixated = Console(app)
    fixated.set_token(before)
    assert fixated.get("/").status_code == 302
    # A second login makes another session, with yet another token.
    again = Console(app)
    again.sign_in(account)
    assert again.token not in (before, after)
    assert len(_logins(app)) == 2


def test_logout_ends_the_server_side_session(app: Flask) -> None:
    account = make_user(app)
    console = Console(app)
    console.sign_in(account)
    token = console.token
    assert token is not None
    response = console.post("/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert console.token != token
    (login,) = _logins(app)
    assert login.ended_at is not None
    replay = Console(app)
    replay.set_token(token)
    response = replay.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert replay.post("/logout", csrf=False).status_code == 401


def test_logout_needs_a_post_with_a_csrf_token(app: Flask) -> None:
    account = make_user(app)
    console = Console(app)
    console.sign_in(account)
    assert console.get("/logout").status_code == 405
    assert console.post("/logout", csrf=False).status_code == 400
    assert console.get("/").status_code == 200


@pytest.mark.parametrize("field", ["last_seen_at", "expires_at"])
def test_idle_and_absolute_timeouts(app: Flask, field: str) -> None:
    account = make_user(app)
    console = Console(app)
    console.sign_in(account)
    now = datetime.now(UTC)
    moved = {
        "last_seen_at": now - timedelta(seconds=app.config["SESSION_IDLE_TIMEOUT"] + 1),
        "expires_at": now - timedelta(seconds=1),
    }[field]
    with database(app).session() as db_session, db_session.begin():
        db_session.execute(update(LoginSession).values({field: moved}))
    response = console.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    (login,) = _logins(app)
    assert login.ended_at is not None
    reason = "idle" if field == "last_seen_at" else "absolute"
    assert audit_actions(app)[-2:] == [
        ("auth.session_expired", account.username, "denied"),
        ("access.anonymous", None, "denied"),
    ]
    with database(app).session() as db_session:
        from models import AuditEntry

        entry = db_session.scalar(
            select(AuditEntry).where(AuditEntry.action == "auth.session_expired")
        )
        assert entry is not None and entry.detail == {"reason": reason}


def test_tiny_timeouts_from_the_configuration(database_url: str, tmp_path: Path) -> None:
    config = app_config(database_url, tmp_path, SESSION_IDLE_TIMEOUT=0, SESSION_MAX_AGE=3600)
    with running_app(config) as app:
        account = make_user(app)
        console = Console(app)
        assert console.login(account).status_code == 302
        assert console.get("/").status_code == 302  # idle for more than 0 s already


def test_activity_keeps_a_session_alive(app: Flask) -> None:
    account = make_user(app)
    console = Console(app)
    console.sign_in(account)
    (before,) = _logins(app)
    assert console.get("/").status_code == 200
    (after,) = _logins(app)
    assert after.last_seen_at > before.last_seen_at


def test_cookie_flags_when_served_over_https(app: Flask) -> None:
    console = Console(app)
    response = console.get("/login")
    (cookie,) = response.headers.getlist("Set-Cookie")
    assert cookie.startswith("__Host-hotline_session=")
    for flag in ["Secure", "HttpOnly", "Path=/", "SameSite=Lax"]:
        assert flag in cookie
    assert "Domain" not in cookie and "Expires" not in cookie


def test_cookie_flags_for_local_development(database_url: str, tmp_path: Path) -> None:
    config = app_config(database_url, tmp_path, PUBLIC_BASE_URL="http://127.0.0.1:5000")
    del config["TESTING"]
    with running_app(config) as app:
        assert app.config["SESSION_COOKIE_SECURE"] is False
        (cookie,) = app.test_client().get("/login").headers.getlist("Set-Cookie")
        assert cookie.startswith("hotline_session=") and "Secure" not in cookie
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_no_cookie_for_pages_without_a_form(app: Flask) -> None:
    client = app.test_client()
    assert "Set-Cookie" not in client.get("/healthz").headers
    with client.get("/static/console.css") as asset:
        assert "Set-Cookie" not in asset.headers


def test_the_session_refuses_to_store_anything(app: Flask) -> None:
    with app.test_request_context("/"), pytest.raises(RuntimeError, match="server-side"):
        session["note"] = "kept in the browser"


def test_webhooks_and_the_api_get_no_session(app: Flask, twilio: TwilioClient) -> None:
    account = make_user(app)
    console = Console(app)
    console.sign_in(account)  # a browser with a console cookie calls the API: still none
    with twilio.client:
        response = twilio.post("/twilio/voice", call_params())
        assert response.status_code == 200 and "Set-Cookie" not in response.headers
        assert isinstance(session._get_current_object(), NullSession)  # type: ignore[attr-defined]
    with console.client:
        response = console.get("/api/v1/reports")
        assert response.status_code == 401 and "Set-Cookie" not in response.headers
        assert isinstance(session._get_current_object(), NullSession)  # type: ignore[attr-defined]
    with (
        app.test_request_context("/twilio/status"),
        pytest.raises(RuntimeError, match="webhooks, the API and probes"),
    ):
        session["note"] = "kept in the browser"


def test_probes_and_the_metrics_scrape_get_no_session(app: Flask) -> None:
    client = app.test_client()
    for path in sorted(MACHINE_PATHS):
        with client:
            response = client.get(path)
            assert response.status_code == 200, path
            assert "Set-Cookie" not in response.headers, path
            assert isinstance(session._get_current_object(), NullSession), path  # type: ignore[attr-defined]


def test_the_null_session_prefixes_are_those_of_the_webhooks_and_the_api(app: Flask) -> None:
    for rule in app.url_map.iter_rules():
        under_prefix = rule.rule.startswith(EXEMPT_PREFIXES)
        assert under_prefix == rule.endpoint.startswith(("twilio.", "api.")), rule.rule
    probes = {rule.rule for rule in app.url_map.iter_rules() if rule.rule in MACHINE_PATHS}
    assert probes == MACHINE_PATHS  # each is a route: a renamed one would get a session
