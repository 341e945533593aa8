"""The console page where users create and revoke their own API tokens."""

from __future__ import annotations

import re

from flask import Flask

from tests.api.conftest import ApiClient, api_client
from tests.auth.helpers import Console, audit_actions, last_audit_id, make_user

TOKEN = re.compile(r'<code id="new-token">(hlt_[^<]+)</code>')
REVOKE = re.compile(r'action="/account/api-tokens/(\d+)/revoke"')


def test_a_user_creates_uses_and_revokes_their_own_token(app: Flask) -> None:
    account = make_user(app)
    console = Console(app)
    console.sign_in(account)
    start = last_audit_id(app)
    page = console.get("/account/api-tokens/")
    assert page.status_code == 200 and "No tokens yet." in page.text
    created = console.post("/account/api-tokens/", {"name": "my script", "expires": "30"})
    assert created.status_code == 200
    secret = TOKEN.search(created.text)
    assert secret is not None
    client = ApiClient(app.test_client(), secret.group(1))
    assert client.get("/calls").status_code == 200
    listed = console.get("/account/api-tokens/")
    assert "my script" in listed.text and secret.group(1) not in listed.text
    (token_id,) = REVOKE.findall(listed.text)
    revoked = console.post(f"/account/api-tokens/{token_id}/revoke")
    assert revoked.status_code == 302
    assert client.get("/calls").status_code == 401
    assert not REVOKE.findall(console.get("/account/api-tokens/").text)
    assert [a for a in audit_actions(app, start) if a[0].startswith("api_token.")] == [
        ("api_token.created", account.username, "ok"),
        ("api_token.revoked", account.username, "ok"),
    ]


def test_no_one_revokes_another_users_token_and_bad_forms_are_refused(app: Flask) -> None:
    other = api_client(app)
    account = make_user(app)
    console = Console(app)
    console.sign_in(account)
    refused = console.post("/account/api-tokens/1/revoke")
    assert refused.status_code == 400 and "no such token of yours" in refused.text
    assert other.get("/calls").status_code == 200
    nameless = console.post("/account/api-tokens/", {"name": " ", "expires": "30"})
    assert nameless.status_code == 400
    forever = console.post("/account/api-tokens/", {"name": "x", "expires": "9999"})
    assert forever.status_code == 400
    assert "/account/api-tokens/" in console.get("/").text  # in the navigation
