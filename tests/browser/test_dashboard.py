"""The supervisors' dashboard in Chromium: the calls the stack placed are counted, the
charts are drawn by Chart.js under the console's Content-Security-Policy (an empty funnel
draws no chart), and a CSV file downloads."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from models import Call, Report
from tests.browser.conftest import ConsoleStack
from tests.browser.console import BrowserAccount, screenshot, sign_in

pytestmark = [pytest.mark.live, pytest.mark.browser, pytest.mark.timeout(600)]


def test_a_supervisor_sees_the_line_in_figures_and_charts(
    page: Page, console_stack: ConsoleStack, accounts: dict[str, BrowserAccount]
) -> None:
    with console_stack.database.session() as session:
        calls = session.scalar(select(func.count(Call.id)))
        reports = session.scalar(select(func.count(Report.id)))
    sign_in(page, console_stack.url, accounts["supervisor"])
    page.goto(f"{console_stack.url}/dashboard")
    # The default range (the last 30 days) holds every call the stack placed today.
    expect(page.get_by_test_id("figure-calls")).to_have_text(f"{calls:,}")
    expect(page.get_by_test_id("figure-reports")).to_have_text(f"{reports:,}")
    for chart in ("chart-volumes", "chart-categories"):
        drawn = page.evaluate("(id) => Boolean(window.Chart && Chart.getChart(id))", chart)
        assert drawn, chart
    # Every call of the stack made a report: no funnel, and no empty chart for it.
    expect(page.get_by_test_id("funnel-table")).to_contain_text("None.")
    expect(page.locator("#chart-funnel")).to_have_count(0)
    # Times are measured from the call's end, which the callbacks date in real time.
    ready = page.locator('[data-figure="ready_s_p50"] td').first
    assert not ready.inner_text().startswith("-"), ready.inner_text()
    screenshot(page, "dashboard")
    with page.expect_download() as download:
        page.get_by_test_id("csv-summary").click()
    text = download.value.path().read_text(encoding="utf-8")
    assert text.splitlines()[0] == "figure,current,previous"
    assert f"calls,{calls}," in text
