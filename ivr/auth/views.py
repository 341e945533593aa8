"""Sign in, second factor, password change, sign out, language: the ``auth`` blueprint."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue

from ivr.audit import audit_failure, client_ip, record
from ivr.auth import totp
from ivr.auth.accounts import find_user
from ivr.auth.gate import (
    clear_viewer,
    current_login,
    get_current_user,
    get_viewer,
    set_viewer,
)
from ivr.auth.login import (
    Attempt,
    accept_totp,
    change_password,
    ip_throttled,
    is_locked,
    password_failure,
    record_failure,
    start_session,
    totp_secret,
)
from ivr.auth.passwords import password_problem, spend_verification_time, verify_password
from ivr.auth.sessions import TokenSession
from ivr.extensions import cipher, db
from ivr.i18n import LANG_COOKIE, LANGUAGES, _
from models.base import utcnow

bp = Blueprint("auth", __name__)


def _attempt() -> Attempt:
    return Attempt(ip=client_ip(), now=utcnow())


def _token_session() -> TokenSession:
    token_session = session._get_current_object()  # type: ignore[attr-defined]
    assert isinstance(token_session, TokenSession)
    return token_session


def safe_next(value: str | None) -> str | None:
    """``value`` when it is a path on this site (never another site: no open redirect).

    Browsers ignore tabs and newlines in URLs and read a backslash as a slash, so any of
    those (and any other space or control character) disqualifies the value.
    """
    if not value or not value.startswith("/") or value.startswith("//"):
        return None
    if "\\" in value or any(ch.isspace() or not ch.isprintable() for ch in value):
        return None
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else None


def next_page() -> str:
    """Where the user goes now: the step still owed, else the console's home."""
    viewer = get_viewer()
    if viewer is not None and viewer.pending_step is not None:
        return url_for(viewer.pending_step)
    return url_for("console.home")


def _login_form(target: str | None, username: str, error: str, status: int) -> ResponseReturnValue:
    return render_template("auth/login.html", next=target, username=username, error=error), status


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """The sign-in form; the same message for any failure, so that it tells nothing."""
    if get_viewer() is not None:
        return redirect(next_page())
    target = safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("auth/login.html", next=target, username="", error=None)
    username = request.form.get("username", "")[:128]
    password = request.form.get("password", "")
    attempt = _attempt()
    if ip_throttled(db.session, attempt):
        spend_verification_time(password)
        record_failure(None, "ip_throttled", attempt)
        message = _(
            "Too many failed sign-ins from your network. Wait a few minutes, then try again."
        )
        return _login_form(target, username, message, 429)
    user = find_user(db.session, username)
    reason = password_failure(user, password, attempt.now)
    if user is None or reason is not None:
        record_failure(user, reason or "unknown_user", attempt)
        message = _(
            "Sign-in failed: check the username and the password. "
            "After repeated failures an account is locked for a while."
        )
        return _login_form(target, username, message, 401)
    viewer = set_viewer(user, start_session(db.session, user, password, _token_session(), attempt))
    if viewer.pending_step is not None:
        return redirect(url_for(viewer.pending_step))
    return redirect(target or url_for("console.home"))


@bp.route("/login/totp", methods=["GET", "POST"], endpoint="totp")
def totp_check() -> ResponseReturnValue:
    """The second step of signing in: the code of the authenticator app."""
    viewer = get_viewer()
    if viewer is None or viewer.pending_step != "auth.totp":
        return redirect(next_page())
    if request.method == "GET":
        return render_template("auth/totp.html", error=None)
    user, attempt = get_current_user(), _attempt()
    code = request.form.get("code", "")
    if is_locked(user, attempt.now) or not accept_totp(db.session, user, code, attempt.now):
        record_failure(user, "locked" if is_locked(user, attempt.now) else "bad_totp", attempt)
        message = _("The code is not valid. Enter the current code of your authenticator app.")
        return render_template("auth/totp.html", error=message), 401
    login = current_login()
    login.second_factor_at = attempt.now
    user.failed_logins = 0
    user.locked_until = None
    record(
        db.session,
        actor=user.username,
        action="auth.second_factor",
        target_type="user",
        target_id=user.id,
        ip=attempt.ip,
    )
    set_viewer(user, login)
    return redirect(next_page())


