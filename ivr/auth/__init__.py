"""Console accounts: sign-in, server-side sessions, roles, and the gate of every route.

``from ivr.auth import current_user, login_required, roles_required, PUBLIC_ENDPOINTS``.
"""

from __future__ import annotations

from flask import Flask

from ivr.auth.gate import (
    PUBLIC_ENDPOINTS,
    ROLE_RANK,
    TOTP_REQUIRED_ROLES,
    Viewer,
    current_login,
    current_user,
    gate,
    get_current_user,
    get_viewer,
    is_public,
    login_required,
    roles_required,
)
from ivr.auth.sessions import TokenSessionInterface

__all__ = [
    "PUBLIC_ENDPOINTS",
    "ROLE_RANK",
    "TOTP_REQUIRED_ROLES",
    "Viewer",
    "current_login",
    "current_user",
    "get_current_user",
    "get_viewer",
    "init_app",
    "is_public",
    "login_required",
    "roles_required",
]


def init_app(app: Flask) -> None:
    """Server-side sessions, the gate in front of every route, the auth pages."""
    from ivr.auth.views import bp

    app.session_interface = TokenSessionInterface()
    app.before_request(gate)
    app.register_blueprint(bp)

    @app.context_processor
    def viewer_context() -> dict[str, Viewer | None]:
        return {"viewer": get_viewer()}
