"""Account operations shared by the CLI and (later) the admin pages.

Each takes the session to work in and the name of who acts, appends its audit entry to
the same transaction, and flushes: the caller commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ivr.audit import record
from ivr.auth.passwords import hash_password, one_time_password
from ivr.auth.sessions import end_logins
from models import ROLES, ApiToken, User
from models.base import utcnow

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class AccountError(Exception):
    """An account operation that cannot be done (unknown user, name taken...)."""


@dataclass(frozen=True)
class Issued:
    """An account and the one-time password just set on it (shown once, never stored)."""

    user: User
    password: str


def normalise_username(username: str) -> str:
    """Usernames are compared and stored in lower case, without surrounding spaces."""
    return username.strip().lower()


def find_user(session: Session, username: str) -> User | None:
    """The account called ``username`` (any case), if there is one."""
    return session.scalar(select(User).where(User.username == normalise_username(username)))


def _get(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise AccountError(f"no user {normalise_username(username)!r}")
    return user


def create_user(
    session: Session, username: str, role: str, *, actor: str, display_name: str | None = None
) -> Issued:
    """A new account with a one-time password that must be changed at first login."""
    name = normalise_username(username)
    if not USERNAME_PATTERN.match(name):
        raise AccountError(
            "a username is 2-64 characters: lower-case letters, digits, '.', '_' or '-'"
        )
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if find_user(session, name) is not None:
        raise AccountError(f"user {name!r} already exists")
    password = one_time_password()
    user = User(
        username=name,
        display_name=display_name,
        role=role,
        password_hash=hash_password(password),
        must_change_password=True,
        totp_enabled=False,
        ui_language="en",
        failed_logins=0,
    )
    session.add(user)
    session.flush()
    record(
        session,
        actor=actor,
        action="user.created",
        target_type="user",
        target_id=user.id,
        detail={"username": name, "role": role},
    )
    return Issued(user, password)


def disable_user(session: Session, username: str, *, actor: str) -> User:
    """Close an account: its sessions end and its API tokens are revoked."""
    user = _get(session, username)
    now = utcnow()
    user.disabled_at = user.disabled_at or now
    end_logins(session, user.id, now)
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    record(
        session,
        actor=actor,
        action="user.disabled",
        target_type="user",
        target_id=user.id,
        detail={"username": user.username},
    )
    return user


def enable_user(session: Session, username: str, *, actor: str) -> User:
    """Reopen a disabled account (its old sessions and tokens stay dead)."""
    user = _get(session, username)
    user.disabled_at = None
    record(
        session,
        actor=actor,
        action="user.enabled",
        target_type="user",
        target_id=user.id,
        detail={"username": user.username},
    )
    return user


def reset_user(session: Session, username: str, *, actor: str, reset_totp: bool = False) -> Issued:
    """A new one-time password (and, if asked, no second factor): sessions end, lock lifts."""
    user = _get(session, username)
    password = one_time_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    if reset_totp:
        user.totp_secret_enc = None
        user.totp_enabled = False
        user.totp_last_step = None
    end_logins(session, user.id, utcnow())
    record(
        session,
        actor=actor,
        action="user.reset",
        target_type="user",
        target_id=user.id,
        detail={"username": user.username, "reset_totp": reset_totp},
    )
    return Issued(user, password)


def list_users(session: Session) -> list[User]:
    """Every account, by username."""
    return list(session.scalars(select(User).order_by(User.username)))


def count_users(session: Session) -> int:
    """How many accounts exist (disabled ones included)."""
    return session.scalar(select(func.count()).select_from(User)) or 0
