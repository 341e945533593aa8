"""Signing in: passwords, the second factor, throttling and lockout.

Failures are bookkept (the account's failure count, its lockout, the audit entries) in a
transaction of their own, committed although the failed request is not. Per address,
failures are counted from the audit log itself (``auth.login_failed`` entries of the last
``LOGIN_LOCKOUT`` seconds from that IP): kept in the database, so every web process and
worker sees the same count, and no table is needed for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from ivr.audit import record, separate_transaction
from ivr.auth.passwords import hash_password, needs_rehash, spend_verification_time, verify_password
from ivr.auth.sessions import TokenSession, end_logins, start_login
from ivr.auth.totp import matching_step
from ivr.extensions import cipher
from models import AuditEntry, LoginSession, User

LOGIN_FAILED = "auth.login_failed"


@dataclass(frozen=True)
class Attempt:
    """Where a sign-in attempt comes from, and when."""

    ip: str | None
    now: datetime


def _config(name: str) -> int:
    value: int = current_app.config[name]
    return value


def ip_throttled(session: Session, attempt: Attempt) -> bool:
    """True when this address failed too often lately (``LOGIN_IP_MAX_FAILURES``)."""
    if attempt.ip is None:
        return False
    since = attempt.now - timedelta(seconds=_config("LOGIN_LOCKOUT"))
    failures = session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.at >= since, AuditEntry.action == LOGIN_FAILED)
        .where(AuditEntry.ip == attempt.ip)
    )
    return (failures or 0) >= _config("LOGIN_IP_MAX_FAILURES")


def is_locked(user: User, now: datetime) -> bool:
    """True while the account is locked after too many failures."""
    return user.locked_until is not None and user.locked_until > now


def password_failure(user: User | None, password: str, now: datetime) -> str | None:
    """Why this password login fails (a reason category), or None when it succeeds.

    Takes as long whether or not the account exists, is locked or is disabled.
    """
    if user is None:
        spend_verification_time(password)
        return "unknown_user"
    if user.disabled_at is not None or is_locked(user, now):
        spend_verification_time(password)
        return "disabled" if user.disabled_at is not None else "locked"
    if not verify_password(user.password_hash, password):
        return "bad_password"
    return None


def record_failure(user: User | None, reason: str, attempt: Attempt) -> None:
    """Count a failed attempt against the account (locking it at ``LOGIN_MAX_FAILURES``)
    and audit it, in a transaction that commits whatever the request does."""
    user_id = None if user is None else user.id
    username = None if user is None else user.username
    with separate_transaction() as session:
        record(
            session,
            actor=username,
            action=LOGIN_FAILED,
            target_type="user",
            target_id=user_id,
            outcome="failed",
            detail={"reason": reason},
            ip=attempt.ip,
        )
        if user_id is None or reason not in ("bad_password", "bad_totp"):
            return
        failures = session.scalar(
            update(User)
            .where(User.id == user_id)
            .values(failed_logins=User.failed_logins + 1)
            .returning(User.failed_logins)
        )
        if (failures or 0) < _config("LOGIN_MAX_FAILURES"):
            return
        until = attempt.now + timedelta(seconds=_config("LOGIN_LOCKOUT"))
        session.execute(
            update(User).where(User.id == user_id).values(failed_logins=0, locked_until=until)
        )
        record(
            session,
            actor=username,
            action="auth.lockout",
            target_type="user",
            target_id=user_id,
            outcome="denied",
            detail={"failures": failures, "until": until.isoformat()},
            ip=attempt.ip,
        )


def start_session(
    session: Session, user: User, password: str, token_session: TokenSession, attempt: Attempt
) -> LoginSession:
    """The password was right: a new session behind a new token.

    With a second factor to give, the failure count is kept until the code is right, so
    that signing in again cannot buy more guesses at the code.
    """
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if not user.totp_enabled:
        user.failed_logins = 0
    user.last_login_at = attempt.now
    login = start_login(
        session, user, token_session.rotate(), attempt.now, _config("SESSION_MAX_AGE")
    )
    second_factor = "required" if user.totp_enabled else "not_enrolled"
    record(
        session,
        actor=user.username,
        action="auth.login",
        target_type="user",
        target_id=user.id,
        detail={"second_factor": second_factor},
        ip=attempt.ip,
    )
    return login


def totp_secret(user: User) -> str | None:
    """The user's TOTP secret in clear (enrolled or being enrolled)."""
    if user.totp_secret_enc is None:
        return None
    return cipher.current.decrypt_text(user.totp_secret_enc)


def accept_totp(session: Session, user: User, code: str, now: datetime) -> bool:
    """Check ``code`` against the user's secret and consume its step (a code works once).

    The step is consumed with a conditional UPDATE: of two requests racing with the same
    code, one wins.
    """
    secret = totp_secret(user)
    if secret is None:
        return False
    step = matching_step(secret, code, now, user.totp_last_step)
    if step is None:
        return False
    result = session.execute(
        update(User)
        .where(User.id == user.id)
        .where(or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session="fetch")
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def change_password(
    session: Session, user: User, new_password: str, login: LoginSession, now: datetime
) -> None:
    """Set a new password; every other session of the user ends."""
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    end_logins(session, user.id, now, keep=login.id)
