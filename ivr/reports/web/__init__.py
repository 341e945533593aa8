"""The analyst's pages: the queue, the call log, the call record and its triage forms.

Views are thin: they parse the request, call :mod:`ivr.reports.queries` or
:mod:`ivr.reports.triage`, audit the access and render a template of
``ivr/templates/reports/``. The queue is the console's home page (``console.home``).
"""

from __future__ import annotations

from flask import Blueprint, Flask

from ivr.auth import ROLE_RANK
from ivr.console import add_nav_item
from ivr.i18n import _l

bp = Blueprint("reports", __name__)

__all__ = ["bp", "init_app"]


def init_app(app: Flask) -> None:
    """Register the pages, their navigation entries and template helpers."""
    from ivr.reports.web import actions, audio, pages  # noqa: F401  (routes)
    from ivr.reports.web.labels import template_helpers

    if app.config["REVEAL_CALLER_ROLE"] not in ROLE_RANK:
        raise ValueError(f"REVEAL_CALLER_ROLE must be one of {', '.join(ROLE_RANK)}")
    app.register_blueprint(bp)
    app.context_processor(template_helpers)
    add_nav_item(app, "reports.calls", _l("Call log"), role="operator", order=20)
