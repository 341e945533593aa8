"""The console in a real browser: gunicorn, an rq worker and a private Redis on a PostgreSQL
database of their own, reports made by simulated calls with spoken voicemails, accounts
made with the CLI, and headless Chromium (Debian's) driven by Playwright.

Every test that uses ``page`` leaves a full-page screenshot in
``test-artifacts/browser/<test>.png`` (and, when it failed, the page's console messages
and the server's log next to it).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright
from sqlalchemy import select

from ivr.auth.accounts import create_user
from ivr.simulator import CallScript, TwilioSimulator
from models import Call, Database, Report
from tests.browser.console import (
    ARTIFACTS,
    BrowserAccount,
    artifact_name,
    screenshot,
    sign_in,
)
from tests.conftest import ACCOUNT_SID, PUBLIC_BASE_URL, app_config, fresh_postgres
from tests.live import LiveServer, free_port, live_server, redis_server, wait_for, worker_process
from tests.transcripts.speech import speak

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CALLBACK_NUMBER = "+12045550123"


@dataclass(frozen=True)
class Caller:
    """A simulated call that leaves a report: who calls, the keys, what they say."""

    name: str
    answers: list[str]
    message: str
    from_number: str | None


# Placed in this order (their arrival); the queue shows them urgent first, then by
# priority, then by arrival: danger, luring, exploitation, other.
CALLERS = [
    Caller(
        "other",
        ["1", "4", "2", "2"],
        "hello, older players in a video game chat ask children where they live",
        "+15145550101",
    ),
    Caller(
        "luring",
        ["1", "2", "2", "1", CALLBACK_NUMBER.removeprefix("+1") + "#", "1"],
        "a man on a chat app keeps asking my daughter for photos, his name is dark wolf 42",
        "+16135550142",
    ),
    Caller(
        "exploitation",
        ["1", "3", "2", "2"],
        "someone on a social app asks teenagers for money and threatens them",
        "+14165550177",
    ),
    Caller(
        "danger",
        ["1", "1", "1", "2"],
        "my friend says a man online asked a child for pictures today, please help",
        None,
    ),
]


@dataclass(frozen=True)
class SeededReport:
    """A report the calls left, as stored."""

    id: int
    report_number: str
    priority: str
    category: str
    message: str


@dataclass
class ConsoleStack:
    """The running console and what is in it."""

    server: LiveServer
    config: dict[str, Any]
    database: Database
    reports: dict[str, SeededReport] = field(default_factory=dict)
    accounts: dict[str, BrowserAccount] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """Where the browser reaches the console."""
        return self.server.url


def _place_calls(sim: TwilioSimulator, tmp: Path) -> dict[str, str]:
    call_sids = {}
    for caller in CALLERS:
        wav = tmp / f"{caller.name}.wav"
        wav.write_bytes(speak(caller.message))
        result = sim.place_call(
            CallScript(answers=caller.answers, voicemail=wav, from_number=caller.from_number)
        )
        assert not result.errors, result.transcript()
        call_sids[caller.name] = result.call_sid
    return call_sids


def _ready_reports(database: Database, call_sids: dict[str, str]) -> dict[str, SeededReport]:
    messages = {caller.name: caller.message for caller in CALLERS}
    with database.session() as session:
        rows = session.execute(
            select(Call.call_sid, Report)
            .join(Report, Report.call_id == Call.id)
            .where(Call.call_sid.in_(call_sids.values()), Report.ready_at.is_not(None))
        ).all()
    by_sid = {sid: report for sid, report in rows}
    if len(by_sid) < len(call_sids):
        return {}
    return {
        name: SeededReport(
            by_sid[sid].id,
            by_sid[sid].report_number,
            by_sid[sid].priority,
            by_sid[sid].category,
            messages[name],
        )
        for name, sid in call_sids.items()
    }


@pytest.fixture(scope="session")
def console_stack(
    tmp_path_factory: pytest.TempPathFactory, browser: Browser
) -> Iterator[ConsoleStack]:
    """A console with four reports, ready (recorded, transcribed by pocketsphinx), and an
    account of each role, signed in once (while the worker transcribes)."""
    tmp = tmp_path_factory.mktemp("console")
    redis_port, api_port = free_port(), free_port()
    with fresh_postgres() as database_url, redis_server(redis_port, tmp):
        config = app_config(
            database_url,
            tmp,
            REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
            TWILIO_API_BASE=f"http://127.0.0.1:{api_port}",
            TRANSCRIBER="pocketsphinx",
            SWEEP_INTERVAL=1,
            OUTBOX_MIN_AGE=1,
            WORKER_MAINTENANCE_INTERVAL=5,
        )
        database = Database(database_url)
        with (
            live_server(config, tmp) as server,
            TwilioSimulator(
                server.url,
                ACCOUNT_SID,
                config["TWILIO_AUTH_TOKEN"],
                public_base_url=PUBLIC_BASE_URL,
                api_port=api_port,
            ) as sim,
            worker_process(config, tmp),
        ):
            try:
                call_sids = _place_calls(sim, tmp)
                stack = ConsoleStack(server, config, database)
                stack.accounts = _first_sign_ins(browser, stack)
                stack.reports = wait_for(
                    lambda: _ready_reports(database, call_sids), 300, "the four reports"
                )
                yield stack
            finally:
                database.dispose()


def _first_sign_ins(browser: Browser, stack: ConsoleStack) -> dict[str, BrowserAccount]:
    """Accounts made by the service the CLI uses (in-process: quicker than three CLI runs,
    which tests/browser/test_login.py does make), then signed in once for good."""
    made = {}
    for role in ("operator", "supervisor", "admin"):
        with stack.database.session() as session, session.begin():
            issued = create_user(session, f"{role}-ada", role, actor="cli")
        account = BrowserAccount(issued.user.username, issued.password, role)
        page = new_page(browser, stack)
        try:
            sign_in(page, stack.url, account)
        finally:
            page.context.close()
        made[role] = account
    return made


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium (the Debian package, not a downloaded one). The screenshots of an
    earlier run are removed first."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    with sync_playwright() as playwright:
        # Playing a voicemail from a script, as a click on the player would.
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--autoplay-policy=no-user-gesture-required"],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's outcome on the test, for the screenshot fixture."""
    report = yield
    item.stash.setdefault(_OUTCOMES, {})[report.when] = report.outcome
    return report


