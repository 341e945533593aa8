"""A scripted console session leaves exactly one audit entry per access, no more."""

from __future__ import annotations

from flask import Flask

from tests.auth.helpers import Console, audit_actions, last_audit_id, make_user
from tests.console.helpers import store_audio, tone_wav
from tests.reports.factory import ReportFactory


def test_a_scripted_review_writes_exactly_its_accesses(
    app: Flask, make_report: ReportFactory
) -> None:
    number = make_report()
    sid = store_audio(app, number, tone_wav(1.0))
    account = make_user(app, "supervisor", totp=True)
    console = Console(app)
    console.sign_in(account)
    record = f"/reports/{number}"
    before = last_audit_id(app)
    assert console.get("/").status_code == 200  # the queue: nothing identifying
    assert console.get("/calls?language=en").status_code == 200  # nor the call log
    assert console.get(record).status_code == 200
    for header in ("bytes=0-", "bytes=0-1023", "bytes=4096-"):  # one play, three requests
        assert (
            console.get(f"{record}/recordings/{sid}/audio", headers={"Range": header}).status_code
            == 206
        )
    assert console.get(f"{record}/recordings/{sid}/transcript?fragment=1").status_code == 200
    assert console.post(f"{record}/reveal").status_code == 200
    assert console.post(f"{record}/claim").status_code == 303
    assert (
        console.post(f"{record}/notes", {"text": "left a message with the platform"}).status_code
        == 303
    )
    assert console.post(f"{record}/status", {"status": "closed"}).status_code == 303
    me = account.username
    assert audit_actions(app, before) == [
        ("report.view", me, "ok"),
        ("recording.play", me, "ok"),
        ("transcript.view", me, "ok"),
        ("caller.reveal", me, "ok"),
        ("report.claim", me, "ok"),
        ("report.note", me, "ok"),
        ("report.status", me, "ok"),
    ]
