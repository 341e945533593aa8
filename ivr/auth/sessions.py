"""Server-side console sessions.

The browser holds one cookie whose value is a random token (``secrets.token_urlsafe(32)``)
and nothing else; the database holds its SHA-256 (:class:`models.LoginSession`). Every
login makes a new token and a new row, so the id a browser had before logging in is
worthless after it; logout, the idle timeout and the absolute lifetime end the row.

Flask's ``session`` is replaced by :class:`TokenSession`, which stores nothing: the only
value Flask-WTF keeps there, the CSRF secret, is derived from the token with the app's
``SECRET_KEY``, so the CSRF token is bound to the browser's session and changes with it.
Writing anything else into ``flask.session`` (``flash()`` for instance) raises: keep state
on the server.

Twilio's webhooks and the API never use the session (see :mod:`ivr.security`): they get
Flask's null session, which refuses writes too, so no token is drawn and no CSRF secret
derived for them.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from typing import Any, NoReturn

from flask import Flask, Request, Response, g
from flask.sessions import NullSession, SessionInterface, SessionMixin
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ivr.security import EXEMPT_PREFIXES, MACHINE_PATHS
from models import LoginSession, User

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")
CSRF_FIELD = "csrf_token"


def new_token() -> str:
    """A new random session token (256 bits)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the database keeps of a token."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def cookie_name(app: Flask) -> str:
    """``__Host-`` prefixed when secure: the browser then refuses it without HTTPS, a path
    of ``/`` and no domain, so no sibling site can plant or read it."""
    return "__Host-hotline_session" if app.config["SESSION_COOKIE_SECURE"] else "hotline_session"


def _refuse_write() -> NoReturn:
    raise RuntimeError("the console session stores nothing in the browser: keep state server-side")


class TokenSession(dict[str, Any], SessionMixin):
    """``flask.session`` for the console: the token, and the CSRF secret derived from it."""

    def __init__(self, token: str, secret_key: str | bytes, *, from_cookie: bool) -> None:
        super().__init__()
        self._secret_key = secret_key.encode() if isinstance(secret_key, str) else secret_key
        self.from_cookie = from_cookie
        self.rotated = False
        self.used = False
        self._set_token(token)

    def _set_token(self, token: str) -> None:
        self.token = token
        digest = hmac.new(self._secret_key, b"csrf:" + token.encode("ascii"), hashlib.sha256)
        dict.__setitem__(self, CSRF_FIELD, digest.hexdigest())

    def rotate(self) -> str:
        """Replace the token (at login and logout); returns the new one."""
        self._set_token(new_token())
        self.rotated = True
        g.pop(CSRF_FIELD, None)  # Flask-WTF caches the signed token for the request
        return self.token

    def __getitem__(self, key: str) -> Any:
        self.used = True
        return super().__getitem__(key)

    def __setitem__(self, key: str, value: Any) -> None:
        _refuse_write()

    def setdefault(self, key: str, default: Any = None) -> Any:
        """Refused, like any write."""
        _refuse_write()

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Refused, like any write."""
        _refuse_write()


class NoSession(NullSession):
    """The session of webhooks, the API and probes: none, and writing to it says why."""

    def _fail(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise RuntimeError(
            "this request has no session: webhooks, the API and probes are not console pages"
        )

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _fail


class TokenSessionInterface(SessionInterface):
    """Reads the token cookie; sets it only when a token is new and was used (a form)."""

    null_session_class = NoSession

    def get_cookie_name(self, app: Flask) -> str:
        """See :func:`cookie_name`."""
        return cookie_name(app)

    def open_session(self, app: Flask, request: Request) -> TokenSession | NullSession:
        """The request's token from its cookie, or a new one (not sent unless used); no
        session (:class:`NoSession`) under ``/twilio/`` and ``/api/`` and for the probes.

        Flask opens the session before it matches the URL, so ``request.blueprint`` is not
        known yet: those blueprints are recognised by their URL prefix, the probes by
        their paths.
        """
        if request.path.startswith(EXEMPT_PREFIXES) or request.path in MACHINE_PATHS:
            return self.make_null_session(app)
        value = request.cookies.get(cookie_name(app), "")
        if TOKEN_PATTERN.match(value):
            return TokenSession(value, app.secret_key or "", from_cookie=True)
        return TokenSession(new_token(), app.secret_key or "", from_cookie=False)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Send the cookie when its token changed, or when a new token backs a form."""
        if not isinstance(session, TokenSession):
            return
        if not (session.rotated or (session.used and not session.from_cookie)):
            return
        response.set_cookie(
            cookie_name(app),
            session.token,
            path="/",
            secure=app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite=app.config["SESSION_COOKIE_SAMESITE"],
        )
        response.vary.add("Cookie")


def start_login(
    session: Session, user: User, token: str, now: datetime, max_age: int
) -> LoginSession:
    """A new server-side session for ``user`` behind ``token``."""
    login = LoginSession(
        token_hash=token_hash(token),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(seconds=max_age),
    )
    session.add(login)
    session.flush()
    return login


def find_login(session: Session, token: str) -> tuple[LoginSession, User] | None:
    """The live (not ended) session behind ``token`` and its user."""
    query = (
        select(LoginSession, User)
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.token_hash == token_hash(token), LoginSession.ended_at.is_(None))
    )
    row = session.execute(query).first()
    return None if row is None else (row[0], row[1])


def expiry(login: LoginSession, user: User, now: datetime, idle_timeout: int) -> str | None:
    """Why ``login`` can no longer be used (``idle``, ``absolute``, ``disabled``), or None."""
    if user.disabled_at is not None:
        return "disabled"
    if now >= login.expires_at:
        return "absolute"
    if now - login.last_seen_at > timedelta(seconds=idle_timeout):
        return "idle"
    return None


def end_logins(session: Session, user_id: int, now: datetime, *, keep: int | None = None) -> None:
    """End every live session of a user (but ``keep``): password changed, account disabled."""
    query = (
        update(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    if keep is not None:
        query = query.where(LoginSession.id != keep)
    session.execute(query)
