"""Every route of the URL map: public by design, or closed to anonymous users; every
state-changing console route needs a CSRF token; roles are checked; Twilio untouched."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask
from werkzeug.routing import Rule
from werkzeug.routing.converters import FloatConverter, IntegerConverter, UUIDConverter

from ivr.auth import PUBLIC_ENDPOINTS, is_public
from ivr.security import EXEMPT_BLUEPRINTS
from tests.auth.helpers import Console, add_probe_pages, audit_actions, make_user
from tests.conftest import TwilioClient, call_params

IGNORED_METHODS = {"HEAD", "OPTIONS"}
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def _url(app: Flask, rule: Rule, method: str) -> str:
    values: dict[str, Any] = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            values[name] = 1
        elif isinstance(converter, FloatConverter):
            values[name] = 1.5
        elif isinstance(converter, UUIDConverter):
            values[name] = uuid.UUID(int=1)
        else:
            values[name] = "x"
    return app.url_map.bind("localhost").build(rule.endpoint, values, method=method)


def _routes(app: Flask) -> list[tuple[Rule, str, str]]:
    return [
        (rule, method, _url(app, rule, method))
        for rule in app.url_map.iter_rules()
        for method in sorted((rule.methods or set()) - IGNORED_METHODS)
    ]


def _exempt(rule: Rule) -> bool:
    return "." in rule.endpoint and rule.endpoint.split(".")[0] in EXEMPT_BLUEPRINTS


def test_every_route_is_public_by_design_or_refuses_anonymous_users(app: Flask) -> None:
    add_probe_pages(app)
    client = app.test_client()
    # An anonymous visitor from the internet (/metrics also admits loopback by default).
    client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    checked = 0
    for rule, method, url in _routes(app):
        response = client.open(url, method=method)
        response.close()
        where = f"{method} {rule.rule} ({rule.endpoint})"
        if _exempt(rule):
            # Twilio's webhooks and the API authenticate each request themselves.
            assert response.status_code in (401, 403), where
            continue
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        assert not is_public(rule.endpoint)
        checked += 1
        assert response.status_code in (302, 401), where
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login?next="), where
    assert checked >= 8  # the console's own pages and the probes were all tried
    refused = [a for a in audit_actions(app) if a[0] == "access.anonymous"]
    assert len(refused) == checked


def test_the_public_list_is_short_and_deliberate() -> None:
    listed = {"static", "health.healthz", "health.readyz", "auth.login", "auth.language"}
    assert listed == PUBLIC_ENDPOINTS
    assert is_public("twilio.voice") and is_public("api.v1.reports")
    assert is_public("monitoring.metrics")  # networks and token checked by the view
    assert not is_public("console.home") and not is_public("apix.thing")


def test_every_state_changing_console_route_needs_a_csrf_token(app: Flask) -> None:
    add_probe_pages(app)
    account = make_user(app, "admin", totp=True)
    console = Console(app)
    console.sign_in(account)
    checked = []
    for rule, method, url in _routes(app):
        if method not in STATE_CHANGING or _exempt(rule):
            continue
        response = console.client.open(url, method=method, data={"lang": "fr"})
        assert response.status_code == 400, f"{method} {rule.rule}"
        checked.append(rule.endpoint)
    assert {"auth.login", "auth.logout", "auth.language", "auth.change_password"} <= set(checked)
    triage = {"claim", "assign", "status", "classification", "priority", "note", "referral"}
    assert {f"reports.{name}" for name in (*triage, "reveal")} <= set(checked)
    assert console.get("/").status_code == 200  # still signed in: nothing happened


def test_a_token_of_another_session_or_from_another_site_is_refused(app: Flask) -> None:
    account = make_user(app)
    mine, theirs = Console(app), Console(app)
    mine.sign_in(account)
    foreign = theirs.csrf()
    assert mine.post("/logout", {"csrf_token": foreign}).status_code == 400
    cross_site = mine.post("/logout", headers={"Sec-Fetch-Site": "cross-site"})
    assert cross_site.status_code == 400
    assert mine.get("/").status_code == 200


def test_roles_are_enforced_and_denials_audited(app: Flask) -> None:
    add_probe_pages(app)
    operator = make_user(app, "operator")
    supervisor = make_user(app, "supervisor", totp=True)
    admin = make_user(app, "admin", totp=True)
    expected = [
        (operator, {"/probe/supervisor": 403, "/probe/admin": 403}),
        (supervisor, {"/probe/supervisor": 200, "/probe/admin": 403}),
        (admin, {"/probe/supervisor": 200, "/probe/admin": 200}),
    ]
    for account, pages in expected:
        console = Console(app)
        console.sign_in(account)
        for path, status in pages.items():
            response = console.get(path)
            assert response.status_code == status, (account.role, path)
            if status == 403:
                assert "Access denied" in response.text
    denials = [a for a in audit_actions(app) if a[0] == "access.denied"]
    assert denials == [
        ("access.denied", operator.username, "denied"),
        ("access.denied", operator.username, "denied"),
        ("access.denied", supervisor.username, "denied"),
    ]


def test_twilio_webhooks_are_left_to_their_signatures(app: Flask) -> None:
    client = app.test_client()
    forged = client.post("/twilio/voice", data=call_params())
    assert forged.status_code == 403
    assert "Tip line console" not in forged.text  # not the console's error page
    assert "Set-Cookie" not in forged.headers
    assert audit_actions(app) == []
    signed = TwilioClient(client, app.config["TWILIO_AUTH_TOKEN"]).post(
        "/twilio/voice", call_params()
    )
    assert signed.status_code == 200 and signed.mimetype == "text/xml"
    assert "Set-Cookie" not in signed.headers
    assert "Content-Security-Policy" not in signed.headers
    assert signed.headers.get("Cache-Control") != "no-store"
    assert signed.headers["X-Content-Type-Options"] == "nosniff"


def test_the_dashboard_and_its_csv_files_require_a_supervisor(app: Flask) -> None:
    # Behaviour per role is tested in tests/metrics/test_dashboard_web.py.
    for endpoint in ("metrics.dashboard", "metrics.table_csv"):
        assert getattr(app.view_functions[endpoint], "required_role", None) == "supervisor"
