"""Who is asking, and may they: the one gate every console request passes.

An app-wide ``before_request`` hook loads the server-side session behind the cookie,
enforces its timeouts, then lets a request through only when its endpoint is public by
design (:data:`PUBLIC_ENDPOINTS`, or a blueprint that authenticates by other means, see
:data:`ivr.security.EXEMPT_BLUEPRINTS`) or the user is signed in; a user who still owes a
step (the TOTP code, a new password, enrolling a second factor) reaches only that step.
Then the CSRF token of any state-changing request is checked. Views add role checks with
:func:`roles_required`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import NoReturn, ParamSpec, TypeVar, cast

from flask import abort, current_app, g, redirect, request, session, url_for
from werkzeug.exceptions import Unauthorized
from werkzeug.local import LocalProxy

from ivr.audit import audit_failure
from ivr.auth.sessions import TokenSession, expiry, find_login
from ivr.extensions import db
from ivr.security import EXEMPT_BLUEPRINTS, check_csrf, is_exempt_request
from models import ROLES, LoginSession, User
from models.base import utcnow

P = ParamSpec("P")
R = TypeVar("R")

# Reachable without signing in. Everything else in the URL map needs a signed-in user,
# except the blueprints of ivr.security.EXEMPT_BLUEPRINTS (/twilio: Twilio signatures,
# /api: API tokens), which authenticate every request themselves.
PUBLIC_ENDPOINTS = frozenset(
    {
        "static",
        "health.healthz",
        "health.readyz",
        "auth.login",
        "auth.language",
    }
)
# Public endpoints that do not even look at the session (no database work per asset).
_UNGUARDED = frozenset({"static", "health.healthz", "health.readyz"})
# Reachable while a step is owed.
_WHILE_PENDING = frozenset({"auth.logout"})

ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}
TOTP_REQUIRED_ROLES = frozenset({"supervisor", "admin"})


@dataclass(frozen=True)
class Viewer:
    """The signed-in user as pages see it (plain values: no database access to render)."""

    user_id: int
    username: str
    display_name: str | None
    role: str
    language: str
    totp_enabled: bool
    pending_step: str | None

    @property
    def is_authenticated(self) -> bool:
        """Signed in and no step owed: the console is open."""
        return self.pending_step is None

    @property
    def name(self) -> str:
        """How to address the user."""
        return self.display_name or self.username

    def has_role(self, role: str) -> bool:
        """True when the user's role is ``role`` or above it (operator < supervisor < admin)."""
        return ROLE_RANK.get(self.role, -1) >= ROLE_RANK[role]


def pending_step(user: User, login: LoginSession) -> str | None:
    """The endpoint of the step ``user`` still owes in this session, if any."""
    if user.totp_enabled and login.second_factor_at is None:
        return "auth.totp"
    if user.must_change_password:
        return "auth.change_password"
    if user.role in TOTP_REQUIRED_ROLES and not user.totp_enabled:
        return "auth.enrol_totp"
    return None


def set_viewer(user: User, login: LoginSession) -> Viewer:
    """Make ``user`` (in ``login``) the user of this request."""
    viewer = Viewer(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        language=user.ui_language,
        totp_enabled=user.totp_enabled,
        pending_step=pending_step(user, login),
    )
    g.user, g.login, g.viewer = user, login, viewer
    g.actor, g.ui_language = user.username, user.ui_language
    return viewer


def clear_viewer() -> None:
    """Nobody is signed in on this request any more (after logout)."""
    for name in ("user", "login", "viewer", "actor", "ui_language"):
        g.pop(name, None)


def load_viewer() -> Viewer | None:
    """The user behind the session cookie, once its timeouts are checked (once a request)."""
    if g.get("viewer_loaded"):
        return get_viewer()
    g.viewer_loaded = True
    token_session = session._get_current_object()  # type: ignore[attr-defined]
    if not isinstance(token_session, TokenSession) or not token_session.from_cookie:
        return None
    found = find_login(db.session, token_session.token)
    if found is None:
        return None
    login, user = found
    now = utcnow()
    reason = expiry(login, user, now, current_app.config["SESSION_IDLE_TIMEOUT"])
    if reason is not None:
        login.ended_at = now
        audit_failure("auth.session_expired", "user", user.id, actor=user.username, reason=reason)
        return None
    login.last_seen_at = now
    return set_viewer(user, login)


def get_viewer() -> Viewer | None:
    """The user of this request, signed in or owing a step; None when anonymous."""
    viewer: Viewer | None = g.get("viewer")
    return viewer


def get_current_user() -> User:
    """The signed-in user of this request (the model itself, not a proxy); 401 if none."""
    user: User | None = g.get("user")
    if user is None:
        raise Unauthorized()
    return user


# The signed-in user of the request, as a model (for views behind the gate).
current_user: User = cast(User, LocalProxy(get_current_user))


def current_login() -> LoginSession:
    """The server-side session of the signed-in user of this request."""
    login: LoginSession | None = g.get("login")
    if login is None:
        raise Unauthorized()
    return login


def refuse_anonymous() -> NoReturn:
    """Audit the attempt; send a browser to the login page, anything else a 401."""
    audit_failure(
        "access.anonymous", "route", request.endpoint, path=request.path, method=request.method
    )
    if request.method in ("GET", "HEAD"):
        query = request.query_string.decode("latin-1")
        target = f"{request.path}?{query}" if query else request.path
        abort(redirect(url_for("auth.login", next=target)))
    abort(401)


def deny(reason: str) -> NoReturn:
    """Refuse with 403; the 403 handler audits it with ``reason``."""
    g.denied_reason = reason
    abort(403)


def _confine() -> None:
    viewer = get_viewer()
    if viewer is None:
        refuse_anonymous()
    step = viewer.pending_step
    if step is None or request.endpoint == step or request.endpoint in _WHILE_PENDING:
        return
    if request.method in ("GET", "HEAD"):
        abort(redirect(url_for(step)))
    deny(f"step owed: {step}")


def gate() -> None:
    """The app-wide ``before_request`` hook (see the module's docstring)."""
    endpoint = request.endpoint
    if is_exempt_request() or endpoint in _UNGUARDED:
        return
    load_viewer()
    if endpoint is None:  # no route: 404 or 405 follows
        return
    if endpoint not in PUBLIC_ENDPOINTS:
        _confine()
    check_csrf()


def is_public(endpoint: str) -> bool:
    """True when ``endpoint`` is reachable without a console session, by design."""
    if endpoint in PUBLIC_ENDPOINTS:
        return True
    blueprint, _, _ = endpoint.partition(".")
    return "." in endpoint and blueprint in EXEMPT_BLUEPRINTS


def login_required(view: Callable[P, R]) -> Callable[P, R]:
    """Refuse anonymous users (and users owing a step), for console pages.

    The gate already does this for every endpoint not listed as public; the decorator
    states it. Not for the exempt blueprints: they check no CSRF token, so a cookie must
    not authenticate there (the API uses its tokens).
    """

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        viewer = load_viewer()
        if viewer is None or not viewer.is_authenticated:
            refuse_anonymous()
        return view(*args, **kwargs)

    return wrapper


def roles_required(role: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Only users with ``role`` or a higher one (operator < supervisor < admin); else 403."""
    if role not in ROLE_RANK:
        raise ValueError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            viewer = load_viewer()
            if viewer is None or not viewer.is_authenticated:
                refuse_anonymous()
            if not viewer.has_role(role):
                deny(f"role {role} required")
            return view(*args, **kwargs)

        wrapper.required_role = role  # type: ignore[attr-defined]
        return wrapper

    return decorator
