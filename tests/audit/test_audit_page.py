"""Supervisors browse and filter the audit log in the console; nobody else can."""

from __future__ import annotations

import re

from flask import Flask

from tests.auth.helpers import Console, audit_actions, last_audit_id, make_user


def test_supervisors_filter_the_log_and_their_reading_is_logged(app: Flask) -> None:
    supervisor = make_user(app, "supervisor", totp=True)
    operator = make_user(app, "operator")
    Console(app).login(operator, password="wrong password for the log")
    console = Console(app)
    console.sign_in(supervisor)
    before = last_audit_id(app)

    page = console.get(f"/audit?action=auth.login_failed&actor={operator.username}")

    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert page.text.count('data-testid="audit-row"') == 1
    assert "auth.login_failed" in page.text
    everything = console.get("/audit")
    assert "auth.login" in everything.text and "auth.login_failed" in everything.text
    assert audit_actions(app, before) == [
        ("audit.search", supervisor.username, "ok"),
        ("audit.search", supervisor.username, "ok"),
    ]


def test_pages_of_older_entries_neither_overlap_nor_skip(app: Flask) -> None:
    supervisor = make_user(app, "supervisor", totp=True)
    console = Console(app)
    console.sign_in(supervisor)
    for _ in range(60):  # more than one page of 50
        console.get("/audit?action=nothing.of.the.kind")
    first = console.get("/audit?action=audit.search")
    ids = [int(i) for i in _entry_ids(first.text)]
    assert len(ids) == 50
    older = console.get(_next_link(first.text))
    more = [int(i) for i in _entry_ids(older.text)]
    assert more and max(more) < min(ids)
    assert sorted(ids + more, reverse=True) == ids + more


def test_a_bad_filter_is_a_clear_400(app: Flask) -> None:
    supervisor = make_user(app, "supervisor", totp=True)
    console = Console(app)
    console.sign_in(supervisor)
    page = console.get("/audit?from=yesterday")
    assert page.status_code == 400
    assert "from: a date is YYYY-MM-DD" in page.text


def test_operators_are_refused_and_the_refusal_is_logged(app: Flask) -> None:
    operator = make_user(app, "operator")
    console = Console(app)
    console.sign_in(operator)
    before = last_audit_id(app)
    assert console.get("/audit").status_code == 403
    assert audit_actions(app, before) == [("access.denied", operator.username, "denied")]
    assert "/audit" not in console.get("/").text  # not offered in the navigation


def _entry_ids(html: str) -> list[str]:
    return re.findall(r'data-testid="audit-row" data-entry-id="(\d+)"', html)


def _next_link(html: str) -> str:
    found = re.search(r'id="page-next" data-testid="page-next" href="([^"]+)"', html)
    assert found
    return found.group(1).replace("&amp;", "&")
