"""Security headers on the console's answers."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from ivr.security import CONTENT_SECURITY_POLICY
from tests.auth.helpers import Console, make_user
from tests.conftest import app_config, running_app


def _assert_console_headers(headers: dict[str, str]) -> None:
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Frame-Options"] == "DENY"
    assert "camera=()" in headers["Permissions-Policy"]
    assert headers["Cache-Control"] == "no-store"


def test_console_pages_carry_the_security_headers(app: Flask) -> None:
    account = make_user(app)
    console = Console(app)
    _assert_console_headers(dict(console.get("/login").headers))
    _assert_console_headers(dict(console.get("/").headers))  # the redirect too
    console.sign_in(account)
    for path in ["/", "/account/password", "/account/totp", "/nowhere"]:
        response = console.get(path)
        _assert_console_headers(dict(response.headers))
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_inline_script_or_style_in_the_pages(app: Flask) -> None:
    account = make_user(app, "admin")
    console = Console(app)
    console.login(account)
    for path in ["/login", "/account/totp", "/account/password"]:
        page = console.get(path).text
        assert "<script>" not in page and "<style" not in page and "style=" not in page
        assert "onclick" not in page and "javascript:" not in page


def test_static_assets_may_be_cached(app: Flask) -> None:
    with app.test_client().get("/static/console.css") as response:
        assert response.status_code == 200
        assert response.headers.get("Cache-Control") != "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_no_hsts_for_plain_http_development(database_url: str, tmp_path: Path) -> None:
    config = app_config(database_url, tmp_path, PUBLIC_BASE_URL="http://localhost:5000")
    with running_app(config) as app:
        response = app.test_client().get("/login")
        assert "Strict-Transport-Security" not in response.headers
        assert response.headers["Cache-Control"] == "no-store"
