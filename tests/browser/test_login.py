"""Signing in with Chromium: the one-time password from the CLI, the forced change, the
authenticator enrolment of a supervisor, codes at later sign-ins, refusals, sign-out."""

from __future__ import annotations

import gettext

import pytest
from playwright.sync_api import Page, expect

from tests.auth.helpers import wrong_code
from tests.browser.conftest import ConsoleStack
from tests.browser.console import (
    NEW_PASSWORD,
    BrowserAccount,
    change_password,
    create_account,
    enrol_authenticator,
    screenshot,
    sign_in,
    submit_login,
)
from tests.live import ROOT

pytestmark = [pytest.mark.live, pytest.mark.browser, pytest.mark.timeout(600)]


def _path(page: Page, stack: ConsoleStack) -> str:
    return page.url.removeprefix(stack.url).split("?")[0]


def sign_out(page: Page) -> None:
    page.click("form[action='/logout'] button")
    expect(page.locator("#username")).to_be_visible()


def test_an_operator_changes_the_one_time_password_then_reaches_the_console(
    page: Page, console_stack: ConsoleStack
) -> None:
    account = create_account(console_stack.config, "olga", "operator")
    submit_login(page, console_stack.url, account)
    assert _path(page, console_stack) == "/account/password"
    expect(page.locator("p.notice")).to_contain_text("one-time password")
    # Nothing else opens before the change: the queue sends back to the form.
    page.goto(console_stack.url + "/")
    assert _path(page, console_stack) == "/account/password"
    page.fill("#current_password", account.password)
    page.fill("#new_password", NEW_PASSWORD)
    page.fill("#confirm_password", NEW_PASSWORD + " typo")
    page.click("main button[type=submit]")
    expect(page.locator("#form-error")).to_contain_text("not the same")
    screenshot(page, "login--password-mismatch")
    change_password(page, account)
    assert _path(page, console_stack) == "/"
    expect(page.locator(".who")).to_contain_text("olga")
    sign_out(page)
    # The old one-time password no longer works; the new one does.
    stale = BrowserAccount(account.username, "x" + account.password, "operator")
    submit_login(page, console_stack.url, stale)
    expect(page.locator("#form-error")).to_be_visible()
    sign_in(page, console_stack.url, account)
    assert _path(page, console_stack) == "/"


def test_a_supervisor_enrols_an_authenticator_and_gives_a_code_at_each_sign_in(
    page: Page, console_stack: ConsoleStack
) -> None:
    account = create_account(console_stack.config, "sam", "supervisor")
    submit_login(page, console_stack.url, account)
    change_password(page, account)
    assert _path(page, console_stack) == "/account/totp"
    expect(page.locator("p.notice")).to_contain_text("requires two-step sign-in")
    qr = page.locator(".enrol img")
    expect(qr).to_be_visible()
    # The QR code is a data: image the CSP allows, and it really rendered.
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    screenshot(page, "login--enrolment")
    page.fill("#code", wrong_code(page.inner_text("code.secret")))
    page.click("main button[type=submit]")
    expect(page.locator("#form-error")).to_be_visible()
    enrol_authenticator(page, account)
    assert _path(page, console_stack) == "/"
    sign_out(page)
    submit_login(page, console_stack.url, account)
    assert _path(page, console_stack) == "/login/totp"
    page.fill("#code", wrong_code(account.totp_secret or ""))
    page.click("main button[type=submit]")
    expect(page.locator("#form-error")).to_be_visible()
    screenshot(page, "login--bad-code")
    page.fill("#code", account.next_code())
    page.click("main button[type=submit]")
    assert _path(page, console_stack) == "/"
    expect(page.locator(".who")).to_contain_text("sam")


def test_a_wrong_password_is_refused_without_saying_why(
    page: Page, console_stack: ConsoleStack, accounts: dict[str, BrowserAccount]
) -> None:
    operator = accounts["operator"]
    wrong = BrowserAccount(operator.username, operator.password + "!", "operator")
    statuses: list[int] = []
    page.on(
        "response",
        lambda r: statuses.append(r.status) if r.request.method == "POST" else None,
    )
    submit_login(page, console_stack.url, wrong)
    expect(page.locator("#form-error")).to_contain_text("Sign-in failed")
    unknown = BrowserAccount("nobody-here", operator.password, "operator")
    submit_login(page, console_stack.url, unknown)
    expect(page.locator("#form-error")).to_contain_text("Sign-in failed")
    assert statuses == [401, 401]
    expect(page.locator("#username")).to_have_value("nobody-here")


def test_signing_out_ends_the_session_on_the_server(
    page: Page, console_stack: ConsoleStack, accounts: dict[str, BrowserAccount]
) -> None:
    sign_in(page, console_stack.url, accounts["operator"])
    cookies = page.context.cookies()
    sign_out(page)
    # The cookie of before, put back, is a dead token: the console asks to sign in.
    page.context.add_cookies(cookies)  # type: ignore[arg-type]
    page.goto(console_stack.url + "/")
    assert _path(page, console_stack) == "/login"


def test_the_console_speaks_french_when_asked(
    page: Page, console_stack: ConsoleStack, accounts: dict[str, BrowserAccount]
) -> None:
    sign_in(page, console_stack.url, accounts["operator"])
    page.click("button[lang=fr]")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    french = gettext.translation("messages", ROOT / "ivr" / "translations", ["fr"])
    assert french.gettext("Sign out") != "Sign out"
    expect(page.locator("form[action='/logout'] button")).to_have_text(french.gettext("Sign out"))
    screenshot(page, "console--home-fr")
    page.click("button[lang=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_unknown_pages_show_the_console_error_page(
    page: Page, console_stack: ConsoleStack, accounts: dict[str, BrowserAccount]
) -> None:
    sign_in(page, console_stack.url, accounts["operator"])
    response = page.goto(console_stack.url + "/no-such-page")
    assert response is not None and response.status == 404
    expect(page.locator("main h1")).to_be_visible()
    expect(page.locator(".who")).to_contain_text(accounts["operator"].username)
