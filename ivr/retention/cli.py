"""``flask --app wsgi retention ...``: the retention policy from the command line."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from ivr.media.storage import DirectoryStore
from ivr.retention.purge import RetentionPolicy, apply_purge, lock_purge, plan_purge
from models import Database
from models.base import utcnow

retention_cli = AppGroup("retention", help="Purging recordings and identifying data on schedule.")
ACTOR = "cli"


@retention_cli.command("purge")
@click.option("--apply", "apply_", is_flag=True, help="Purge (without it: only show what is due).")
def purge_command(apply_: bool) -> None:
    """Show what the retention policy says must go now; with --apply, purge it.

    Deletes the encrypted audio files and transcripts of reports closed, referred or
    marked duplicate more than RETENTION_RECORDINGS_DAYS ago, clears their callers'
    numbers after RETENTION_CALLBACK_DAYS, and deletes calls that never became a report
    after RETENTION_NO_REPORT_CALLS_DAYS. The purge is written to the audit log.
    """
    app = current_app
    policy = RetentionPolicy.from_config(app.config)
    database: Database = app.extensions["database"]
    with database.session() as session, session.begin():
        if apply_:
            lock_purge(session)
        plan = plan_purge(session, policy, utcnow())
        for name, count in plan.counts().items():
            click.echo(f"{name.replace('_', ' ')}: {count}")
        if not apply_:
            click.echo("dry run: nothing purged (run with --apply to purge)")
            return
        apply_purge(session, plan, DirectoryStore(app.config["RECORDINGS_DIR"]), actor=ACTOR)
    click.echo("purged; the audit log holds the counts")
