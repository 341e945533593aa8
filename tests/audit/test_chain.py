"""The hash chain: what each entry covers, concurrent writers, append-only tables."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from ivr.audit import GENESIS_HASH, record, verify_chain
from models import AuditEntry
from tests.auth.helpers import database


def test_each_entry_chains_the_previous_hash_and_its_own_content(app: Flask) -> None:
    with database(app).session() as session, session.begin():
        first = record(
            session,
            actor="ana",
            action="report.view",
            target_type="report",
            target_id=42,
            detail={"b": 1, "a": [1, "x"]},
            ip="192.0.2.1",
        )
        second = record(session, actor=None, action="access.anonymous", outcome="denied")
    assert first.prev_hash == GENESIS_HASH and second.prev_hash == first.hash
    content = {
        "at": first.at.isoformat(),
        "actor": "ana",
        "action": "report.view",
        "target_type": "report",
        "target_id": "42",
        "outcome": "ok",
        "ip": "192.0.2.1",
        "detail": {"a": [1, "x"], "b": 1},
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":")).encode()
    assert first.hash == hashlib.sha256(GENESIS_HASH.encode() + canonical).hexdigest()
    with database(app).session() as session:
        report = verify_chain(session)
    assert report.ok and report.count == 2 and report.head == second.hash


def test_an_unknown_outcome_is_refused(app: Flask) -> None:
    with database(app).session() as session, pytest.raises(ValueError):
        record(session, actor="ana", action="x", outcome="maybe")


def test_concurrent_writers_do_not_fork_the_chain(app: Flask) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def write(worker: int) -> None:
        try:
            start.wait()
            for n in range(8):
                with database(app).session() as session, session.begin():
                    record(session, actor=f"w{worker}", action="report.view", target_id=n)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with database(app).session() as session:
        report = verify_chain(session)
        prev_hashes = session.scalars(select(AuditEntry.prev_hash)).all()
    assert report.ok and report.count == 32
    assert len(set(prev_hashes)) == 32  # no two entries claim the same predecessor


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_entries SET actor = 'mallory'", "DELETE FROM audit_entries"]
)
def test_the_database_refuses_to_change_entries(app: Flask, statement: str) -> None:
    with database(app).session() as session, session.begin():
        record(session, actor="ana", action="report.view")
    with database(app).session() as session, pytest.raises(DBAPIError, match="append-only"):
        session.execute(text(statement))
    with database(app).session() as session:
        assert verify_chain(session).count == 1


def test_no_code_path_updates_or_deletes_audit_entries() -> None:
    root = Path(__file__).resolve().parents[2]
    for path in [*root.glob("ivr/**/*.py"), *root.glob("models/*.py")]:
        source = path.read_text()
        for forbidden in [
            "update(AuditEntry",
            "delete(AuditEntry",
            "UPDATE audit_entries",
            "DELETE FROM audit_entries",
        ]:
            assert forbidden not in source, f"{path}: {forbidden}"
