"""``flask --app wsgi metrics ...``: the metrics rollup from the command line."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from tqdm import tqdm  # type: ignore[import-untyped]

from ivr.metrics import rollup
from models import Database

metrics_cli = AppGroup("metrics", help="The dashboard's daily rollup.")


def due(config: Mapping[str, Any], database: Database, every: timedelta) -> bool:
    """True when the rollup was last refreshed more than ``every`` ago (or never, or for
    other settings)."""
    tz, target = rollup.settings(config)
    with database.session() as session:
        current = rollup.state(session, tz, target)
        return current is None or current.refreshed_at < datetime.now(UTC) - every


def refresh(
    config: Mapping[str, Any],
    database: Database,
    *,
    rebuild: bool = False,
    wait: bool = True,
    show_progress: bool = False,
) -> rollup.Refreshed | None:
    """:func:`ivr.metrics.rollup.refresh` with the configured time zone and target."""
    tz, target = rollup.settings(config)
    with (
        tqdm(total=0, unit="day", desc="metrics rollup", disable=not show_progress) as bar,
        database.session() as session,
    ):

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        return rollup.refresh(
            session,
            tz=tz,
            target=target,
            now=datetime.now(UTC),
            rebuild=rebuild,
            wait=wait,
            progress=progress,
        )


@metrics_cli.command("rollup")
@click.option("--rebuild", is_flag=True, help="Recompute every day, not only the changed ones.")
def rollup_command(rebuild: bool) -> None:
    """Bring the dashboard's daily rollup up to date (the worker does it every minute).

    Recomputes the days whose calls, reports or reviews changed since the last run; every
    day with --rebuild, or when METRICS_TZ or URGENT_REVIEW_TARGET_MINUTES changed.
    """
    database: Database = current_app.extensions["database"]
    done = refresh(current_app.config, database, rebuild=rebuild, show_progress=True)
    assert done is not None  # waited for the lock
    how = "rebuilt" if done.rebuilt else "refreshed"
    click.echo(f"metrics rollup {how}: {done.days:,} day(s) in {done.seconds:.1f} s")