def _enrolment_page(secret: str, error: str | None) -> str:
    user = get_current_user()
    uri = totp.provisioning_uri(secret, user.username, current_app.config["TOTP_ISSUER"])
    return render_template(
        "auth/enrol.html",
        enabled=False,
        secret=totp.grouped(secret),
        uri=uri,
        qr_code=totp.qr_code_data_uri(uri),
        error=error,
    )


@bp.route("/account/totp", methods=["GET", "POST"])
def enrol_totp() -> ResponseReturnValue:
    """Set up the authenticator app: required for supervisors and admins, open to all."""
    user = get_current_user()
    if user.totp_enabled:
        return render_template("auth/enrol.html", enabled=True)
    secret = totp_secret(user)
    if secret is None:
        # Kept (encrypted) from the first view, so that a reload shows the same secret.
        secret = totp.new_secret()
        user.totp_secret_enc = cipher.current.encrypt_text(secret)
    if request.method == "GET":
        return _enrolment_page(secret, None)
    now = utcnow()
    if not accept_totp(db.session, user, request.form.get("code", ""), now):
        message = _("The code is not valid. Check the time of your device and try again.")
        return _enrolment_page(secret, message), 400
    user.totp_enabled = True
    login = current_login()
    login.second_factor_at = now
    record(
        db.session,
        actor=user.username,
        action="auth.totp_enrolled",
        target_type="user",
        target_id=user.id,
        ip=client_ip(),
    )
    set_viewer(user, login)
    return redirect(next_page())


@bp.route("/account/password", methods=["GET", "POST"], endpoint="change_password")
def change_password_view() -> ResponseReturnValue:
    """Change one's password (forced after a one-time password)."""
    if request.method == "GET":
        return render_template("auth/password.html", error=None)
    user = get_current_user()
    current = request.form.get("current_password", "")
    new = request.form.get("new_password", "")
    if not verify_password(user.password_hash, current):
        audit_failure(
            "auth.password_change", "user", user.id, outcome="failed", reason="bad_current_password"
        )
        return render_template(
            "auth/password.html", error=_("The current password is not correct.")
        ), 400
    error = password_problem(new, user.username, current_app.config["PASSWORD_MIN_LENGTH"])
    if error is None and new != request.form.get("confirm_password", ""):
        error = _("The two new passwords are not the same.")
    if error is None and new == current:
        error = _("The new password must differ from the current one.")
    if error is not None:
        return render_template("auth/password.html", error=error), 400
    login = current_login()
    change_password(db.session, user, new, login, utcnow())
    record(
        db.session,
        actor=user.username,
        action="auth.password_changed",
        target_type="user",
        target_id=user.id,
        ip=client_ip(),
    )
    set_viewer(user, login)
    return redirect(next_page())


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """End the server-side session: the cookie's token is dead from now on."""
    user, login = get_current_user(), current_login()
    login.ended_at = utcnow()
    record(
        db.session,
        actor=user.username,
        action="auth.logout",
        target_type="user",
        target_id=user.id,
        ip=client_ip(),
    )
    _token_session().rotate()
    clear_viewer()
    return redirect(url_for("auth.login"))


@bp.post("/language")
def language() -> ResponseReturnValue:
    """Switch the console's language (kept on the account, or in a cookie before sign-in)."""
    chosen = request.form.get("lang", "")
    if chosen not in LANGUAGES:
        abort(400)
    viewer = get_viewer()
    if viewer is not None:
        get_current_user().ui_language = chosen
    response = redirect(safe_next(request.form.get("next")) or url_for("console.home"))
    response.set_cookie(
        LANG_COOKIE,
        chosen,
        max_age=int(timedelta(days=365).total_seconds()),
        path="/",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    return response
