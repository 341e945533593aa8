"""The audit log of a session scripted in Chromium holds one entry per access, no more, no
less; editing one of its rows makes ``flask --app wsgi audit verify`` fail.

(tests/audit/ checks the same at the HTTP level with probe pages; this drives the real
pages, the voicemail player's range requests and the transcript's fetch included.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Page, Request, expect
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from models import AuditEntry
from tests.browser.conftest import CALLBACK_NUMBER, ConsoleStack
from tests.browser.console import BrowserAccount, cli, screenshot, sign_in

pytestmark = [pytest.mark.live, pytest.mark.browser, pytest.mark.timeout(600)]

Entry = tuple[str, str | None, str, str | None]  # action, actor, outcome, target type


def entries_after(stack: ConsoleStack, after_id: int) -> list[AuditEntry]:
    with stack.database.session() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.id > after_id).order_by(AuditEntry.id)
            )
        )


def last_id(stack: ConsoleStack) -> int:
    with stack.database.session() as session:
        return session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc())) or 0


@contextmanager
def tampering(stack: ConsoleStack) -> Iterator[Session]:
    """A transaction in which the append-only triggers do not fire (as an intruder with
    the database owner's rights would do it)."""
    with stack.database.session() as session, session.begin():
        session.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))
        yield session
        session.execute(text("ALTER TABLE audit_entries ENABLE TRIGGER USER"))


def scripted_session(page: Page, stack: ConsoleStack, supervisor: BrowserAccount) -> list[str]:
    """Sign in, open the queue and a record, play its voicemail (seek; reload, play again), read its
    transcript, reveal the caller, claim it, add a note, sign out. The audio URLs asked."""
    luring = stack.reports["luring"]
    audio: list[Request] = []
    page.on("requestfinished", lambda r: audio.append(r) if r.url.endswith("/audio") else None)
    sign_in(page, stack.url, supervisor)
    page.goto(stack.url + "/")
    page.locator(f"[data-report-number='{luring.report_number}'] a").click()
    player = page.get_by_test_id("audio-player").first
    player.evaluate("audio => audio.play()")
    handle = player.element_handle()
    page.wait_for_function("a => a.duration > 0 && a.currentTime > 0", arg=handle)
    player.evaluate("a => { a.currentTime = a.duration * 0.7; }")
    page.wait_for_function("a => !a.seeking", arg=handle)
    # The page opened again and the voicemail played again: the audio is fetched anew.
    page.reload()
    player.evaluate("a => a.play()")
    handle = player.element_handle()
    page.wait_for_function("a => a.duration > 0 && a.currentTime > 0", arg=handle)
    player.evaluate("a => a.pause()")
    page.get_by_test_id("transcript-button").first.click()
    expect(page.get_by_test_id("transcript-text")).to_be_visible()
    page.get_by_test_id("reveal-button").click()
    expect(page.get_by_test_id("caller-number")).to_have_text(CALLBACK_NUMBER)
    page.get_by_test_id("claim-button").click()
    expect(page.get_by_test_id("record-assignee")).to_have_text(supervisor.username)
    page.fill("#note-text", "synthetic audit test note")
    page.get_by_test_id("note-button").click()
    expect(page.get_by_test_id("note").last).to_contain_text("synthetic audit test note")
    screenshot(page, "audit--scripted-session")
    page.click("form[action='/logout'] button")
    expect(page.locator("#username")).to_be_visible()
    return [r.url for r in audio]


def test_a_scripted_browser_session_writes_exactly_its_accesses(
    page: Page, console_stack: ConsoleStack, accounts: dict[str, BrowserAccount]
) -> None:
    supervisor = accounts["supervisor"]
    before = last_id(console_stack)
    audio_urls = scripted_session(page, console_stack, supervisor)
    entries = entries_after(console_stack, before)
    name = supervisor.username
    assert [(e.action, e.actor, e.outcome, e.target_type) for e in entries] == [
        ("auth.login", name, "ok", "user"),
        ("auth.second_factor", name, "ok", "user"),
        ("report.view", name, "ok", "report"),  # the record, from the queue (not audited)
        ("recording.play", name, "ok", "recording"),  # however many ranges it took
        ("report.view", name, "ok", "report"),  # reloaded; played again: no second entry
        ("transcript.view", name, "ok", "recording"),
        ("caller.reveal", name, "ok", "report"),
        ("report.claim", name, "ok", "report"),
        ("report.view", name, "ok", "report"),  # the record again, after the change
        ("report.note", name, "ok", "report"),
        ("report.view", name, "ok", "report"),
        ("auth.logout", name, "ok", "user"),
    ]
    # The player asked twice (played; reloaded, played again): one play in the log.
    assert len(audio_urls) >= 2 and len(set(audio_urls)) == 1
    luring = console_stack.reports["luring"]
    on_report = [e for e in entries if e.target_type == "report"]
    assert {e.target_id for e in on_report} == {str(luring.id)}
    assert all(e.ip == "127.0.0.1" for e in entries)
    assert not any(CALLBACK_NUMBER.removeprefix("+") in str(e.detail) for e in entries)


def test_an_edited_audit_row_makes_audit_verify_fail(
    page: Page, console_stack: ConsoleStack, accounts: dict[str, BrowserAccount]
) -> None:
    before = last_id(console_stack)
    sign_in(page, console_stack.url, accounts["operator"])
    page.goto(f"{console_stack.url}/reports/{console_stack.reports['danger'].report_number}")
    expect(page.get_by_test_id("record")).to_be_visible()
    view = next(e for e in entries_after(console_stack, before) if e.action == "report.view")
    intact = cli(console_stack.config, "audit", "verify")
    assert intact.returncode == 0, intact.stderr
    found = re.search(r"audit log OK: (\d+) entries", intact.stdout)
    assert found, intact.stdout
    with console_stack.database.session() as session:
        assert int(found.group(1)) == session.scalar(select(func.count()).select_from(AuditEntry))
    # Someone hides who looked at the record.
    with tampering(console_stack) as session:
        session.execute(
            text("UPDATE audit_entries SET actor = 'someone-else' WHERE id = :id"), {"id": view.id}
        )
    try:
        broken = cli(console_stack.config, "audit", "verify")
        assert broken.returncode == 1
        assert f"audit log BROKEN: entry {view.id} (" in broken.stderr
        assert "edited" in broken.stderr
    finally:
        # Put the row back (the other tests share this log): the chain verifies again.
        with tampering(console_stack) as session:
            session.execute(
                text("UPDATE audit_entries SET actor = :actor WHERE id = :id"),
                {"actor": view.actor, "id": view.id},
            )
    restored = cli(console_stack.config, "audit", "verify")
    assert restored.returncode == 0, restored.stderr
