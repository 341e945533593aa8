"""Error pages of the console (Twilio's webhooks and the API keep their own answers)."""

from __future__ import annotations

from flask import Flask, g, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from ivr.api.auth import json_http_error
from ivr.audit import audit_failure
from ivr.i18n import _l
from ivr.security import is_exempt_request

MESSAGES = {
    400: _l(
        "The request could not be understood. If you were sending a form, reload the page "
        "and try again."
    ),
    401: _l("Sign in to continue."),
    405: _l("This page cannot be used that way."),
    429: _l("Too many requests. Wait a moment, then try again."),
    500: _l("Something went wrong on our side. The error was logged; try again shortly."),
}
TITLES = {
    400: _l("Bad request"),
    401: _l("Sign-in required"),
    405: _l("Not allowed"),
    429: _l("Too many requests"),
    500: _l("Server error"),
}


def handle_http_error(error: HTTPException) -> ResponseReturnValue:
    """Render the console's page for ``error``; a 403 is audited as a permission denial.

    Under ``/api/`` (an unknown path or method, which no API view saw) the answer is the
    API's own JSON error; Twilio's webhooks keep werkzeug's answer.
    """
    if request.path.startswith("/api/"):
        return json_http_error(error)
    if is_exempt_request():
        return error
    code = error.code or 500
    if code == 403:
        reason = g.get("denied_reason") or "forbidden"
        audit_failure(
            "access.denied",
            "route",
            request.endpoint,
            reason=reason,
            path=request.path,
            method=request.method,
        )
        return render_template("errors/403.html"), 403
    if code == 404:
        return render_template("errors/404.html"), 404
    return render_template(
        "errors/error.html",
        code=code,
        title=TITLES.get(code, error.name),
        message=MESSAGES.get(code, error.description),
    ), code


def init_app(app: Flask) -> None:
    """Register the console's error pages."""
    for code in (400, 401, 403, 404, 405, 429, 500):
        app.register_error_handler(code, handle_http_error)
