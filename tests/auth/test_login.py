"""Signing in: success, failures that all look alike, lockout, per-address limit, rehash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import select, update

from ivr.auth.passwords import HASHER
from ivr.auth.views import safe_next
from models import LoginSession, User
from tests.auth.helpers import (
    CSRF_PATTERN,
    Console,
    audit_actions,
    database,
    load_user,
    make_user,
)
from tests.conftest import app_config, running_app

GENERIC = "Sign-in failed: check the username and the password."


def test_login_succeeds_and_opens_a_server_side_session(app: Flask) -> None:
    account = make_user(app)
    console = Console(app)
    response = console.login(account)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = console.get("/")
    assert home.status_code == 200 and account.username in home.text
    with database(app).session() as session:
        logins = session.scalars(select(LoginSession)).all()
    assert len(logins) == 1 and logins[0].ended_at is None
    assert load_user(app, account.username).last_login_at is not None
    assert audit_actions(app)[-1] == ("auth.login", account.username, "ok")


def test_unknown_user_and_wrong_password_get_the_same_answer(app: Flask) -> None:
    account = make_user(app)
    console = Console(app)
    wrong = console.login(account, password="not the password at all")
    unknown = console.post("/login", {"username": "nobody-here", "password": "whatever it is"})
    assert wrong.status_code == unknown.status_code == 401
    assert GENERIC in wrong.text and GENERIC in unknown.text

    def page(text: str, name: str) -> str:
        return CSRF_PATTERN.sub("", text.replace(name, ""))

    assert page(wrong.text, account.username) == page(unknown.text, "nobody-here")
    assert console.get("/").status_code == 302
    failures = [a for a in audit_actions(app) if a[0] == "auth.login_failed"]
    # The unknown name is not recorded (it may be a mistyped password).
    assert failures == [
        ("auth.login_failed", account.username, "failed"),
        ("auth.login_failed", None, "failed"),
    ]


def test_five_failures_lock_the_account_with_the_same_message(app: Flask) -> None:
    account = make_user(app)
    console = Console(app)
    for _ in range(5):
        assert console.login(account, password="wrong password again").status_code == 401
    user = load_user(app, account.username)
    assert user.locked_until is not None and user.locked_until > datetime.now(UTC)
    locked = console.login(account)  # the right password, but locked
    assert locked.status_code == 401 and GENERIC in locked.text
    actions = [a[0] for a in audit_actions(app)]
    assert actions.count("auth.login_failed") == 6 and actions.count("auth.lockout") == 1
    with database(app).session() as session, session.begin():
        past = datetime.now(UTC) - timedelta(seconds=1)
        session.execute(
            update(User).where(User.username == account.username).values(locked_until=past)
        )
    assert console.login(account).status_code == 302


def test_a_disabled_account_cannot_sign_in(app: Flask) -> None:
    account = make_user(app, disabled_at=datetime.now(UTC))
    response = Console(app).login(account)
    assert response.status_code == 401 and GENERIC in response.text


def test_too_many_failures_from_one_address_are_throttled(
    database_url: str, tmp_path: Path
) -> None:
    with running_app(app_config(database_url, tmp_path, LOGIN_IP_MAX_FAILURES=3)) as app:
        account = make_user(app)
        console = Console(app)
        for n in range(3):
            console.post("/login", {"username": f"guess-{n}", "password": "guessing away"})
        throttled = console.login(account)
        assert throttled.status_code == 429
        assert console.get("/").status_code == 302
        # Another address is not affected.
        other = Console(app)
        response = other.post(
            "/login",
            {"username": account.username, "password": account.password},
            environ_base={"REMOTE_ADDR": "192.0.2.7"},
        )
        assert response.status_code == 302


def test_must_change_password_confines_to_the_password_page(app: Flask) -> None:
    account = make_user(app, must_change=True)
    console = Console(app)
    assert console.login(account).headers["Location"] == "/account/password"
    assert console.get("/").headers["Location"] == "/account/password"
    form = {"current_password": account.password}
    for bad in ["short", account.username + "-and-more", "Password1234", "aaaaaaaaaaaaaaa"]:
        response = console.post(
            "/account/password", {**form, "new_password": bad, "confirm_password": bad}
        )
        assert response.status_code == 400, bad
    mismatch = console.post(
        "/account/password",
        {**form, "new_password": "a fine new secret", "confirm_password": "another one"},
    )
    assert mismatch.status_code == 400
    wrong = console.post(
        "/account/password",
        {
            "current_password": "not it at all",
            "new_password": "a fine new secret",
            "confirm_password": "a fine new secret",
        },
    )
    assert wrong.status_code == 400
    done = console.post(
        "/account/password",
        {**form, "new_password": "a fine new secret", "confirm_password": "a fine new secret"},
    )
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert console.get("/").status_code == 200
    assert not load_user(app, account.username).must_change_password
    actions = audit_actions(app)
    assert ("auth.password_change", account.username, "failed") in actions
    assert actions[-1] == ("auth.password_changed", account.username, "ok")


def test_changing_the_password_ends_the_other_sessions(app: Flask) -> None:
    account = make_user(app)
    first, second = Console(app), Console(app)
    first.sign_in(account)
    second.sign_in(account)
    response = second.post(
        "/account/password",
        {
            "current_password": account.password,
            "new_password": "a fine new secret",
            "confirm_password": "a fine new secret",
        },
    )
    assert response.status_code == 302
    assert second.get("/").status_code == 200
    assert first.get("/").status_code == 302


def test_a_hash_with_old_parameters_is_redone_at_login(app: Flask) -> None:
    account = make_user(app)
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(account.password)
    with database(app).session() as session, session.begin():
        session.execute(
            update(User).where(User.username == account.username).values(password_hash=old)
        )
    assert Console(app).login(account).status_code == 302
    renewed = load_user(app, account.username).password_hash
    assert renewed != old and renewed.startswith("$argon2id$")
    assert not HASHER.check_needs_rehash(renewed)


def test_login_never_redirects_to_another_site(app: Flask) -> None:
    account = make_user(app)
    console = Console(app)
    response = console.post(
        "/login?next=//evil.example/steal",
        {"username": account.username, "password": account.password},
    )
    assert response.headers["Location"] == "/"
    console.post("/logout")
    response = console.post(
        "/login?next=/account/password",
        {"username": account.username, "password": account.password},
    )
    assert response.headers["Location"] == "/account/password"


def test_a_signed_in_user_is_sent_from_the_login_page_home(app: Flask) -> None:
    account = make_user(app)
    console = Console(app)
    console.sign_in(account)
    assert console.get("/login").headers["Location"] == "/"


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("/account/password", True),
        ("/probe/record/7?tab=notes", True),
        ("//evil.example/", False),
        ("/\\evil.example", False),
        ("/\t/evil.example", False),
        ("/\n/evil.example", False),
        ("https://evil.example/", False),
        ("evil.example", False),
        ("", False),
        (None, False),
    ],
)
def test_only_local_paths_are_followed_after_login(value: str | None, kept: bool) -> None:
    assert safe_next(value) == (value if kept else None)
