"""Browser-facing protections of the console: CSRF and security headers.

Two parts of the URL map authenticate otherwise and are left alone: ``/twilio/*``
(Twilio signs each request; it cannot send a CSRF token nor keep a cookie) and
``/api/*`` (per-user tokens in a header, no cookie). Their answers only get headers that
cannot change what a client does with them (nosniff, no referrer, HSTS).

CSRF: Flask-WTF's ``CSRFProtect`` checks every POST/PUT/PATCH/DELETE outside those two,
called from the one ``before_request`` gate of :mod:`ivr.auth.gate` (so there is a single
list of exemptions). The token is bound to the server-side session (see
:mod:`ivr.auth.sessions`). Flask-WTF's "strict referrer" check is off because the console
sends ``Referrer-Policy: no-referrer``, so browsers send no ``Referer`` to compare;
instead a POST that a browser marks as coming from another site (``Sec-Fetch-Site``) is
refused outright, and the session cookie is ``SameSite``.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from flask_wtf.csrf import CSRFError, CSRFProtect  # type: ignore[import-untyped]

# Blueprints (and URL prefixes, for URLs that match no route) with their own authentication.
EXEMPT_BLUEPRINTS = frozenset({"twilio", "api", "monitoring"})
EXEMPT_PREFIXES = ("/twilio/", "/api/")
# What machines call (probes, the metrics scrape): they never use a console session.
MACHINE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
HSTS = "max-age=31536000; includeSubDomains"
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})

csrf = CSRFProtect()


def is_exempt_request() -> bool:
    """True for Twilio's webhooks and the JSON API: not console pages."""
    if EXEMPT_BLUEPRINTS.intersection(request.blueprints):
        return True
    path = request.path
    return path.rstrip("/") in ("/twilio", "/api") or path.startswith(EXEMPT_PREFIXES)


def check_csrf() -> None:
    """Refuse (400) a state-changing request without a valid CSRF token for its session."""
    if request.method not in STATE_CHANGING:
        return
    if request.headers.get("Sec-Fetch-Site") in ("cross-site", "same-site"):
        raise CSRFError("The request comes from another site.")
    csrf.protect()


def set_security_headers(response: Response) -> Response:
    """The headers every answer gets, and those of console pages."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    if current_app.config["SESSION_COOKIE_SECURE"]:
        headers.setdefault("Strict-Transport-Security", HSTS)
    if is_exempt_request():
        return response
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
    if request.endpoint != "static":
        # Console pages show sensitive records: never kept by the browser or a proxy.
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
    return response


def init_app(app: Flask) -> None:
    """CSRF (checked by the auth gate, not by Flask-WTF's own hook) and the headers."""
    if app.config["SESSION_COOKIE_SAMESITE"] not in ("Lax", "Strict"):
        raise ValueError("SESSION_COOKIE_SAMESITE must be Lax or Strict")
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    # The token lives as long as the session it is bound to (idle/absolute timeouts).
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    app.config.setdefault("WTF_CSRF_SSL_STRICT", False)
    csrf.init_app(app)
    app.after_request(set_security_headers)
