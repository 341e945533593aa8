"""Personal API tokens: issued to a user, shown once, stored only as a SHA-256.

A token is ``hlt_`` followed by 32 random bytes (``secrets.token_urlsafe``): 256 bits of
entropy. Unlike a password it cannot be guessed or looked up in a dictionary, so a fast
hash is enough to make a stolen table useless; a slow one (argon2) would only cost CPU on
every API request and could not be looked up by its hash (it is salted). The token acts
with its user's role *at the time of each request*: a user demoted or disabled takes
their tokens with them (disabling also revokes them, see :mod:`ivr.auth.accounts`).

Each operation takes the session and the acting name, appends its audit entry, and
flushes: the caller commits.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.audit import record
from models import ApiToken, User

PREFIX = "hlt_"
MAX_NAME = 64
MAX_EXPIRES_DAYS = 3650


class TokenError(ValueError):
    """A token operation that cannot be done (unknown token, bad name...)."""


@dataclass(frozen=True)
class IssuedToken:
    """A new token row and its secret (shown once, never stored)."""

    token: ApiToken
    secret: str


def token_hash(secret: str) -> str:
    """The SHA-256 (hex) stored for ``secret``."""
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(
    session: Session,
    user: User,
    name: str,
    *,
    actor: str,
    now: datetime,
    expires_days: int | None = None,
    ip: str | None = None,
) -> IssuedToken:
    """A new token for ``user``, expiring after ``expires_days`` (never when None)."""
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise TokenError(f"a token name is 1-{MAX_NAME} characters")
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRES_DAYS:
        raise TokenError(f"expiry is 1-{MAX_EXPIRES_DAYS} days")
    if user.disabled_at is not None:
        raise TokenError(f"user {user.username!r} is disabled")
    secret = PREFIX + secrets.token_urlsafe(32)
    expires = None if expires_days is None else now + timedelta(days=expires_days)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=token_hash(secret),
        created_at=now,
        expires_at=expires,
    )
    session.add(token)
    session.flush()
    _audit(session, "api_token.created", token, user, actor, ip, expires_days=expires_days)
    return IssuedToken(token, secret)


def revoke_token(
    session: Session,
    token_id: int,
    *,
    actor: str,
    now: datetime,
    owner: User | None = None,
    ip: str | None = None,
) -> ApiToken:
    """Revoke one token (only ``owner``'s when given); revoking twice changes nothing."""
    token = session.get(ApiToken, token_id)
    if token is None or (owner is not None and token.user_id != owner.id):
        raise TokenError(f"no API token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = now
        user = session.get(User, token.user_id)
        _audit(session, "api_token.revoked", token, user, actor, ip)
    return token


def list_tokens(session: Session, user: User | None = None) -> list[tuple[ApiToken, User]]:
    """Tokens (of ``user``, or everyone's), newest first, with their owner."""
    query = select(ApiToken, User).join(User, User.id == ApiToken.user_id)
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    rows = session.execute(query.order_by(ApiToken.id.desc()))
    return [(token, owner) for token, owner in rows]


def token_state(token: ApiToken, now: datetime) -> str:
    """``active``, ``revoked`` or ``expired``."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"


def authenticate(session: Session, secret: str, now: datetime) -> tuple[ApiToken | None, str]:
    """The token behind ``secret`` and ``"ok"``, or why it is refused.

    Reasons: ``malformed``, ``unknown``, ``revoked``, ``expired``, ``disabled`` (the
    owner's account). A usable token gets ``last_used_at`` set to ``now``.
    """
    if not secret.startswith(PREFIX) or len(secret) > 128:
        return None, "malformed"
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(secret)))
    if token is None:
        return None, "unknown"
    state = token_state(token, now)
    if state != "active":
        return token, state
    user = session.get(User, token.user_id)
    if user is None or user.disabled_at is not None:
        return token, "disabled"
    token.last_used_at = now
    return token, "ok"


def _audit(
    session: Session,
    action: str,
    token: ApiToken,
    user: User | None,
    actor: str,
    ip: str | None,
    **detail: object,
) -> None:
    record(
        session,
        actor=actor,
        action=action,
        target_type="api_token",
        target_id=token.id,
        detail={"name": token.name, "user": user.username if user else None, **detail},
        ip=ip,
    )
