"""The console's navigation: pages register their entry, the layout shows those the
signed-in user's role may reach.

A blueprint adds its entry when it is registered::

    add_nav_item(app, "reports.queue", _l("Queue"), role="operator", order=10)
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from ivr.auth import ROLE_RANK, Viewer

_KEY = "console_nav"


@dataclass(frozen=True)
class NavItem:
    """One entry of the main navigation."""

    endpoint: str
    label: str  # a lazy translation (see ivr.i18n._l)
    role: str = "operator"
    order: int = 100


def add_nav_item(
    app: Flask, endpoint: str, label: str, *, role: str = "operator", order: int = 100
) -> None:
    """Show a link to ``endpoint`` to users with ``role`` or above, sorted by ``order``."""
    if role not in ROLE_RANK:
        raise ValueError(f"unknown role {role!r}")
    items: list[NavItem] = app.extensions.setdefault(_KEY, [])
    items.append(NavItem(endpoint, label, role, order))
    items.sort(key=lambda item: item.order)


def nav_items(viewer: Viewer | None) -> list[NavItem]:
    """The entries ``viewer`` may reach (none until fully signed in)."""
    if viewer is None or not viewer.is_authenticated:
        return []
    items: list[NavItem] = current_app.extensions.get(_KEY, [])
    return [item for item in items if viewer.has_role(item.role)]
