"""Command-line interface: ``flask --app wsgi <command>``."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

import callflows
from ivr.telephony.replay import replay_spool
from models import migrate

db_cli = AppGroup("db", help="Database schema.")
callflow_cli = AppGroup("callflow", help="Call flows: lint and draw.")
spool_cli = AppGroup("spool", help="Webhooks kept while the database was down.")


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply the migrations to DATABASE_URL."""
    url = current_app.config["DATABASE_URL"]
    migrate.upgrade(url, revision)
    click.echo(f"database at revision {revision}")


@callflow_cli.command("check")
@click.argument("name", required=False)
def callflow_check(name: str | None) -> None:
    """Lint a flow (default: the configured one): reachability, exits, prompts."""
    flow = callflows.load_flow(name or current_app.config["CALLFLOW"])
    problems = callflows.lint(flow, callflows.load_prompts())
    for problem in problems:
        click.echo(f"  {problem}", err=True)
    if problems:
        click.echo(f"flow {flow.name!r}: {len(problems)} problem(s)", err=True)
        sys.exit(1)
    click.echo(f"flow {flow.name!r}: {len(flow.nodes)} nodes, no problems")


@callflow_cli.command("graph")
@click.argument("name", required=False)
def callflow_graph(name: str | None) -> None:
    """Print a flow as a Mermaid diagram."""
    click.echo(callflows.graph(callflows.load_flow(name or current_app.config["CALLFLOW"])))


@spool_cli.command("replay")
def spool_replay() -> None:
    """File the webhooks spooled while the database was unreachable."""
    done = replay_spool(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo(f"{done} spooled request(s) filed")


def register(app: Flask) -> None:
    """Add every command group to the app."""
    from ivr.simulator.cli import simulate_call

    for group in (db_cli, callflow_cli, spool_cli):
        app.cli.add_command(group)
    app.cli.add_command(simulate_call, "simulate-call")
