"""Driving the console in Chromium: accounts made with the CLI, signing in as a person does
(one-time password changed, authenticator enrolled from the page), screenshots."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyotp
from playwright.sync_api import Page, expect

from ivr.auth.totp import STEP_SECONDS, WINDOW, current_step
from tests.live import ROOT, server_env

ARTIFACTS = ROOT / "test-artifacts" / "browser"
NEW_PASSWORD = "quiet harbour lantern 7"


@dataclass
class BrowserAccount:
    """An account as its owner knows it: the password, the authenticator's secret, and the
    last TOTP step used (a code works only once)."""

    username: str
    password: str
    role: str
    totp_secret: str | None = None
    last_step: int | None = None

    def next_code(self) -> str:
        """A code not used yet and within the server's window; waits for the next step when
        the window is used up (only when one account signs in three times in 30 s)."""
        assert self.totp_secret is not None
        while True:
            now = current_step(datetime.now(UTC))
            first = now if self.last_step is None else max(now, self.last_step + 1)
            if first <= now + WINDOW:
                self.last_step = first
                return pyotp.TOTP(self.totp_secret).generate_otp(first)
            time.sleep(STEP_SECONDS - time.time() % STEP_SECONDS + 0.2)


def cli(config: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``flask --app wsgi <args>`` against the live server's database."""
    return subprocess.run(
        [str(Path(sys.executable).with_name("flask")), "--app", "wsgi", *args],
        cwd=ROOT,
        env=server_env(config),
        capture_output=True,
        text=True,
        timeout=60,
    )


def create_account(config: dict[str, Any], username: str, role: str) -> BrowserAccount:
    """``flask users create``: the account and the one-time password it printed."""
    result = cli(config, "users", "create", username, "--role", role)
    assert result.returncode == 0, result.stderr
    found = re.search(rf"one-time password for {re.escape(username)}: (\S+)", result.stdout)
    assert found, result.stdout
    return BrowserAccount(username, found.group(1), role)


def submit_login(page: Page, base_url: str, account: BrowserAccount) -> None:
    """Fill in and send the sign-in form."""
    page.goto(base_url + "/login")
    page.fill("#username", account.username)
    page.fill("#password", account.password)
    page.click("main button[type=submit]")


def change_password(page: Page, account: BrowserAccount, new: str = NEW_PASSWORD) -> None:
    """Send the password form (on the page it is open on); the account keeps the new one."""
    page.fill("#current_password", account.password)
    page.fill("#new_password", new)
    page.fill("#confirm_password", new)
    page.click("main button[type=submit]")
    account.password = new


def enrol_authenticator(page: Page, account: BrowserAccount) -> None:
    """Read the setup key off the enrolment page, as one types it into an app; send a code."""
    account.totp_secret = "".join(page.inner_text("code.secret").split())
    page.fill("#code", account.next_code())
    page.click("main button[type=submit]")


def sign_in(page: Page, base_url: str, account: BrowserAccount) -> None:
    """Sign in completely: whatever steps the server asks for, then the console's home."""
    submit_login(page, base_url, account)
    for _ in range(3):
        path = page.url.removeprefix(base_url).split("?")[0]
        if path == "/account/password":
            change_password(page, account)
        elif path == "/account/totp":
            enrol_authenticator(page, account)
        elif path == "/login/totp":
            page.fill("#code", account.next_code())
            page.click("main button[type=submit]")
        else:
            break
    expect(page.locator("form[action='/logout'] button")).to_be_visible()
    assert "/login" not in page.url and "/account/" not in page.url, page.url


def artifact_name(nodeid_name: str) -> str:
    """A file name for a test (its parameters included)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid_name).strip("_")


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/browser/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{artifact_name(name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
