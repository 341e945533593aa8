"""``flask users ...``: accounts from the command line, every change audited as "cli"."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from models import ApiToken, LoginSession
from tests.auth.helpers import (
    Account,
    Console,
    audit_actions,
    database,
    load_user,
    make_user,
)


def _one_time_password(output: str) -> str:
    found = re.search(r"one-time password for \S+: (\S+)", output)
    assert found, output
    return found.group(1)


def test_create_prints_a_one_time_password_to_change_at_first_login(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "Dana", "--role", "supervisor"])
    assert result.exit_code == 0, result.output
    password = _one_time_password(result.output)
    user = load_user(app, "dana")
    assert user.role == "supervisor" and user.must_change_password
    assert password not in user.password_hash
    console = Console(app)
    response = console.login(Account("dana", password, "supervisor"))
    assert response.headers["Location"] == "/account/password"
    again = runner.invoke(args=["users", "create", "dana", "--role", "operator"])
    assert again.exit_code != 0 and "already exists" in again.output
    bad = runner.invoke(args=["users", "create", "x y", "--role", "operator"])
    assert bad.exit_code != 0
    assert audit_actions(app)[0] == ("user.created", "cli", "ok")


def test_disable_ends_sessions_and_tokens_and_blocks_login(app: Flask) -> None:
    account = make_user(app)
    console = Console(app)
    console.sign_in(account)
    user_id = load_user(app, account.username).id
    with database(app).session() as session, session.begin():
        session.add(ApiToken(user_id=user_id, name="t", token_hash="0" * 64))
    result = app.test_cli_runner().invoke(args=["users", "disable", account.username])
    assert result.exit_code == 0, result.output
    assert console.get("/").status_code == 302
    assert Console(app).login(account).status_code == 401
    with database(app).session() as session:
        assert session.scalar(select(LoginSession.ended_at)) is not None
        assert session.scalar(select(ApiToken.revoked_at)) is not None
    enable = app.test_cli_runner().invoke(args=["users", "enable", account.username])
    assert enable.exit_code == 0
    assert Console(app).login(account).status_code == 302
    actions = [a for a in audit_actions(app) if a[1] == "cli"]
    assert actions == [("user.disabled", "cli", "ok"), ("user.enabled", "cli", "ok")]


def test_reset_keeps_the_second_factor_unless_asked(app: Flask) -> None:
    account = make_user(app, "admin", totp=True)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "reset", account.username])
    assert result.exit_code == 0, result.output
    user = load_user(app, account.username)
    assert user.must_change_password and user.totp_enabled
    new = Account(account.username, _one_time_password(result.output), "admin", account.totp_secret)
    console = Console(app)
    assert console.login(new).headers["Location"] == "/login/totp"
    result = runner.invoke(args=["users", "reset", account.username, "--reset-totp"])
    user = load_user(app, account.username)
    assert not user.totp_enabled and user.totp_secret_enc is None and user.totp_last_step is None
    assert runner.invoke(args=["users", "reset", "nobody"]).exit_code != 0
    assert [a[0] for a in audit_actions(app)] == ["user.reset", "auth.login", "user.reset"]


def test_list_shows_every_account(app: Flask) -> None:
    first, second = make_user(app, "operator"), make_user(app, "admin", totp=True)
    result = app.test_cli_runner().invoke(args=["users", "list"])
    assert result.exit_code == 0
    assert first.username in result.output and second.username in result.output
    assert "admin" in result.output
    assert audit_actions(app) == [("user.listed", "cli", "ok")]


def test_ensure_admin_creates_the_first_account_only(app: Flask) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["users", "ensure-admin"])
    assert first.exit_code == 0 and "first admin account created: admin" in first.output
    password = _one_time_password(first.output)
    user = load_user(app, "admin")
    assert user.role == "admin" and user.must_change_password
    second = runner.invoke(args=["users", "ensure-admin"])
    assert second.exit_code == 0 and "one-time password" not in second.output
    # The first admin changes the password, then must enrol a second factor.
    console = Console(app)
    assert console.login(Account("admin", password, "admin")).status_code == 302
    changed = console.post(
        "/account/password",
        {
            "current_password": password,
            "new_password": "a secret of her own",
            "confirm_password": "a secret of her own",
        },
    )
    assert changed.headers["Location"] == "/account/totp"
    assert console.get("/").headers["Location"] == "/account/totp"
