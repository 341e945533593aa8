"""Twilio request signatures, checked against the configured public URL.

Behind a TLS-terminating proxy Flask sees an internal scheme, host and port, so the URL
that Twilio signed is rebuilt from ``PUBLIC_BASE_URL`` plus the request's path and raw
query string. Client-supplied ``X-Forwarded-*`` headers are never trusted for this.

Twilio's ``RequestValidator.validate`` always computes two HMACs (the URL with and without
its default port, since Twilio signs either form) and parses the URL twice. Nearly every
request is signed for exactly the URL rebuilt here, so that one HMAC is checked first;
only a request that fails it (a port variant, or a forgery) pays for ``validate`` as well.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator

P = ParamSpec("P")
R = TypeVar("R")


def public_url() -> str:
    """The URL Twilio requested, as it saw it."""
    url = current_app.config["PUBLIC_BASE_URL"] + request.path
    query = request.query_string.decode("latin-1")
    return f"{url}?{query}" if query else url


def is_valid_request() -> bool:
    """True when the current request carries a valid ``X-Twilio-Signature``."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    validator = RequestValidator(current_app.config["TWILIO_AUTH_TOKEN"])
    # Only the POST form is signed; GET parameters travel in the signed URL itself.
    params = request.form if request.method == "POST" else {}
    url = public_url()
    expected = validator.compute_signature(url, params)
    # Bytes: compare_digest refuses str with non-ASCII characters, which a header may carry.
    if hmac.compare_digest(expected.encode(), signature.encode()):
        return True
    return bool(validator.validate(url, params, signature))


def twilio_signed(view: Callable[P, R]) -> Callable[P, R]:
    """Refuse (403) any request that Twilio did not sign."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if not is_valid_request():
            abort(403, description="invalid or missing Twilio signature")
        return view(*args, **kwargs)

    return wrapper
