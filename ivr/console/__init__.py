"""The operator console: the layout, its navigation, the home page and the error pages.

The home page is the analyst queue (:mod:`ivr.reports.web`).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask
from flask.typing import ResponseReturnValue

from ivr.auth import get_viewer, roles_required
from ivr.console.nav import add_nav_item, nav_items
from ivr.i18n import _l

bp = Blueprint("console", __name__)

__all__ = ["add_nav_item", "bp", "init_app"]


@bp.get("/")
@roles_required("operator")
def home() -> ResponseReturnValue:
    """The signed-in user's first page: the analyst queue."""
    from ivr.reports.web.pages import queue_page

    return queue_page()


def init_app(app: Flask) -> None:
    """Register the console's pages, navigation and error pages."""
    from ivr.console.errors import init_app as init_errors

    app.register_blueprint(bp)
    add_nav_item(app, "console.home", _l("Queue"), role="operator", order=10)
    init_errors(app)

    @app.context_processor
    def navigation() -> dict[str, Any]:
        return {"nav_items": nav_items(get_viewer())}
