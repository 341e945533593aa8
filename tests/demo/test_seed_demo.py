"""``flask seed-demo``: realistic, deterministic, fictional, and kept apart from real calls."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from ivr.audit import verify_chain
from ivr.demo.generate import category_quota
from ivr.demo.profile import DEMO_OPERATORS
from models import AuditEntry, Call, CallEvent, Database, Referral, Report, ReportChange, User
from tests.conftest import ACCOUNT_SID, app_config, running_app

END = "2026-06-01"


@pytest.fixture(params=["sqlite", "postgres"])
def own_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """The app on an empty database of its own."""
    name = "sqlite_url" if request.param == "sqlite" else "own_postgres_url"
    url: str = request.getfixturevalue(name)
    with running_app(app_config(url, tmp_path)) as app:
        yield app


def _seed(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["seed-demo", "--end", END, *args])
    assert result.exit_code == 0, result.output
    return result.output


def _db(app: Flask) -> Database:
    database: Database = app.extensions["database"]
    return database


def _snapshot(app: Flask) -> dict[str, list[Any]]:
    with _db(app).session() as s:
        calls = s.execute(
            select(
                Call.call_sid, Call.started_at, Call.last_step, Call.category, Call.from_hash
            ).order_by(Call.id)
        ).all()
        reports = s.execute(
            select(
                Report.report_number,
                Report.category,
                Report.status,
                Report.assignee,
                Report.ready_at,
            ).order_by(Report.id)
        ).all()
        events = s.execute(
            select(CallEvent.node, CallEvent.outcome, CallEvent.at).order_by(CallEvent.id)
        ).all()
    return {"calls": calls, "reports": reports, "events": events}


def test_the_published_proportions_are_exact() -> None:
    quota = Counter(category_quota(18_312))
    assert quota["csam"] == 13_837 and quota["luring"] == 1_117
    assert sum(quota.values()) == 18_312
    assert sum(Counter(category_quota(1000)).values()) == 1000


def test_a_line_that_looks_like_the_real_one(own_app: Flask) -> None:
    output = _seed(own_app, "--calls", "3000", "--seed", "5", "--days", "120")
    assert "seeded 3,000 calls" in output
    with _db(own_app).session() as s:
        assert s.scalar(select(func.count(Call.id))) == 3000
        last_steps = Counter(s.scalars(select(Call.last_step)))
        # Hang-ups at every step of the flow, and calls that went all the way.
        for node in (
            "language",
            "safety",
            "main_menu",
            "info",
            "danger",
            "message",
            "callback",
            "close",
        ):
            assert last_steps[node] > 0, node
        transfers = Counter(s.scalars(select(Call.transfer).where(Call.transfer.is_not(None))))
        assert transfers["answered"] > 0 and transfers["unanswered"] > 0
        hangups = {
            n for n, o in s.execute(select(CallEvent.node, CallEvent.outcome)) if o == "hangup"
        }
        assert {
            "language",
            "safety",
            "main_menu",
            "info",
            "danger",
            "message",
            "callback",
        } <= hangups
        reports = s.scalar(select(func.count(Report.id))) or 0
        assert 0.5 < reports / 3000 < 0.75
        languages = Counter(s.scalars(select(Report.language)))
        assert 0.12 < languages["fr"] / reports < 0.35
        regions = Counter(
            s.scalars(select(Report.caller_region).where(Report.caller_region.is_not(None)))
        )
        assert regions.most_common(2)[0][0] == "ON" and regions.most_common(2)[1][0] == "QC"
        assert s.scalar(select(func.count()).where(Report.priority == "urgent")) > 0
        assert s.scalar(select(func.count()).where(Report.repeat_caller.is_(True))) > 0
        # Reviews over time: first reviews, referrals, closures, by the demo analysts.
        reviewed = s.scalar(
            select(func.count()).where(
                ReportChange.field == "status", ReportChange.new_value == "in_review"
            )
        )
        assert reviewed and reviewed > reports / 2
        referred = s.scalar(select(func.count()).where(Report.status == "referred"))
        assert referred and s.scalar(select(func.count(Referral.id))) == referred
        assert s.scalar(select(func.count()).where(Report.status == "closed"))
        assert set(s.scalars(select(Report.assignee).where(Report.assignee.is_not(None)))) <= set(
            DEMO_OPERATORS
        )
        assert set(DEMO_OPERATORS) <= set(s.scalars(select(User.username)))
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "demo.seeded"))
        assert entry.detail["calls"] == 3000 and entry.detail["reports"] == reports
        assert verify_chain(s).ok


def test_numbers_are_fictional_and_hashes_match_no_number(own_app: Flask) -> None:
    _seed(own_app, "--calls", "500", "--seed", "9")
    cipher = own_app.extensions["cipher"]
    with _db(own_app).session() as s:
        rows = s.execute(select(Call.call_sid, Call.from_enc, Call.from_hash)).all()
    assert all(sid.startswith("CAdemo") for sid, _e, _h in rows)
    numbers = [(cipher.decrypt_text(enc), h) for _s, enc, h in rows if enc is not None]
    assert numbers and all(re.fullmatch(r"\+1\d{3}55501\d{2}", n) for n, _h in numbers)
    assert all(cipher.keyed_hash(n) != h for n, h in numbers)


def test_the_same_seed_gives_the_same_line(tmp_path: Path, sqlite_url: str) -> None:
    other = f"sqlite:///{tmp_path / 'other.db'}"
    from models import migrate

    migrate.upgrade(other)
    key = app_config(sqlite_url, tmp_path)["DATA_KEY"]
    snapshots = []
    for url in (sqlite_url, other):
        with running_app(app_config(url, tmp_path / url[-8:], DATA_KEY=key)) as app:
            _seed(app, "--calls", "400", "--seed", "42")
            snapshots.append(_snapshot(app))
    assert snapshots[0] == snapshots[1]
    with running_app(
        app_config(f"sqlite:///{tmp_path / 'third.db'}", tmp_path / "third", DATA_KEY=key)
    ) as app:
        migrate.upgrade(app.config["DATABASE_URL"])
        _seed(app, "--calls", "400", "--seed", "43")
        assert _snapshot(app)["calls"] != snapshots[0]["calls"]


def test_it_refuses_a_database_with_real_calls_unless_forced(own_app: Flask) -> None:
    with _db(own_app).session() as s, s.begin():
        s.add(
            Call(
                call_sid="CA" + uuid.uuid4().hex,
                account_sid=ACCOUNT_SID,
                reference_number="12345678",
                status="completed",
                started_at=datetime(2026, 5, 1, tzinfo=UTC),
                flow_name="default",
                flow_state={},
            )
        )
    refused = own_app.test_cli_runner().invoke(args=["seed-demo", "--calls", "10"])
    assert refused.exit_code != 0 and "real calls" in refused.output
    with _db(own_app).session() as s:
        assert s.scalar(select(func.count(Call.id))) == 1
    _seed(own_app, "--calls", "10", "--force")
    with _db(own_app).session() as s:
        assert s.scalar(select(func.count(Call.id))) == 11


def test_exactly_the_published_figures_with_reports(own_postgres_url: str, tmp_path: Path) -> None:
    with running_app(app_config(own_postgres_url, tmp_path)) as app:
        _seed(app, "--calls", "20000", "--reports", "18312", "--days", "730")
        with _db(app).session() as s:
            counts = dict(
                s.execute(select(Report.category, func.count()).group_by(Report.category)).all()
            )
    assert sum(counts.values()) == 18_312
    assert counts["csam"] == 13_837 and counts["luring"] == 1_117
