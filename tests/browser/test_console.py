"""An analyst's work in Chromium: the queue, a call record, its voicemail played, its
transcript asked for, the caller's number revealed, a report triaged and referred."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, Request, Response, expect
from sqlalchemy import select

from ivr.crypto import DataCipher
from models import Recording, Referral, Report, ReportChange, Transcript
from tests.browser.conftest import CALLBACK_NUMBER, CALLERS, ConsoleStack, SeededReport
from tests.browser.console import BrowserAccount, screenshot, sign_in

pytestmark = [pytest.mark.live, pytest.mark.browser, pytest.mark.timeout(600)]


def open_record(page: Page, stack: ConsoleStack, report: SeededReport) -> Response:
    """The record page of ``report``, from the queue or by its address."""
    response = page.goto(f"{stack.url}/reports/{report.report_number}")
    assert response is not None and response.status == 200
    expect(page.get_by_test_id("record")).to_have_attribute(
        "data-report-number", report.report_number
    )
    return response


def open_statuses(stack: ConsoleStack) -> dict[int, str]:
    with stack.database.session() as session:
        return {id_: status for id_, status in session.execute(select(Report.id, Report.status))}


@dataclass
class AudioRequests:
    """The audio requests the page made, and the answers."""

    requests: list[Request] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on("requestfinished", self._finished)

    def _finished(self, request: Request) -> None:
        if request.url.endswith("/audio"):
            self.requests.append(request)

    def ranges(self) -> list[tuple[str | None, int]]:
        """(Range header, status) of each finished request."""
        found = []
        for request in self.requests:
            response = request.response()
            assert response is not None
            found.append((request.headers.get("range"), response.status))
        return found


def play(page: Page) -> dict[str, float]:
    """Start the (first) voicemail player, wait until it has the audio's metadata and has
    played a little; its duration and position."""
    player = page.get_by_test_id("audio-player").first
    expect(player).to_have_attribute("preload", "none")
    player.evaluate("audio => audio.play()")
    page.wait_for_function(
        "audio => audio.readyState >= 1 && audio.duration > 0 && audio.currentTime > 0",
        arg=player.element_handle(),
    )
    state: dict[str, float] = player.evaluate(
        "audio => ({duration: audio.duration, currentTime: audio.currentTime})"
    )
    return state


def test_the_queue_puts_urgent_first_then_priority_then_arrival(
    page: Page, console_stack: ConsoleStack, accounts: dict[str, BrowserAccount]
) -> None:
    reports = console_stack.reports
    # What the calls made: danger is urgent; luring and exploitation high; other low.
    assert [reports[c.name].priority for c in CALLERS] == ["low", "high", "high", "urgent"]
    sign_in(page, console_stack.url, accounts["operator"])
    rows = page.get_by_test_id("queue-row")
    expect(rows.first).to_be_visible()
    listed = [row.get_attribute("data-report-number") for row in rows.all()]
    statuses = open_statuses(console_stack)
    expected = [
        reports[name].report_number
        for name in ("danger", "luring", "exploitation", "other")
        if statuses[reports[name].id] in ("new", "in_review")
    ]
    assert [number for number in listed if number in expected] == expected
    # The urgent one says why; the counts agree with the rows.
    first = rows.first
    expect(first).to_have_attribute("data-priority", "urgent")
    expect(first.locator(".badge.danger")).to_be_visible()
    screenshot(page, "queue")
    first.get_by_test_id("queue-open").click()
    expect(page.get_by_test_id("record")).to_have_attribute(
        "data-report-number", reports["danger"].report_number
    )


def test_the_record_page_shows_the_call_and_keeps_the_caller_masked(
    page: Page, console_stack: ConsoleStack, accounts: dict[str, BrowserAccount]
) -> None:
    luring = console_stack.reports["luring"]
    sign_in(page, console_stack.url, accounts["operator"])
    response = open_record(page, console_stack, luring)
    assert response.headers["cache-control"] == "no-store"
    number = page.get_by_test_id("caller-number")
    masked = number.inner_text()
    assert masked.endswith(CALLBACK_NUMBER[-4:]) and "*" in masked
    assert CALLBACK_NUMBER.removeprefix("+1")[:6] not in page.content()
    # Operators may not reveal (supervisors and above, by default).
    expect(page.get_by_test_id("reveal-button")).to_have_count(0)
    nodes = [s.get_attribute("data-node") for s in page.get_by_test_id("ivr-step").all()]
    assert {"language", "main_menu", "danger", "message", "callback"} <= set(nodes), nodes
    steps = page.get_by_test_id("ivr-step").all_inner_texts()
    for name in ("Language", "Main menu", "Danger check", "Message", "Call back?"):
        assert any(name in step for step in steps), steps
    # The transcript is not on the page until asked for.
    transcript = page.get_by_test_id("transcript")
    expect(transcript).to_be_hidden()
    expect(transcript).to_be_empty()
    screenshot(page, "record--operator")


def test_a_voicemail_plays_in_the_browser_streamed_by_ranges(
    page: Page, console_stack: ConsoleStack, accounts: dict[str, BrowserAccount]
) -> None:
    luring = console_stack.reports["luring"]
    audio = AudioRequests()
    audio.watch(page)
    sign_in(page, console_stack.url, accounts["operator"])
    open_record(page, console_stack, luring)
    assert audio.requests == []  # preload="none": nothing fetched before play
    state = play(page)
    with console_stack.database.session() as session:
        recording = session.scalars(
            select(Recording)
            .join(Report, Report.call_id == Recording.call_id)
            .where(Report.id == luring.id)
        ).one()
    assert recording.duration_s is not None
    assert abs(state["duration"] - recording.duration_s) <= 1.5
    # Chromium asks for the media by ranges; the server answers 206 Partial Content.
    ranges = audio.ranges()
    assert ranges and all(r is not None and r.startswith("bytes=") for r, _ in ranges)
    assert all(status == 206 for _, status in ranges), ranges
    # Seeking far into it asks for another range, still 206.
    player = page.get_by_test_id("audio-player").first
    player.evaluate("audio => { audio.currentTime = audio.duration * 0.8; }")
    page.wait_for_function("audio => !audio.seeking", arg=player.element_handle())
    player.evaluate("audio => audio.pause()")
    screenshot(page, "record--playing")


def test_the_transcript_appears_only_when_asked_for(
    page: Page, console_stack: ConsoleStack, accounts: dict[str, BrowserAccount]
) -> None:
    luring = console_stack.reports["luring"]
    with console_stack.database.session() as session:
        stored = session.scalars(
            select(Transcript)
            .join(Recording, Recording.id == Transcript.recording_id)
            .join(Report, Report.call_id == Recording.call_id)
            .where(Report.id == luring.id)
        ).one()
    assert stored.status == "completed" and stored.text_enc is not None
    text = DataCipher(console_stack.config["DATA_KEY"]).decrypt_text(stored.text_enc)
    assert text.strip()
    sign_in(page, console_stack.url, accounts["operator"])
    open_record(page, console_stack, luring)
    assert text not in page.content()
    page.get_by_test_id("transcript-button").first.click()
    shown = page.get_by_test_id("transcript-text")
    expect(shown).to_be_visible()
    expect(shown).to_contain_text(text)
    expect(page.get_by_test_id("transcript-form").first).to_be_hidden()
    screenshot(page, "record--transcript")


def test_a_supervisor_reveals_the_callback_number(
    page: Page, console_stack: ConsoleStack, accounts: dict[str, BrowserAccount]
) -> None:
    luring = console_stack.reports["luring"]
    sign_in(page, console_stack.url, accounts["supervisor"])
    open_record(page, console_stack, luring)
    number = page.get_by_test_id("caller-number")
    assert CALLBACK_NUMBER not in number.inner_text()
    page.get_by_test_id("reveal-button").click()
    expect(number).to_have_text(CALLBACK_NUMBER)
    expect(page.get_by_test_id("reveal-button")).to_have_count(0)
    screenshot(page, "record--revealed")
    # Anonymous callers have nothing to reveal.
    open_record(page, console_stack, console_stack.reports["exploitation"])
    expect(page.get_by_test_id("reveal-button")).to_have_count(0)


def test_an_operator_triages_and_refers_a_report(
    page: Page, console_stack: ConsoleStack, accounts: dict[str, BrowserAccount]
) -> None:
    other = console_stack.reports["other"]
    operator = accounts["operator"]
    sign_in(page, console_stack.url, operator)
    open_record(page, console_stack, other)
    expect(page.get_by_test_id("referral-form")).to_have_count(0)  # not while "new"
    page.get_by_test_id("claim-button").click()
    expect(page.get_by_test_id("record-assignee")).to_have_text(operator.username)
    page.select_option("#classification", "other")
    page.get_by_test_id("classification-button").click()
    expect(page.get_by_test_id("record-classification")).not_to_have_text("Not classified")
    # A reason of spaces passes the browser's "required" but not the server.
    page.select_option("#priority", "normal")
    page.fill("#priority-reason", "   ")
    page.get_by_test_id("priority-button").click()
    expect(page.get_by_test_id("triage-error")).to_be_visible()
    screenshot(page, "triage--error")
    page.select_option("#priority", "normal")
    page.fill("#priority-reason", "the caller names a game chat: checked by the analyst")
    page.get_by_test_id("priority-button").click()
    expect(page.get_by_test_id("triage-error")).to_have_count(0)
    page.fill("#note-text", "synthetic test note: called nobody back, caller was anonymous")
    page.get_by_test_id("note-button").click()
    expect(page.get_by_test_id("note")).to_contain_text("synthetic test note")
    today = datetime.now(UTC).date().isoformat()
    page.fill("#referral-agency", "Synthetic Test Agency")
    page.fill("#referral-date", today)
    page.fill("#referral-reference", "REF-42")
    page.get_by_test_id("referral-button").click()
    expect(page.get_by_test_id("referral")).to_contain_text("Synthetic Test Agency")
    expect(page.get_by_test_id("referral")).to_contain_text("REF-42")
    expect(page.get_by_test_id("record-status")).not_to_contain_text("New")
    screenshot(page, "triage--referred")
    with console_stack.database.session() as session:
        report = session.get(Report, other.id)
        assert report is not None
        assert (report.status, report.assignee, report.classification, report.priority) == (
            "referred",
            operator.username,
            "other",
            "normal",
        )
        assert report.priority_overridden
        referral = session.scalars(select(Referral).where(Referral.report_id == other.id)).one()
        assert (referral.agency, referral.reference, referral.author) == (
            "Synthetic Test Agency",
            "REF-42",
            operator.username,
        )
        changes = session.scalars(select(ReportChange).where(ReportChange.report_id == other.id))
        fields = {(c.field, c.new_value) for c in changes}
        authors = {c.author for c in session.scalars(select(ReportChange))}
    assert {("status", "in_review"), ("status", "referred"), ("priority", "normal")} <= fields
    assert operator.username in authors
    # Referred: it has left the queue.
    page.goto(console_stack.url + "/")
    expect(page.locator(f"[data-report-number='{other.report_number}']")).to_have_count(0)


def test_the_record_page_in_french(
    page: Page, console_stack: ConsoleStack, accounts: dict[str, BrowserAccount]
) -> None:
    sign_in(page, console_stack.url, accounts["supervisor"])
    page.click("button[lang=fr]")  # kept on the account: switched back below
    try:
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        screenshot(page, "queue--fr")
        open_record(page, console_stack, console_stack.reports["luring"])
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        screenshot(page, "record--fr")
    finally:
        page.click("button[lang=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
