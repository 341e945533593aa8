"""``flask --app wsgi users ...``: console accounts from the command line (audited as "cli")."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from ivr.audit import record
from ivr.auth.accounts import (
    AccountError,
    Issued,
    count_users,
    create_user,
    disable_user,
    enable_user,
    find_user,
    list_users,
    reset_user,
)
from ivr.auth.tokens import TokenError, issue_token, list_tokens, revoke_token, token_state
from models import ROLES, Database
from models.base import utcnow

ACTOR = "cli"
users_cli = AppGroup("users", help="Console accounts: create, disable, reset, list.")


@contextmanager
def _transaction() -> Iterator[Session]:
    database: Database = current_app.extensions["database"]
    try:
        with database.session() as session, session.begin():
            yield session
    except (AccountError, TokenError) as exc:
        raise click.ClickException(str(exc)) from exc


def _show_password(issued: Issued) -> None:
    click.echo(f"one-time password for {issued.user.username}: {issued.password}")
    click.echo("It is shown only now; it must be changed at the first login.")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the account may do.")
@click.option("--display-name", help="The name shown in the console.")
def create_command(username: str, role: str, display_name: str | None) -> None:
    """Create an account; prints its one-time password."""
    with _transaction() as session:
        issued = create_user(session, username, role, actor=ACTOR, display_name=display_name)
    _show_password(issued)


@users_cli.command("disable")
@click.argument("username")
def disable_command(username: str) -> None:
    """Disable an account: it can no longer sign in; its sessions and API tokens end."""
    with _transaction() as session:
        user = disable_user(session, username, actor=ACTOR)
    click.echo(f"user {user.username} disabled")


@users_cli.command("enable")
@click.argument("username")
def enable_command(username: str) -> None:
    """Enable a disabled account again."""
    with _transaction() as session:
        user = enable_user(session, username, actor=ACTOR)
    click.echo(f"user {user.username} enabled")


@users_cli.command("reset")
@click.argument("username")
@click.option("--reset-totp", is_flag=True, help="Also remove the second factor (to enrol anew).")
def reset_command(username: str, reset_totp: bool) -> None:
    """Give an account a new one-time password; ends its sessions and lifts a lockout."""
    with _transaction() as session:
        issued = reset_user(session, username, actor=ACTOR, reset_totp=reset_totp)
    _show_password(issued)


@users_cli.command("list")
def list_command() -> None:
    """List the accounts: role, state, second factor, last login."""
    with _transaction() as session:
        users = list_users(session)
        record(session, actor=ACTOR, action="user.listed", detail={"count": len(users)})
    click.echo(f"{'username':<24} {'role':<10} {'state':<9} {'totp':<5} last login")
    for user in users:
        state = "disabled" if user.disabled_at else "active"
        last = user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "-"
        totp = "yes" if user.totp_enabled else "no"
        click.echo(f"{user.username:<24} {user.role:<10} {state:<9} {totp:<5} {last}")


@users_cli.command("ensure-admin")
@click.option("--username", default="admin", show_default=True)
def ensure_admin_command(username: str) -> None:
    """Create a first admin account when there is no account at all (else do nothing).

    Prints its one-time password, to be changed at the first login (a second factor is
    then enrolled before anything else).
    """
    with _transaction() as session:
        if count_users(session):
            click.echo("accounts exist: no admin created")
            return
        issued = create_user(session, username, "admin", actor=ACTOR)
    click.echo(f"first admin account created: {issued.user.username}")
    _show_password(issued)


token_cli = AppGroup("token", help="Personal tokens of the JSON API: create, revoke, list.")
users_cli.add_command(token_cli)


@token_cli.command("create")
@click.argument("username")
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
@click.option("--expires", type=int, help="Days until it expires (default: never).")
def token_create_command(username: str, name: str, expires: int | None) -> None:
    """Issue an API token for USERNAME; prints it once (only its hash is kept)."""
    with _transaction() as session:
        user = find_user(session, username)
        if user is None:
            raise AccountError(f"no user {username!r}")
        issued = issue_token(session, user, name, actor=ACTOR, now=utcnow(), expires_days=expires)
        token_id = issued.token.id
    click.echo(f"API token {token_id} for {user.username} ({user.role}):")
    click.echo(issued.secret)
    click.echo("It is shown only now. Send it as: Authorization: Bearer <token>")


@token_cli.command("revoke")
@click.argument("token_id", type=int)
def token_revoke_command(token_id: int) -> None:
    """Revoke the API token TOKEN_ID (see `users token list`)."""
    with _transaction() as session:
        revoke_token(session, token_id, actor=ACTOR, now=utcnow())
    click.echo(f"API token {token_id} revoked")


@token_cli.command("list")
@click.argument("username", required=False)
def token_list_command(username: str | None) -> None:
    """List API tokens (of USERNAME, or everyone's): owner, state, expiry, last use."""
    now = utcnow()
    with _transaction() as session:
        user = None
        if username is not None:
            user = find_user(session, username)
            if user is None:
                raise AccountError(f"no user {username!r}")
        rows = list_tokens(session, user)
        record(session, actor=ACTOR, action="api_token.listed", detail={"count": len(rows)})
        click.echo(f"{'id':>5} {'user':<20} {'name':<20} {'state':<8} {'expires':<16} last used")
        for token, owner in rows:
            click.echo(
                f"{token.id:>5} {owner.username:<20} {token.name:<20} "
                f"{token_state(token, now):<8} {_when(token.expires_at):<16} "
                f"{_when(token.last_used_at)}"
            )


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"
