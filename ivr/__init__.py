"""The hotline's web application: the only package that knows Flask.

``create_app`` reads as the list of steps that build the app.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask

from ivr.calls.runtime import FlowRuntime
from ivr.config import load_config
from ivr.extensions import cipher, db


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: configuration, extensions, call flow, blueprints, commands."""
    app = Flask(__name__)
    load_config(app, test_config)
    configure_logging(app)
    db.init_app(app)
    cipher.init_app(app)
    load_callflow(app)
    add_jobs(app)
    add_console(app)
    add_blueprints(app)
    add_commands(app)
    return app


def configure_logging(app: Flask) -> None:
    """Plain log lines; nothing identifying is ever logged."""
    logging.basicConfig(
        level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def load_callflow(app: Flask) -> None:
    """Parse the configured flow and prompts once."""
    app.extensions["callflow"] = FlowRuntime.from_config(app.config)


def add_jobs(app: Flask) -> None:
    """The outbox and its dispatcher: rq with ``REDIS_URL``, else in-process."""
    from ivr.jobs.setup import init_app

    init_app(app)


def add_console(app: Flask) -> None:
    """The operator console: languages, CSRF and headers, audit, sign-in and its gate, pages
    (the queue, the call log, the call record, the audit log)."""
    from ivr import audit, auth, console, i18n, security
    from ivr.audit import views as audit_views
    from ivr.reports import web as reports_web

    i18n.init_app(app)
    security.init_app(app)
    audit.init_app(app)
    auth.init_app(app)
    console.init_app(app)
    reports_web.init_app(app)
    audit_views.init_app(app)
    add_dashboard(app)


def add_dashboard(app: Flask) -> None:
    """The supervisors' dashboard, ``/dashboard`` (see ``ivr.metrics``)."""
    from ivr.metrics import views

    views.init_app(app)


def add_blueprints(app: Flask) -> None:
    """Register the web routes."""
    from ivr import monitoring
    from ivr.health import bp as health_bp
    from ivr.telephony.routes import bp as twilio_bp

    app.register_blueprint(twilio_bp)
    app.register_blueprint(health_bp)
    monitoring.init_app(app)
    add_api(app)
    add_test_call(app)


def add_api(app: Flask) -> None:
    """The JSON API, ``/api/v1`` (bearer tokens; see ``ivr.api``)."""
    from ivr import api

    api.init_app(app)


def add_test_call(app: Flask) -> None:
    """The console's test call page (the call simulator against this app)."""
    from ivr import testcall

    testcall.init_app(app)


def add_commands(app: Flask) -> None:
    """Register the ``flask --app wsgi ...`` commands."""
    from ivr.cli import register

    register(app)
