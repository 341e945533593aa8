"""The JSON API, ``/api/v1``: reports, calls and the audit log for other systems.

Authenticated by personal bearer tokens (:mod:`ivr.auth.tokens`), never by the console's
cookie, so it is exempt from the console's gate and CSRF check (the blueprint is named
``api``: see :data:`ivr.security.EXEMPT_BLUEPRINTS`). Routes and their OpenAPI
description come from one table (:mod:`ivr.api.spec`).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register ``/api/v1`` and the console page where users manage their tokens."""
    from ivr.api import console
    from ivr.api.routes import bp

    app.register_blueprint(bp)
    console.init_app(app)