_OUTCOMES = pytest.StashKey[dict[str, str]]()


@dataclass
class PageLog:
    """What the page printed to its console (CSP violations show up there)."""

    messages: list[str] = field(default_factory=list)

    def add(self, message: ConsoleMessage) -> None:
        self.messages.append(f"{message.type}: {message.text}")

    def csp_violations(self) -> list[str]:
        return [m for m in self.messages if "Content Security Policy" in m]


def new_page(browser: Browser, stack: ConsoleStack, locale: str = "en-CA") -> Page:
    """A page in a browser context of its own (own cookies), in ``locale``."""
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(20_000)
    return context.new_page()


@pytest.fixture
def page(
    browser: Browser, console_stack: ConsoleStack, request: pytest.FixtureRequest
) -> Iterator[Page]:
    """A fresh browser context on the console; a screenshot of the last page after the test,
    and no Content-Security-Policy violation on any page it opened."""
    page = new_page(browser, console_stack)
    log = PageLog()
    page.on("console", log.add)
    page.on("pageerror", lambda error: log.messages.append(f"pageerror: {error}"))
    yield page
    name = artifact_name(request.node.name)
    screenshot(page, name)
    outcomes = request.node.stash.get(_OUTCOMES, {})
    if outcomes.get("call") == "failed":
        (ARTIFACTS / f"{name}.log").write_text(
            f"url: {page.url}\n\n"
            + "\n".join(log.messages)
            + "\n\n--- server log ---\n"
            + console_stack.server.log()[-20000:]
        )
    page.context.close()
    assert not log.csp_violations(), log.csp_violations()


@pytest.fixture(scope="session")
def accounts(console_stack: ConsoleStack) -> dict[str, BrowserAccount]:
    """An operator, a supervisor and an admin whose first sign-in (password change,
    authenticator enrolment) is done."""
    return console_stack.accounts
