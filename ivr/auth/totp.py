"""The TOTP second factor (RFC 6238: 30-second steps, 6 digits, SHA-1, as apps expect)."""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp
import segno

STEP_SECONDS = 30
DIGITS = 6
# Steps either side of the current one that are still accepted (clock drift, typing time).
WINDOW = 1


def new_secret() -> str:
    """A new random base32 secret (160 bits)."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str, issuer: str) -> str:
    """The ``otpauth://`` URI an authenticator app imports."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def qr_code_data_uri(uri: str) -> str:
    """The URI as a QR code: an SVG ``data:`` URI, rendered here (no script, no request)."""
    data_uri: str = segno.make(uri, error="m").svg_data_uri(scale=5, border=2)
    return data_uri


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an app."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def current_step(now: datetime) -> int:
    """The TOTP time step that ``now`` falls in."""
    return int(now.timestamp()) // STEP_SECONDS


def matching_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The step whose code is ``code``, within the window and after ``last_step``; or None.

    A step at or before the last accepted one is refused: a code works once.
    """
    code = "".join(code.split())
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    now_step = current_step(now)
    for step in range(now_step - WINDOW, now_step + WINDOW + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None
