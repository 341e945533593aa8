"""A console client for tests: forms with their CSRF token, sign-in, accounts, TOTP codes."""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from ivr.auth.passwords import hash_password
from ivr.auth.sessions import cookie_name
from ivr.auth.totp import current_step
from models import AuditEntry, Database, User

PASSWORD = "long enough and unusual 42"
CSRF_PATTERN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Account:
    """A test account and its secrets."""

    username: str
    password: str
    role: str
    totp_secret: str | None = None

    def code(self, at: datetime | None = None, *, steps: int = 0) -> str:
        """The TOTP code of the step ``steps`` away from ``at`` (default now)."""
        assert self.totp_secret is not None
        step = current_step(at or datetime.now(UTC)) + steps
        return pyotp.TOTP(self.totp_secret).generate_otp(step)


def wrong_code(secret: str) -> str:
    """A six-digit code that none of the steps the server accepts now would give (a fixed
    "000000" would be right a few times in a million)."""
    totp = pyotp.TOTP("".join(secret.split()))
    now = current_step(datetime.now(UTC))
    valid = {totp.generate_otp(step) for step in range(now - 2, now + 3)}
    return next(code for code in ("000000", "111111", "222222") if code not in valid)


def database(app: Flask) -> Database:
    """The app's database."""
    db: Database = app.extensions["database"]
    return db


def make_user(
    app: Flask,
    role: str = "operator",
    *,
    totp: bool = False,
    must_change: bool = False,
    password: str = PASSWORD,
    **fields: Any,
) -> Account:
    """An account written straight to the database (not audited)."""
    # Letters only: pages show the username, and tests check that digits (the end of the
    # caller's number, a published figure) are not on them, which hex could hold by chance.
    suffix = "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))
    account = Account(f"{role}-{suffix}", password, role)
    encrypted = None
    if totp:
        account.totp_secret = pyotp.random_base32()
        encrypted = app.extensions["cipher"].encrypt_text(account.totp_secret)
    with database(app).session() as session, session.begin():
        session.add(
            User(
                username=account.username,
                role=role,
                password_hash=hash_password(password),
                must_change_password=must_change,
                totp_secret_enc=encrypted,
                totp_enabled=totp,
                ui_language="en",
                failed_logins=0,
                **fields,
            )
        )
    return account


def load_user(app: Flask, username: str) -> User:
    """The account as stored now."""
    with database(app).session() as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        return user


def audit_actions(app: Flask, after_id: int = 0) -> list[tuple[str, str | None, str]]:
    """(action, actor, outcome) of the audit entries after ``after_id``, in order."""
    with database(app).session() as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.actor, AuditEntry.outcome)
            .where(AuditEntry.id > after_id)
            .order_by(AuditEntry.id)
        )
        return [(a, b, c) for a, b, c in rows]


def last_audit_id(app: Flask) -> int:
    """The id of the newest audit entry (0 when none)."""
    with database(app).session() as session:
        return session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc())) or 0


class Console:
    """A browser on the console: keeps its cookie, sends forms with their CSRF token."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client: FlaskClient = app.test_client()

    @property
    def token(self) -> str | None:
        """The session token in the browser's cookie."""
        cookie = self.client.get_cookie(cookie_name(self.app))
        return None if cookie is None else cookie.value

    def set_token(self, token: str) -> None:
        """Put a (replayed) token in the browser's cookie."""
        self.client.set_cookie(cookie_name(self.app), token)

    def csrf(self, path: str = "/login") -> str:
        """A CSRF token from a page with a form (after following redirects)."""
        page = self.client.get(path, follow_redirects=True)
        found = CSRF_PATTERN.search(page.text)
        assert found, f"no form on {path}: {page.status_code}"
        return found.group(1)

    def post(
        self, path: str, data: dict[str, str] | None = None, *, csrf: bool = True, **kwargs: Any
    ) -> TestResponse:
        """POST a form, with a valid CSRF token unless ``csrf`` is false."""
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.csrf())
        return self.client.post(path, data=form, **kwargs)

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        """GET a page."""
        return self.client.get(path, **kwargs)

    def login(self, account: Account, *, password: str | None = None) -> TestResponse:
        """Submit the login form."""
        return self.post(
            "/login",
            {"username": account.username, "password": password or account.password},
        )

    def sign_in(self, account: Account) -> None:
        """Sign in completely (password, and the TOTP code when enrolled)."""
        response = self.login(account)
        assert response.status_code == 302, response.text
        if account.totp_secret is not None:
            response = self.post("/login/totp", {"code": account.code()})
            assert response.status_code == 302, response.text
        assert self.get("/").status_code == 200


def add_probe_pages(app: Flask) -> None:
    """Pages for tests: one per role, and one that audits a record view (before any
    request, while the app can still take routes)."""
    from flask import Blueprint, abort

    from ivr.audit import audit_access
    from ivr.auth import roles_required

    bp = Blueprint("probe", __name__, url_prefix="/probe")

    @bp.get("/supervisor")
    @roles_required("supervisor")
    def supervisor_page() -> str:
        return "supervisor page"

    @bp.get("/admin")
    @roles_required("admin")
    def admin_page() -> str:
        return "admin page"

    @bp.get("/record/<int:report_id>")
    def record_page(report_id: int) -> str:
        audit_access("report.view", "report", report_id)
        return "record page"

    @bp.post("/record/<int:report_id>/conflict")
    def failing_change(report_id: int) -> str:
        audit_access("report.change", "report", report_id)
        abort(409)

    app.register_blueprint(bp)
