"""The console page where signed-in users manage their own API tokens.

A console page (cookie session, CSRF-checked forms), not part of the ``api`` blueprint:
that one is exempt from CSRF because it accepts no cookie. A new token is shown once, in
the answer to the form that created it (console pages are ``no-store``).
"""

from __future__ import annotations

from flask import Blueprint, Flask, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ivr.audit import client_ip
from ivr.auth import get_current_user, roles_required
from ivr.auth.tokens import TokenError, issue_token, list_tokens, revoke_token, token_state
from ivr.console import add_nav_item
from ivr.extensions import db
from ivr.i18n import _, _l
from models.base import utcnow

bp = Blueprint("apitokens", __name__, url_prefix="/account/api-tokens")
EXPIRY_CHOICES = ("30", "90", "365", "never")


def _page(secret: str | None = None, error: str | None = None) -> ResponseReturnValue:
    user = get_current_user()
    now = utcnow()
    rows = [(token, token_state(token, now)) for token, _owner in list_tokens(db.session, user)]
    status = 400 if error else 200
    return render_template(
        "account/api_tokens.html", rows=rows, secret=secret, error=error, choices=EXPIRY_CHOICES
    ), status


@bp.get("/")
@roles_required("operator")
def tokens() -> ResponseReturnValue:
    """The user's tokens and a form for a new one."""
    return _page()


@bp.post("/")
@roles_required("operator")
def create() -> ResponseReturnValue:
    """Issue a token to the signed-in user; its secret is shown on this answer only."""
    user = get_current_user()
    expires = request.form.get("expires", "90")
    if expires not in EXPIRY_CHOICES:
        return _page(error=_("Choose when the token expires."))
    try:
        issued = issue_token(
            db.session,
            user,
            request.form.get("name", ""),
            actor=user.username,
            now=utcnow(),
            expires_days=None if expires == "never" else int(expires),
            ip=client_ip(),
        )
    except TokenError:
        return _page(error=_("Give the token a name (at most 64 characters)."))
    return _page(secret=issued.secret)


@bp.post("/<int:token_id>/revoke")
@roles_required("operator")
def revoke(token_id: int) -> ResponseReturnValue:
    """Revoke one of the user's own tokens."""
    user = get_current_user()
    try:
        revoke_token(
            db.session, token_id, actor=user.username, now=utcnow(), owner=user, ip=client_ip()
        )
    except TokenError:
        return _page(error=_("There is no such token of yours."))
    return redirect(url_for("apitokens.tokens"))


def init_app(app: Flask) -> None:
    """Register the page and its navigation entry."""
    app.register_blueprint(bp)
    add_nav_item(app, "apitokens.tokens", _l("API tokens"), role="operator", order=90)
