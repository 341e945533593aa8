"""``flask --app wsgi audit ...``: the audit log from the command line."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from ivr.audit.chain import verify_chain
from models import Database

audit_cli = AppGroup("audit", help="The tamper-evident audit log.")


@audit_cli.command("verify")
def verify_command() -> None:
    """Walk the hash chain of the audit log from its first entry to its last.

    Prints the number of entries and the hash of the last one (keep it: cutting entries
    off the end can only be seen against a head hash noted earlier). Exits 1 naming the
    first entry that was edited, or that follows a deleted or reordered entry.
    """
    database: Database = current_app.extensions["database"]
    with database.session() as session:
        report = verify_chain(session)
    if not report.ok:
        click.echo(f"audit log BROKEN: {report.problem}", err=True)
        click.echo(f"{report.count} entries verified before it", err=True)
        sys.exit(1)
    click.echo(f"audit log OK: {report.count} entries, head {report.head}")
