"""``GET /metrics``: the Prometheus exposition, for allowed networks (and a token).

The address must fall in ``METRICS_ALLOW`` (comma-separated networks; default loopback);
when ``METRICS_TOKEN`` is set, ``Authorization: Bearer <token>`` is required as well.
Behind a reverse proxy on the same host every request comes from loopback: set a token,
or do not route ``/metrics`` through the proxy.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from functools import cache

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from ivr.extensions import cipher
from ivr.monitoring.latency import WEBHOOK_SECONDS
from ivr.monitoring.state import StateCollector
from ivr.telephony.spool import Spool

bp = Blueprint("monitoring", __name__)
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def networks(spec: str) -> tuple[Network, ...]:
    """Parse ``METRICS_ALLOW`` (a bad value fails the first scrape loudly)."""
    return tuple(ipaddress.ip_network(part.strip()) for part in spec.split(",") if part.strip())


def _check_access() -> None:
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        abort(403)
    if not any(address in net for net in networks(current_app.config["METRICS_ALLOW"])):
        abort(403)
    token: str | None = current_app.config["METRICS_TOKEN"]
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            abort(401)


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=True)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # every worker's samples
    else:
        registry.register(WEBHOOK_SECONDS)
    app = current_app
    spool = Spool(app.config["SPOOL_DIR"], cipher.current)
    registry.register(StateCollector(app.extensions["database"], app.extensions["jobs"], spool))
    return registry


@bp.get("/metrics")
def metrics() -> Response:
    """The service's metrics in Prometheus' text format."""
    _check_access()
    return Response(generate_latest(_registry()), mimetype=CONTENT_TYPE_LATEST)
