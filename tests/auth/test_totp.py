"""The TOTP second factor: enforced for supervisors and admins, optional for operators,
a code accepted once, within one step either side."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import pyotp
import pytest
from flask import Flask

from ivr.auth.totp import STEP_SECONDS, current_step
from tests.auth.helpers import Account, Console, audit_actions, load_user, make_user, wrong_code


def _enrolment_secret(page: str) -> str:
    found = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page)
    assert found, "no setup key on the page"
    return found.group(1).replace(" ", "")


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_supervisors_and_admins_reach_only_the_enrolment_until_enrolled(
    app: Flask, role: str
) -> None:
    account = make_user(app, role)
    console = Console(app)
    assert console.login(account).headers["Location"] == "/account/totp"
    for path in ["/", "/account/password", "/login/totp", "/no-such-page-either"]:
        response = console.get(path)
        assert response.status_code in (302, 404)
        if response.status_code == 302:
            assert response.headers["Location"] == "/account/totp", path
    # Anything else that changes state is refused outright.
    refused = console.post("/account/password", {"current_password": account.password})
    assert refused.status_code == 403
    page = console.get("/account/totp")
    assert page.status_code == 200
    secret = _enrolment_secret(page.text)
    assert "otpauth://totp/" in page.text and "data:image/svg+xml" in page.text
    assert _enrolment_secret(console.get("/account/totp").text) == secret  # kept on reload
    wrong = console.post("/account/totp", {"code": wrong_code(secret)})
    assert wrong.status_code == 400
    code = pyotp.TOTP(secret).now()
    done = console.post("/account/totp", {"code": code})
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert console.get("/").status_code == 200
    user = load_user(app, account.username)
    assert user.totp_enabled and user.totp_secret_enc is not None
    assert secret.encode() not in user.totp_secret_enc  # encrypted at rest
    assert audit_actions(app)[-1] == ("auth.totp_enrolled", account.username, "ok")


def test_operators_may_go_without_or_enrol(app: Flask) -> None:
    account = make_user(app, "operator")
    console = Console(app)
    console.sign_in(account)
    page = console.get("/account/totp")
    assert page.status_code == 200
    secret = _enrolment_secret(page.text)
    assert console.post("/account/totp", {"code": pyotp.TOTP(secret).now()}).status_code == 302
    assert load_user(app, account.username).totp_enabled


def test_an_enrolled_user_gives_the_code_after_the_password(app: Flask) -> None:
    account = make_user(app, "supervisor", totp=True)
    console = Console(app)
    assert console.login(account).headers["Location"] == "/login/totp"
    assert console.get("/").headers["Location"] == "/login/totp"
    assert console.get("/account/totp").headers["Location"] == "/login/totp"
    assert console.post("/login/totp", {"code": "123"}).status_code == 401
    response = console.post("/login/totp", {"code": account.code()})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert console.get("/").status_code == 200
    actions = audit_actions(app)
    assert ("auth.login_failed", account.username, "failed") in actions
    assert actions[-1] == ("auth.second_factor", account.username, "ok")


def _second_factor(app: Flask, account: Account, code: str) -> int:
    console = Console(app)
    assert console.login(account).status_code == 302
    return console.post("/login/totp", {"code": code}).status_code


def test_a_code_is_accepted_once(app: Flask) -> None:
    account = make_user(app, "admin", totp=True)
    code = account.code()
    assert _second_factor(app, account, code) == 302
    assert _second_factor(app, account, code) == 401  # replayed
    assert load_user(app, account.username).totp_last_step is not None


def _away_from_a_step_boundary() -> None:
    """Codes a step away are exact only if the step does not change during the test."""
    left = STEP_SECONDS - time.time() % STEP_SECONDS
    if left < 8:
        time.sleep(left + 0.1)


def test_one_step_either_side_is_accepted_not_two(app: Flask) -> None:
    account = make_user(app, "admin", totp=True)
    _away_from_a_step_boundary()
    assert _second_factor(app, account, account.code(steps=-2)) == 401
    assert _second_factor(app, account, account.code(steps=-1)) == 302
    # A step before the one last accepted is refused too, even inside the window.
    assert _second_factor(app, account, account.code(steps=-2)) == 401
    assert _second_factor(app, account, account.code(steps=+1)) == 302
    assert _second_factor(app, account, account.code()) == 401  # before the last accepted
    last_step = load_user(app, account.username).totp_last_step
    assert last_step == current_step(datetime.now(UTC)) + 1


def test_wrong_codes_lock_the_account(app: Flask) -> None:
    account = make_user(app, "supervisor", totp=True)
    console = Console(app)
    console.login(account)
    wrong = wrong_code(account.totp_secret or "")
    for _ in range(5):
        assert console.post("/login/totp", {"code": wrong}).status_code == 401
    # Locked: even the right code fails now, and signing in again buys no more guesses.
    assert console.post("/login/totp", {"code": account.code()}).status_code == 401
    assert Console(app).login(account).status_code == 401
    actions = [a[0] for a in audit_actions(app)]
    assert actions.count("auth.lockout") == 1
