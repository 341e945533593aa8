"""``flask audit verify``: passes on an intact log, names the entry an edit, a deletion or
a reordering broke (the append-only triggers are lifted the way an intruder would)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.orm import Session

from ivr.audit import record
from tests.auth.helpers import database


def _write_entries(app: Flask, count: int = 4) -> None:
    with database(app).session() as session, session.begin():
        for n in range(count):
            record(
                session,
                actor="ana",
                action="report.view",
                target_type="report",
                target_id=n,
                ip="192.0.2.1",
            )


@contextmanager
def _tampering(app: Flask) -> Iterator[Session]:
    """A transaction in which the append-only triggers do not fire."""
    with database(app).session() as session, session.begin():
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))
            yield session
            session.execute(text("ALTER TABLE audit_entries ENABLE TRIGGER USER"))
        else:
            session.execute(text("DROP TRIGGER audit_entries_no_update"))
            session.execute(text("DROP TRIGGER audit_entries_no_delete"))
            yield session


def _verify(app: Flask) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    return result.exit_code, result.output


def test_an_intact_log_verifies(app: Flask) -> None:
    assert _verify(app) == (0, "audit log OK: 0 entries, head " + "0" * 64 + "\n")
    _write_entries(app)
    code, output = _verify(app)
    assert code == 0 and output.startswith("audit log OK: 4 entries, head ")


@pytest.mark.parametrize(
    ("tamper", "broken", "says"),
    [
        ("UPDATE audit_entries SET actor = 'mallory' WHERE id = 2", 2, "it was edited"),
        ("UPDATE audit_entries SET detail = '{\"rows\": 1}' WHERE id = 3", 3, "it was edited"),
        ("UPDATE audit_entries SET outcome = 'denied' WHERE id = 4", 4, "it was edited"),
        ("DELETE FROM audit_entries WHERE id = 2", 3, "does not follow entry 1"),
        ("DELETE FROM audit_entries WHERE id = 1", 2, "does not start the chain"),
        ("UPDATE audit_entries SET id = 99 WHERE id = 2", 3, "reordered"),
    ],
)
def test_a_tampered_log_fails_naming_the_entry(
    app: Flask, tamper: str, broken: int, says: str
) -> None:
    _write_entries(app)
    with _tampering(app) as session:
        session.execute(text(tamper))
    code, output = _verify(app)
    assert code == 1
    assert f"audit log BROKEN: entry {broken} (" in output and says in output


def test_a_rewritten_entry_breaks_the_link_of_the_next(app: Flask) -> None:
    _write_entries(app)
    with _tampering(app) as session:
        session.execute(text("UPDATE audit_entries SET hash = :h WHERE id = 2"), {"h": "f" * 64})
    code, output = _verify(app)
    assert code == 1 and "entry 2 (" in output and "edited" in output
