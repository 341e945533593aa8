"""Passwords: argon2id hashes, and the policy a new password must meet."""

from __future__ import annotations

import secrets
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ivr.i18n import _

# argon2-cffi's defaults: argon2id with RFC 9106's low-memory profile (t=3, 64 MiB, p=4).
# When they change (a new argon2-cffi, or parameters set here), a hash is redone at the
# user's next successful login.
HASHER = PasswordHasher()
MAX_LENGTH = 256

# A small list of passwords long enough to pass the length rule yet guessed first.
COMMON_PASSWORDS = frozenset(
    line.strip().lower()
    for line in Path(__file__).with_name("common_passwords.txt").read_text("utf-8").splitlines()
    if line.strip() and not line.startswith("#")
)


def hash_password(password: str) -> str:
    """A new argon2id hash of ``password`` (salted)."""
    return HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches ``password_hash`` (constant time)."""
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than the current ones."""
    try:
        return HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@cache
def _decoy_hash() -> str:
    return HASHER.hash(secrets.token_urlsafe(16))


def spend_verification_time(password: str) -> None:
    """Take as long as a real check, so that timing does not tell whether a user exists."""
    verify_password(_decoy_hash(), password)


def one_time_password() -> str:
    """A random password for a new or reset account (to be changed at first login)."""
    return secrets.token_urlsafe(12)


def password_problem(password: str, username: str, min_length: int) -> str | None:
    """Why ``password`` may not be used (translated), or None when it is acceptable."""
    lowered = password.lower()
    if len(password) < min_length:
        return _("The password must be at least %(n)d characters long.", n=min_length)
    if len(password) > MAX_LENGTH:
        return _("The password must be at most %(n)d characters long.", n=MAX_LENGTH)
    if username and username.lower() in lowered:
        return _("The password must not contain the username.")
    if lowered in COMMON_PASSWORDS or len(set(lowered)) <= 2:
        return _("This password is too common or too easy to guess.")
    return None
