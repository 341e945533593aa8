"""``flask --app wsgi seed-demo``: fill the database with a synthetic year of the line."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from datetime import time as dtime

import click
from flask import current_app
from flask.cli import with_appcontext
from tqdm import tqdm  # type: ignore[import-untyped]

from ivr.audit import record
from ivr.auth.accounts import find_user
from ivr.crypto import DataCipher
from ivr.demo import load
from ivr.demo.generate import DemoGenerator, Settings
from ivr.demo.profile import DEMO_OPERATORS
from ivr.metrics import cli as metrics_cli
from models import Database, User

ACTOR = "cli"
NO_LOGIN = "!demo account: no password opens it"
BATCH = 10_000


def _demo_operators(database: Database) -> list[str]:
    """The analysts the demo reviews are attributed to; they cannot sign in (no password
    hash matches ``NO_LOGIN``). Returns the ones created now."""
    created = []
    with database.session() as session, session.begin():
        for username in DEMO_OPERATORS:
            if find_user(session, username) is None:
                session.add(
                    User(
                        username=username,
                        display_name=f"Demo analyst {username[-2:]}",
                        role="operator",
                        password_hash=NO_LOGIN,
                        must_change_password=True,
                        totp_enabled=False,
                        ui_language="en",
                        failed_logins=0,
                    )
                )
                created.append(username)
    return created


def _settings(
    database: Database,
    calls: int,
    days: int,
    end: datetime,
    seed: int,
    reports: int | None,
    force: bool,
) -> Settings:
    with database.engine.connect() as conn:
        if load.real_calls_present(conn) and not force:
            raise click.ClickException(
                "this database holds real calls: refusing to mix demo data in (use --force)"
            )
        first_call, first_report = load.next_ids(conn)
    return Settings(
        calls=calls,
        days=days,
        end=end,
        seed=seed,
        reports=reports,
        first_call_id=first_call,
        first_report_id=first_report,
        account_sid=current_app.config["TWILIO_ACCOUNT_SID"],
    )


@click.command("seed-demo")
@click.option("--calls", type=click.IntRange(min=1), required=True, help="Calls to make.")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=365,
    show_default=True,
    help="Spread over this many days before --end.",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed.")
@click.option(
    "--end",
    "end_day",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="First day after the period (default: today, UTC).",
)
@click.option(
    "--reports",
    type=click.IntRange(min=0),
    default=None,
    help="Exactly this many of the calls become reports (default: about 62%).",
)
@click.option("--force", is_flag=True, help="Even if the database holds real calls.")
@with_appcontext
def seed_demo(
    calls: int, days: int, seed: int, end_day: datetime | None, reports: int | None, force: bool
) -> None:
    """Load N synthetic calls with their IVR paths, recordings, reports and reviews.

    Deterministic for (--calls, --days, --seed, --end, --reports) on an empty database.
    Demo calls have CallSids starting with "CAdemo"; their numbers are fictional
    (555-01XX). Refuses to run on a database holding real calls unless --force.
    """
    if reports is not None and reports > calls:
        raise click.BadParameter("cannot exceed --calls", param_hint="--reports")
    database: Database = current_app.extensions["database"]
    cipher: DataCipher = current_app.extensions["cipher"]
    day = end_day.date() if end_day else datetime.now(UTC).date()
    end = datetime.combine(day, dtime(), tzinfo=UTC)
    settings = _settings(database, calls, days, end, seed, reports, force)
    operators = _demo_operators(database)
    started = time.perf_counter()
    counts = _load(database, DemoGenerator(settings, cipher))
    elapsed = time.perf_counter() - started
    with database.session() as session, session.begin():
        detail = {**counts, "seed": seed, "operators_created": operators}
        record(session, actor=ACTOR, action="demo.seeded", detail=detail)
    summary = ", ".join(f"{n:,} {name}" for name, n in counts.items())
    click.echo(f"seeded {summary} in {elapsed:.1f} s")
    done = metrics_cli.refresh(current_app.config, database, rebuild=True, show_progress=True)
    assert done is not None  # waited for the lock
    click.echo(f"metrics rollup rebuilt: {done.days:,} day(s) in {done.seconds:.1f} s")


def _load(database: Database, generator: DemoGenerator) -> dict[str, int]:
    counts = dict.fromkeys(load.COLUMNS, 0)
    with (
        tqdm(total=generator.s.calls, unit="call", desc="seed-demo") as bar,
        database.engine.connect() as conn,
    ):
        load.prepare(conn)
        existing = generator.s.first_call_id - 1
        indexes = load.drop_secondary_indexes(conn, generator.s.calls, existing)
        for batch in load.drawn_in_background(generator, BATCH):
            load.write_batch(conn, batch)
            if not indexes:  # else one transaction: a failure brings the indexes back
                conn.commit()
            for name in counts:
                counts[name] += len(getattr(batch, name))
            bar.update(len(batch.calls))
        bar.set_postfix_str("indexing" if indexes else "")
        load.finish(conn, indexes)
        conn.commit()
        bar.set_postfix_str("vacuuming")
        load.vacuum(database)
    return counts
