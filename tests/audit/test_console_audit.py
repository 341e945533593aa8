"""What the console writes to the audit log: exactly the accesses of a scripted session,
and denials kept even though their request is rolled back."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from models import AuditEntry
from tests.auth.helpers import (
    Account,
    Console,
    add_probe_pages,
    audit_actions,
    database,
)


def test_a_scripted_session_writes_exactly_its_accesses(app: Flask) -> None:
    add_probe_pages(app)
    created = app.test_cli_runner().invoke(args=["users", "create", "olga", "--role", "operator"])
    found = re.search(r"one-time password for olga: (\S+)", created.output)
    assert found
    olga = Account("olga", found.group(1), "operator")
    console = Console(app)
    assert console.get("/").status_code == 302  # anonymous: refused
    assert console.login(olga, password="not her password").status_code == 401
    assert console.login(olga).status_code == 302  # the one-time password is changed first
    changed = console.post(
        "/account/password",
        {
            "current_password": olga.password,
            "new_password": "a brand new secret",
            "confirm_password": "a brand new secret",
        },
    )
    assert changed.status_code == 302
    assert console.get("/").status_code == 200  # home: not a record access, not audited
    assert console.get("/probe/supervisor").status_code == 403
    assert console.get("/probe/record/7").status_code == 200  # a record view
    assert console.get("/probe/record/8").status_code == 200  # another
    token = console.token
    assert console.post("/logout").status_code == 302
    replay = Console(app)
    assert token is not None
    replay.set_token(token)
    assert replay.get("/probe/record/7").status_code == 302  # the old cookie: anonymous
    assert audit_actions(app) == [
        ("user.created", "cli", "ok"),
        ("access.anonymous", None, "denied"),
        ("auth.login_failed", "olga", "failed"),
        ("auth.login", "olga", "ok"),
        ("auth.password_changed", "olga", "ok"),
        ("access.denied", "olga", "denied"),
        ("report.view", "olga", "ok"),
        ("report.view", "olga", "ok"),
        ("auth.logout", "olga", "ok"),
        ("access.anonymous", None, "denied"),
    ]
    with database(app).session() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    views = [e for e in entries if e.action == "report.view"]
    assert [(e.target_type, e.target_id) for e in views] == [("report", "7"), ("report", "8")]
    assert all(e.ip == "127.0.0.1" for e in entries if e.actor != "cli")
    assert entries[2].detail == {"reason": "bad_password"}
    assert entries[5].detail["reason"] == "role supervisor required"
    assert not any("not her password" in str(e.detail) for e in entries)
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "10 entries" in result.output


def test_a_failed_request_keeps_its_denial_but_not_its_accesses(app: Flask) -> None:
    add_probe_pages(app)
    from tests.auth.helpers import make_user

    account = make_user(app, "operator")
    console = Console(app)
    console.sign_in(account)
    before = len(audit_actions(app))
    # The view audits a change, then fails: the change did not happen, nor its entry.
    assert console.post("/probe/record/3/conflict").status_code == 409
    assert len(audit_actions(app)) == before
    # A denial is written in a transaction of its own although the request is not committed.
    assert console.get("/probe/admin").status_code == 403
    assert audit_actions(app)[before:] == [("access.denied", account.username, "denied")]
