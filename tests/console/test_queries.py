"""The analyst queue and the call log as services: order, every filter, keyset pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from ivr.reports import queries
from ivr.reports.queries import CallFilters, InvalidQuery, parse_call_filters
from tests.auth.helpers import database
from tests.console.helpers import make_call
from tests.reports.factory import ReportFactory


def _numbers(page: queries.Page[queries.CallLogRow]) -> list[str]:
    return [row.call.reference_number for row in page.items]


def test_the_queue_puts_urgent_first_then_priority_then_arrival(
    app: Flask, make_report: ReportFactory
) -> None:
    low_old = make_call(make_report, minutes=1, fields={"priority": "low", "priority_rank": 3})
    high_new = make_call(make_report, minutes=9, fields={"priority": "high", "priority_rank": 1})
    high_old = make_call(make_report, minutes=2, fields={"priority": "high", "priority_rank": 1})
    urgent_new = make_call(
        make_report, minutes=10, fields={"priority": "urgent", "priority_rank": 0}
    )
    normal = make_call(make_report, minutes=3, fields={"priority": "normal", "priority_rank": 2})
    in_review = make_call(
        make_report,
        minutes=4,
        fields={"priority": "normal", "priority_rank": 2, "status": "in_review"},
    )
    for closed in ("closed", "referred", "duplicate"):
        make_call(make_report, minutes=0, fields={"status": closed, "priority_rank": 0})
    with database(app).session() as session:
        page = queries.analyst_queue(session)
        assert [r.report_number for r in page.items] == [
            urgent_new, high_old, high_new, normal, in_review, low_old
        ]  # fmt: skip
        assert page.next_cursor is None and page.prev_cursor is None
        assert queries.count_open_reports(session) == 6


def test_the_queue_pages_by_keyset_and_filters_by_assignee(
    app: Flask, make_report: ReportFactory
) -> None:
    made = [make_call(make_report, minutes=i % 4) for i in range(9)]  # ties on received_at
    mine = make_call(make_report, minutes=5, fields={"assignee": "ana"})
    with database(app).session() as session:
        seen, cursor = [], None
        while True:
            page = queries.analyst_queue(session, cursor=cursor, limit=4)
            seen += [r.report_number for r in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert sorted(seen) == sorted([*made, mine]) and len(seen) == len(set(seen))
        assert [r.report_number for r in queries.analyst_queue(session, assignee="ana").items] == [
            mine
        ]


def test_each_call_log_filter_keeps_exactly_its_calls(
    app: Flask, make_report: ReportFactory
) -> None:
    base = make_call(make_report, minutes=30)
    busy = make_call(make_report, minutes=31, call={"status": "busy"})
    csam = make_call(make_report, minutes=32, call={"category": "csam"})
    french = make_call(make_report, minutes=33, call={"language": "fr"})
    quebec = make_call(make_report, minutes=34, call={"caller_region": "QC"})
    urgent = make_call(make_report, minutes=35, fields={"priority": "urgent", "priority_rank": 0})
    ana = make_call(make_report, minutes=36, fields={"assignee": "ana"})
    silent = make_call(make_report, minutes=37, voicemail=False)
    no_report = make_call(make_report, minutes=38, report=False)
    closed = make_call(make_report, minutes=39, fields={"status": "closed"})
    early = make_call(make_report, minutes=-3 * 24 * 60)
    everything = {base, busy, csam, french, quebec, urgent, ana, silent, no_report, closed, early}
    epoch = make_report.epoch
    cases = [
        (CallFilters(), everything),
        (CallFilters(status="busy"), {busy}),
        (CallFilters(category="csam"), {csam}),
        (CallFilters(language="fr"), {french}),
        (CallFilters(province="QC"), {quebec}),
        (CallFilters(priority="urgent"), {urgent}),
        (CallFilters(assignee="ana"), {ana}),
        (CallFilters(has_voicemail=False), {silent}),
        (CallFilters(has_voicemail=True), everything - {silent}),
        (CallFilters(report_number=closed), {closed}),
        (CallFilters(report_status="closed"), {closed}),
        (CallFilters(started_before=epoch), {early}),
        (CallFilters(started_from=epoch), everything - {early}),
        (CallFilters(started_from=epoch, started_before=epoch + timedelta(minutes=32)),
         {base, busy}),
        (CallFilters(language="fr", status="busy"), set()),
    ]  # fmt: skip
    with database(app).session() as session:
        for filters, expected in cases:
            page = queries.search_calls(session, filters, limit=100)
            assert set(_numbers(page)) == expected, filters
            rows = {row.call.reference_number: row for row in page.items}
            if no_report in rows:
                assert rows[no_report].report is None
            if silent in rows:
                assert rows[silent].has_voicemail is False


@pytest.mark.parametrize("filters", [CallFilters(), CallFilters(priority="high")])
def test_keyset_pages_have_no_duplicates_or_gaps_forward_and_back(
    app: Flask, make_report: ReportFactory, filters: CallFilters
) -> None:
    # Three calls per minute: ties on started_at are ordered by id.
    made = [make_call(make_report, minutes=i // 3) for i in range(17)]
    with database(app).session() as session:
        full = _numbers(queries.search_calls(session, filters, limit=100))
        assert sorted(full) == sorted(made)
        pages, cursor = [], None
        while True:
            page = queries.search_calls(session, filters, cursor=cursor, limit=5)
            pages.append(page)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert [len(p.items) for p in pages] == [5, 5, 5, 2]
        assert [n for p in pages for n in _numbers(p)] == full
        assert pages[0].prev_cursor is None
        # Back from the last page, page by page, to the first.
        back, cursor = [], pages[-1].prev_cursor
        while cursor is not None:
            page = queries.search_calls(session, filters, cursor=cursor, limit=5)
            back.insert(0, _numbers(page))
            cursor = page.prev_cursor
        assert back == [_numbers(p) for p in pages[:-1]]


def test_a_new_call_during_paging_neither_repeats_nor_hides_a_row(
    app: Flask, make_report: ReportFactory
) -> None:
    made = [make_call(make_report, minutes=i) for i in range(6)]
    with database(app).session() as session:
        first = queries.search_calls(session, limit=3)
        make_call(make_report, minutes=100)  # newer than everything: lands before page 1
        second = queries.search_calls(session, cursor=first.next_cursor, limit=3)
        assert _numbers(first) + _numbers(second) == list(reversed(made))


def test_cursors_are_checked(app: Flask, make_report: ReportFactory) -> None:
    make_call(make_report)
    make_call(make_report, minutes=1)
    with database(app).session() as session:
        queue_cursor = queries.analyst_queue(session, limit=1).next_cursor
        calls_cursor = queries.search_calls(session, limit=1).next_cursor
        assert queue_cursor and calls_cursor
        for bad in ("garbage", "e30", queue_cursor, calls_cursor[:-3]):
            with pytest.raises(InvalidQuery):
                queries.search_calls(session, cursor=bad)
        with pytest.raises(InvalidQuery):
            queries.analyst_queue(session, cursor=calls_cursor)


def test_query_string_filters_are_parsed_or_refused() -> None:
    parsed = parse_call_filters(
        {
            "from": "2026-03-01",
            "to": "2026-03-31",
            "status": "completed",
            "province": "qc",
            "has_voicemail": "no",
            "report_number": "123456",
            "priority": "",
        }
    )
    assert parsed.started_from is not None and parsed.started_before is not None
    assert parsed.started_from.isoformat() == "2026-03-01T00:00:00+00:00"
    assert parsed.started_before.isoformat() == "2026-04-01T00:00:00+00:00"  # "to" inclusive
    assert (parsed.status, parsed.province, parsed.has_voicemail) == ("completed", "QC", False)
    assert parsed.priority is None and parse_call_filters({}).is_empty()
    for bad in (
        {"from": "yesterday"},
        {"status": "gone"},
        {"priority": "extreme"},
        {"has_voicemail": "maybe"},
        {"report_number": "12a"},
        {"category": "everything"},
        {"report_status": "open"},
    ):
        with pytest.raises(InvalidQuery):
            parse_call_filters(bad)
