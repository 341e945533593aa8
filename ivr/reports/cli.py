"""``flask --app wsgi reports ...``: reports leaving the hotline."""

from __future__ import annotations

import getpass
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import click
from flask import current_app
from flask.cli import AppGroup

from ivr import audit
from ivr.crypto import DataCipher
from ivr.reports.export import FORMATS, ExportError, ExportFormat, export_reports
from models import Database

reports_cli = AppGroup("reports", help="Reports: export them for analysts and partners.")


@reports_cli.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="jsonl",
    show_default=True,
    help="jsonl: one hotline.report/1 document per line; csv: one flat row per report.",
)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="Only reports received on or after this day (from midnight UTC).",
)
@click.option(
    "--include-identifiers",
    is_flag=True,
    help="Put the callers' callback numbers in clear (E.164); without it they are masked.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE (mode 0600, only replaced once the export succeeded). "
    "Default: standard output.",
)
def export_command(
    fmt: ExportFormat, since: datetime | None, include_identifiers: bool, output: Path | None
) -> None:
    """Export reports as JSON Lines (schema hotline.report/1) or CSV.

    Every document is checked against docs/schema/hotline.report-1.schema.json; the
    first one that fails stops the export with exit status 1, naming the report and the
    field. Callback numbers are only included with --include-identifiers, otherwise
    masked (+1******0142). Every export, and every failed one, is in the audit log with
    its options and the number of reports.
    """
    database: Database = current_app.extensions["database"]
    cipher: DataCipher = current_app.extensions["cipher"]
    options = {
        "format": fmt,
        "since": since.date().isoformat() if since else None,
        "include_identifiers": include_identifiers,
        "to_file": output is not None,
        "os_user": _os_user(),
    }
    with database.session() as session:
        try:
            with _destination(output) as out:
                count = export_reports(
                    session,
                    cipher,
                    out,
                    fmt=fmt,
                    since=since.replace(tzinfo=UTC) if since else None,
                    include_identifiers=include_identifiers,
                )
        except ExportError as exc:
            session.rollback()
            with session.begin():
                audit.record(
                    session,
                    actor="cli",
                    action="reports.export",
                    outcome="failed",
                    detail={**options, "error": str(exc)[:200]},
                )
            raise click.ClickException(str(exc)) from exc
        session.rollback()
        # Only once the file is in place: an interrupted export leaves nothing to audit.
        with session.begin():
            audit.record(
                session, actor="cli", action="reports.export", detail={**options, "count": count}
            )
    click.echo(f"{count} report(s) exported", err=True)


def _os_user() -> str | None:
    """The operating-system account running the command: the CLI has no console login."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


@contextmanager
def _destination(path: Path | None) -> Iterator[TextIO]:
    """Standard output, or a private temporary file renamed to ``path`` on success.

    A failed export thus never leaves a partial file behind, nor replaces a good one.
    """
    if path is None:
        yield sys.stdout
        return
    fd, part = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            yield out
    except BaseException:
        Path(part).unlink(missing_ok=True)
        raise
    os.replace(part, path)
