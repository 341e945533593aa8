"""Command-line interface: ``flask --app wsgi <command>``."""

from __future__ import annotations

import sys
from pathlib import Path

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


def _load_flow(name_or_path: str | None) -> callflows.Flow:
    """A shipped flow by name, or a flow file by path (to lint a change before shipping it)."""
    target = name_or_path or current_app.config["CALLFLOW"]
    try:
        if target.endswith(".toml"):
            return callflows.load_flow_text(Path(target).read_text(encoding="utf-8"))
        return callflows.load_flow(target)
    except (OSError, callflows.FlowError) as exc:
        raise click.ClickException(f"cannot load flow {target!r}: {exc}") from exc


@callflow_cli.command("check")
@click.argument("flow", required=False)
def callflow_check(flow: str | None) -> None:
    """Lint FLOW (a name or a .toml file; default: the configured flow).

    Every node reachable, every menu with an exit on timeout and invalid input, every
    prompt in both languages. Exits 1 when there is a problem.
    """
    loaded = _load_flow(flow)
    problems = callflows.lint(loaded, callflows.load_prompts())
    for problem in problems:
        click.echo(f"  {problem}", err=True)
    if problems:
        click.echo(f"flow {loaded.name!r}: {len(problems)} problem(s)", err=True)
        sys.exit(1)
    click.echo(f"flow {loaded.name!r}: {len(loaded.nodes)} nodes, no problems")


@callflow_cli.command("graph")
@click.argument("flow", required=False)
def callflow_graph(flow: str | None) -> None:
    """Print FLOW (a name or a .toml file) as a Mermaid flowchart."""
    click.echo(callflows.graph(_load_flow(flow)))


@spool_cli.command("replay")
def spool_replay() -> None:
    """File the webhooks spooled while the database was unreachable."""
    done = replay_spool(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo(f"{done} spooled request(s) filed")


def register(app: Flask) -> None:
    """Add every command group to the app."""
    from ivr.audit.cli import audit_cli
    from ivr.auth.cli import users_cli
    from ivr.demo.cli import seed_demo
    from ivr.jobs.worker import worker
    from ivr.metrics.cli import metrics_cli
    from ivr.reports.cli import reports_cli
    from ivr.retention.cli import retention_cli
    from ivr.simulator.cli import simulate_call

    for group in (
        db_cli,
        callflow_cli,
        spool_cli,
        reports_cli,
        users_cli,
        audit_cli,
        retention_cli,
        metrics_cli,
    ):
        app.cli.add_command(group)
    app.cli.add_command(simulate_call, "simulate-call")
    app.cli.add_command(worker)
    app.cli.add_command(seed_demo)
