"""Who calls the API: a bearer token per request (no cookie, no CSRF), and their role.

Every ``/api/*`` request passes :func:`authenticate_request` (the blueprint's
``before_request``): ``Authorization: Bearer hlt_...`` must name an active token of an
enabled account, else 401 with a JSON error, audited as ``api.auth_failed``. The token's
user then acts with their role of *now*; :func:`require_role` refuses (403, audited as
``access.denied``) an operation above it. Errors are JSON: ``{"error", "message"}``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, NoReturn, ParamSpec, TypeVar

from flask import Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from ivr.audit import audit_failure, client_ip
from ivr.auth import ROLE_RANK
from ivr.auth.tokens import authenticate
from ivr.extensions import db
from ivr.reports.triage import Actor
from models import ApiToken, User
from models.base import utcnow

P = ParamSpec("P")
R = TypeVar("R")

_MESSAGES = {
    "missing": "send an API token: Authorization: Bearer <token>",
    "malformed": "this is not an API token",
    "unknown": "unknown API token",
    "revoked": "this API token was revoked",
    "expired": "this API token has expired",
    "disabled": "the account of this API token is disabled",
}


class ApiError(HTTPException):
    """An error answered as ``{"error": code, "message": ..., **extra}``."""

    def __init__(self, status: int, error: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = status
        self.error = error
        self.extra = extra
        response = jsonify({"error": error, "message": message, **extra})
        response.status_code = status
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
        self.response = response


def api_error(status: int, error: str, message: str, **extra: Any) -> NoReturn:
    """Stop the request with a JSON error."""
    raise ApiError(status, error, message, **extra)


def authenticate_request() -> None:
    """The ``before_request`` hook of ``/api``: a valid bearer token, or 401."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        _refuse(None, "missing")
    token, reason = authenticate(db.session, secret, utcnow())
    if token is None or reason != "ok":
        _refuse(token, reason)
    user = db.session.get(User, token.user_id)
    assert user is not None  # authenticate() checked the owner
    g.api_token, g.api_user, g.actor = token, user, user.username


def _refuse(token: ApiToken | None, reason: str) -> NoReturn:
    owner = None if token is None else db.session.get(User, token.user_id)
    audit_failure(
        "api.auth_failed",
        "api_token",
        None if token is None else token.id,
        actor=None if owner is None else owner.username,
        reason=reason,
        path=request.path,
        method=request.method,
    )
    api_error(401, "unauthorized", _MESSAGES[reason])


def api_user() -> User:
    """The user of this API request's token."""
    user: User = g.api_user
    return user


def api_actor() -> Actor:
    """The token's user as the triage services see an actor."""
    user = api_user()
    return Actor(user.username, user.role, client_ip())


def require_role(role: str | None) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Refuse (403, audited) a token whose user is below ``role``; None: any token."""
    if role is not None and role not in ROLE_RANK:
        raise ValueError(f"unknown role {role!r}")

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            if role is not None and ROLE_RANK.get(api_user().role, -1) < ROLE_RANK[role]:
                audit_failure(
                    "access.denied",
                    "route",
                    request.endpoint,
                    reason=f"role {role} required",
                    path=request.path,
                    method=request.method,
                    via="api",
                )
                api_error(403, "forbidden", f"this needs the {role} role or above")
            return view(*args, **kwargs)

        return wrapper

    return decorator


def json_http_error(error: HTTPException) -> Response:
    """Any HTTP error of the API as JSON (ours carry their own answer)."""
    if isinstance(error, ApiError) and isinstance(error.response, Response):
        return error.response
    code = error.code or 500
    name = (error.name or "error").lower().replace(" ", "_")
    response = jsonify({"error": name, "message": error.description or error.name})
    response.status_code = code
    for header, value in error.get_headers():
        if header.lower() != "content-type":  # e.g. Allow on a 405
            response.headers[header] = value
    return response
