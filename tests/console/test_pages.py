"""The analyst's pages through the app: the queue, the call log, the record page, the
transcript on demand, the reveal, and the triage forms, with their audit entries."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from tests.auth.helpers import CSRF_PATTERN, Console, audit_actions, last_audit_id, make_user
from tests.console.helpers import make_call, report_state
from tests.reports.factory import CALLBACK_NUMBER, TRANSCRIPT, ReportFactory

ROW = re.compile(r'data-testid="queue-row" data-report-number="(\d+)"')
CALL_ROW = re.compile(r'data-testid="call-row" data-call-id="\d+" data-report-number="(\d*)"')
NEXT = re.compile(r'id="page-next" data-testid="page-next" href="([^"]+)"')


def _signed_in(app: Flask, role: str = "operator") -> tuple[Console, str]:
    account = make_user(app, role, totp=role != "operator")
    console = Console(app)
    console.sign_in(account)
    return console, account.username


def test_home_is_the_queue_in_order(app: Flask, make_report: ReportFactory) -> None:
    normal = make_call(make_report, minutes=1, fields={"priority": "normal", "priority_rank": 2})
    urgent = make_call(make_report, minutes=5, fields={"priority": "urgent", "priority_rank": 0})
    high = make_call(make_report, minutes=3)
    closed = make_call(make_report, minutes=0, fields={"status": "closed"})
    console, _ = _signed_in(app)
    page = console.get("/")
    assert page.status_code == 200
    assert ROW.findall(page.text) == [urgent, high, normal]
    assert closed not in page.text
    # The CSRF token is random base64: it holds "0142" on about one page in 150,000.
    assert CALLBACK_NUMBER not in page.text and "0142" not in CSRF_PATTERN.sub("", page.text)
    assert page.headers["Cache-Control"] == "no-store"


def test_the_call_log_filters_and_pages_with_links(app: Flask, make_report: ReportFactory) -> None:
    made = [make_call(make_report, minutes=i) for i in range(57)]
    french = make_call(make_report, minutes=60, call={"language": "fr"})
    console, _ = _signed_in(app)
    seen, url = [], "/calls"
    while url:
        page = console.get(url)
        assert page.status_code == 200
        seen += CALL_ROW.findall(page.text)
        found = NEXT.search(page.text)
        url = found.group(1).replace("&amp;", "&") if found else ""
    assert seen == [french, *reversed(made)]  # 58 calls on two pages of 50, newest first
    only_french = console.get("/calls?language=fr&status=&has_voicemail=yes")
    assert CALL_ROW.findall(only_french.text) == [french]
    by_number = console.get(f"/calls?report_number={made[3]}")
    assert CALL_ROW.findall(by_number.text) == [made[3]]
    refused = console.get("/calls?from=last+week")
    assert refused.status_code == 400 and 'id="form-error"' in refused.text
    assert console.get("/calls?cursor=tampered").status_code == 400


def test_the_record_page_shows_the_call_masked_and_is_audited_once(
    app: Flask, make_report: ReportFactory
) -> None:
    number = make_report()
    console, username = _signed_in(app)
    before = last_audit_id(app)
    page = console.get(f"/reports/{number}")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    text = page.text
    assert "+1******0142" in text and CALLBACK_NUMBER not in text
    assert TRANSCRIPT not in text and "dark_wolf" in text  # entities yes, transcript no
    assert 'data-testid="transcript-button"' in text
    assert 'id="reveal-button"' not in text  # operators may not reveal by default
    link = re.search(
        r'<a href="([^"]+)" rel="([^"]+)" target="_blank"[^>]*data-testid="entity-link"', text
    )
    assert link and link.group(1) == "https://www.example.com/abc"
    assert set(link.group(2).split()) == {"noopener", "noreferrer", "nofollow"}
    assert text.count('data-testid="ivr-step"') == 11
    assert 'preload="none"' in text  # loading the page does not play (nor audit) anything
    assert audit_actions(app, before) == [("report.view", username, "ok")]
    assert console.get("/reports/999999999").status_code == 404
    assert console.get("/reports/not-a-number").status_code == 404


def test_the_transcript_is_a_separate_audited_request(
    app: Flask, make_report: ReportFactory
) -> None:
    number = make_report()
    console, username = _signed_in(app)
    page = console.get(f"/reports/{number}")
    action = re.search(r'<form method="get" action="([^"]+)" class="transcript-form"', page.text)
    assert action
    before = last_audit_id(app)
    fragment = console.get(action.group(1) + "?fragment=1")
    assert fragment.status_code == 200 and TRANSCRIPT.split(",")[0] in fragment.text
    assert "<html" not in fragment.text
    full = console.get(action.group(1))
    assert "<html" in full.text and full.headers["Cache-Control"] == "no-store"
    assert audit_actions(app, before) == [("transcript.view", username, "ok")] * 2


@pytest.mark.parametrize("reveal_role", ["supervisor", "operator"])
def test_reveal_is_for_permitted_roles_audited_and_needs_csrf(
    app: Flask, make_report: ReportFactory, reveal_role: str
) -> None:
    app.config["REVEAL_CALLER_ROLE"] = reveal_role
    number = make_report()
    operator, op_name = _signed_in(app, "operator")
    supervisor, sup_name = _signed_in(app, "supervisor")
    before = last_audit_id(app)
    assert supervisor.post(f"/reports/{number}/reveal", csrf=False).status_code == 400
    shown = supervisor.post(f"/reports/{number}/reveal")
    assert shown.status_code == 200 and CALLBACK_NUMBER in shown.text
    assert shown.headers["Cache-Control"] == "no-store"
    by_operator = operator.post(f"/reports/{number}/reveal")
    if reveal_role == "operator":
        assert by_operator.status_code == 200 and CALLBACK_NUMBER in by_operator.text
        expected = ("caller.reveal", op_name, "ok")
    else:
        assert by_operator.status_code == 403 and CALLBACK_NUMBER not in by_operator.text
        expected = ("access.denied", op_name, "denied")
    assert audit_actions(app, before) == [("caller.reveal", sup_name, "ok"), expected]
    anonymous = make_report(anonymous=True)
    assert supervisor.post(f"/reports/{anonymous}/reveal").status_code == 404


def test_triage_through_the_forms(app: Flask, make_report: ReportFactory) -> None:
    number = make_report()
    console, username = _signed_in(app)
    before = last_audit_id(app)
    claimed = console.post(f"/reports/{number}/claim")
    assert claimed.status_code == 303
    assert claimed.headers["Location"].endswith(f"/reports/{number}#triage")
    wrong = console.post(f"/reports/{number}/status", {"status": "new"})
    assert "error=invalid_transition" in wrong.headers["Location"]
    page = console.get(wrong.headers["Location"])
    assert "That status change is not allowed" in page.text
    no_reason = console.post(f"/reports/{number}/priority", {"priority": "low", "reason": ""})
    assert "error=reason_required" in no_reason.headers["Location"]
    console.post(f"/reports/{number}/priority", {"priority": "urgent", "reason": "child named"})
    console.post(f"/reports/{number}/classification", {"classification": "sextortion"})
    console.post(f"/reports/{number}/notes", {"text": "called the platform's trust team"})
    referred = console.post(
        f"/reports/{number}/referrals",
        {"agency": "Ontario Provincial Police", "reference": "R-1", "referred_on": ""},
    )
    # The factory's reports are received in the future: "now" is before them.
    assert "error=bad_date" in referred.headers["Location"]
    assert console.post(f"/reports/{number}/assign", {"assignee": username}).status_code == 403
    state = report_state(app, number)
    assert (state.status, state.assignee, state.priority, state.classification) == (
        "in_review", username, "urgent", "sextortion"
    )  # fmt: skip
    assert audit_actions(app, before) == [
        ("report.claim", username, "ok"),
        ("report.status", username, "failed"),
        ("report.view", username, "ok"),
        ("report.priority", username, "failed"),
        ("report.priority", username, "ok"),
        ("report.classify", username, "ok"),
        ("report.note", username, "ok"),
        ("report.refer", username, "failed"),
        ("access.denied", username, "denied"),
    ]


def test_triage_forms_refuse_a_missing_csrf_token(app: Flask, make_report: ReportFactory) -> None:
    number = make_report()
    console, _ = _signed_in(app, "supervisor")
    for action in ("claim", "assign", "status", "classification", "priority", "notes",
                   "referrals", "reveal"):  # fmt: skip
        response = console.post(f"/reports/{number}/{action}", {"status": "in_review"}, csrf=False)
        assert response.status_code == 400, action
    state = report_state(app, number)
    assert (state.status, state.assignee) == ("new", None)


def test_a_supervisor_assigns_and_the_operator_refers(
    app: Flask, make_report: ReportFactory
) -> None:
    from datetime import UTC, datetime, timedelta

    number = make_call(make_report, fields={"received_at": datetime.now(UTC) - timedelta(days=2)})
    operator, op_name = _signed_in(app, "operator")
    supervisor, _ = _signed_in(app, "supervisor")
    page = supervisor.get(f"/reports/{number}")
    assert 'id="assign-form"' in page.text and op_name in page.text
    assert supervisor.post(f"/reports/{number}/assign", {"assignee": op_name}).status_code == 303
    operator.post(f"/reports/{number}/claim")  # already mine: the review starts
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    done = operator.post(
        f"/reports/{number}/referrals",
        {"agency": "Ontario Provincial Police", "reference": "R-1", "referred_on": yesterday},
    )
    assert "error" not in done.headers["Location"]
    state = report_state(app, number)
    assert (state.status, state.assignee) == ("referred", op_name)
    record = operator.get(f"/reports/{number}")
    assert 'data-testid="referral"' in record.text and "R-1" in record.text
    assert 'id="referral-form"' in record.text  # a second agency may still be added


def test_the_record_page_names_steps_outcomes_and_changes_in_french(
    app: Flask, make_report: ReportFactory
) -> None:
    number = make_report()
    console, _username = _signed_in(app)
    assert console.post("/language", {"lang": "fr", "next": "/"}).status_code in (302, 303)
    console.post(f"/reports/{number}/claim")
    console.post(f"/reports/{number}/classification", {"classification": "sextortion"})
    text = console.get(f"/reports/{number}").text
    timeline = text[text.index('id="ivr-path"') : text.index('id="triage"')]
    assert "<strong>Menu principal</strong>" in timeline
    assert "<strong>main_menu</strong>" not in timeline  # the id stays only in data-node
    assert "presented" not in timeline and "entendu" in timeline
    history = text[text.index('data-testid="history"') :]
    assert "<td>Classification</td>" in history and "<td>classification</td>" not in history
    assert "in_review" not in history and "En cours d&#39;examen" in history
