"""Exports as an operator runs them: ``flask --app wsgi reports export ...``."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from click.testing import Result
from flask import Flask
from sqlalchemy import select

from ivr.audit import verify_chain
from ivr.reports.cli import reports_cli
from ivr.reports.document import report_document
from ivr.reports.export import CSV_COLUMNS, export_reports
from models import AuditEntry, Report
from tests.reports.factory import CALLBACK_NUMBER, ReportFactory

AWKWARD = 'He said "meet me, alone",\nthen: =HYPERLINK("x"); see a,b\r\nend'


def run_export(app: Flask, *args: str) -> Result:
    # The group is invoked directly: it works whether or not ivr/cli.py registered it.
    return app.test_cli_runner().invoke(reports_cli, ["export", *args])


def since(factory: ReportFactory, minutes: int = 0) -> str:
    """``--since`` the day of the factory's epoch (plus ``minutes``)."""
    return (factory.epoch + timedelta(minutes=minutes)).strftime("%Y-%m-%d")


def jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def test_jsonl_has_one_document_per_report(app: Flask, make_report: ReportFactory) -> None:
    made = [make_report(minutes=i) for i in range(3)]
    result = run_export(app, "--format", "jsonl", "--since", since(make_report))
    assert result.exit_code == 0, result.output
    documents = jsonl(result.stdout)
    assert [d["report_number"] for d in documents] == made
    assert "3 report(s) exported" in result.stderr
    with make_report.database.session() as session:
        report = session.scalars(select(Report).where(Report.report_number == made[0])).one()
        direct = report_document(session, report, make_report.cipher, include_identifiers=False)
    assert documents[0] == direct


def test_identifiers_only_with_the_flag(app: Flask, make_report: ReportFactory) -> None:
    make_report()
    masked = run_export(app, "--since", since(make_report))
    assert masked.exit_code == 0, masked.output
    assert CALLBACK_NUMBER not in masked.stdout and CALLBACK_NUMBER[2:] not in masked.stdout
    assert jsonl(masked.stdout)[0]["caller"]["callback_number"] == "+1******0142"
    clear = run_export(app, "--since", since(make_report), "--include-identifiers")
    assert clear.exit_code == 0, clear.output
    assert jsonl(clear.stdout)[0]["caller"]["callback_number"] == CALLBACK_NUMBER


def test_since_leaves_out_older_reports(app: Flask, make_report: ReportFactory) -> None:
    make_report(minutes=0)
    later = make_report(minutes=2 * 24 * 60)
    result = run_export(app, "--since", since(make_report, minutes=24 * 60))
    assert result.exit_code == 0, result.output
    assert [d["report_number"] for d in jsonl(result.stdout)] == [later]


def test_csv_has_a_header_and_a_row_per_report(
    app: Flask, make_report: ReportFactory, tmp_path: Path
) -> None:
    made = [make_report(minutes=0, transcript=AWKWARD), make_report(minutes=1)]
    out = tmp_path / "reports.csv"
    result = run_export(app, "--format", "csv", "--since", since(make_report), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.stat().st_mode & 0o077 == 0  # readable by its owner only
    with out.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == CSV_COLUMNS
    records = [dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]]
    assert [r["report_number"] for r in records] == made
    first = records[0]
    assert first["transcript"] == AWKWARD
    assert first["callback_number"] == "+1******0142" and first["anonymous"] == "false"
    assert first["urls"] == "www.example.com/abc" and first["voicemail_seconds"] == "42"
    assert first["ivr_path"].startswith("language>language:1>main_menu>main_menu:2>")


def test_csv_defuses_a_transcript_that_reads_as_a_formula(
    app: Flask, make_report: ReportFactory
) -> None:
    make_report(transcript='=HYPERLINK("https://example.com")')
    out = io.StringIO(newline="")
    with make_report.database.session() as session:
        count = export_reports(
            session,
            make_report.cipher,
            out,
            fmt="csv",
            since=make_report.epoch,
            include_identifiers=False,
            progress=False,
        )
    assert count == 1
    row = dict(zip(CSV_COLUMNS, list(csv.reader(io.StringIO(out.getvalue())))[1], strict=True))
    assert row["transcript"] == '\'=HYPERLINK("https://example.com")'


def test_a_report_the_schema_refuses_fails_the_export(
    app: Flask, make_report: ReportFactory, tmp_path: Path
) -> None:
    make_report(minutes=0)
    bad = make_report(minutes=1)
    make_report.set_priority(bad, "critical")
    folder = tmp_path / "exports"
    folder.mkdir()
    out = folder / "reports.jsonl"
    result = run_export(app, "--since", since(make_report), "--output", str(out))
    assert result.exit_code != 0
    assert f"report {bad} does not match schema hotline.report/1 at $.priority" in result.stderr
    assert "enum" in result.stderr
    assert list(folder.iterdir()) == []  # no partial file left behind


def test_an_export_with_nothing_to_export(app: Flask, tmp_path: Path) -> None:
    out = tmp_path / "reports.csv"
    result = run_export(app, "--format", "csv", "--since", "2999-12-31", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").splitlines() == [",".join(CSV_COLUMNS)]


def export_audit(app: Flask) -> list[AuditEntry]:
    with app.extensions["database"].session() as session:
        return list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "reports.export")
                .order_by(AuditEntry.id)
            )
        )


def test_every_export_is_audited_with_its_options_and_count(
    app: Flask, make_report: ReportFactory, tmp_path: Path
) -> None:
    make_report(minutes=0)
    make_report(minutes=1)
    before = len(export_audit(app))
    assert run_export(app, "--since", since(make_report), "--include-identifiers").exit_code == 0
    out = tmp_path / "reports.csv"
    assert (
        run_export(app, "--format", "csv", "-o", str(out), "--since", "2999-12-31").exit_code == 0
    )
    entries = export_audit(app)[before:]
    assert [(e.actor, e.outcome) for e in entries] == [("cli", "ok"), ("cli", "ok")]
    assert entries[0].detail["include_identifiers"] is True
    assert entries[0].detail["count"] == 2
    assert entries[1].detail["format"] == "csv"
    assert entries[1].detail["count"] == 0
    with app.extensions["database"].session() as session:
        assert verify_chain(session).ok


def test_a_failed_export_is_audited_as_failed(
    app: Flask, make_report: ReportFactory, tmp_path: Path
) -> None:
    bad = make_report(minutes=0)
    make_report.set_priority(bad, "critical")
    before = len(export_audit(app))
    result = run_export(app, "--since", since(make_report), "-o", str(tmp_path / "r.jsonl"))
    assert result.exit_code != 0
    [entry] = export_audit(app)[before:]
    assert entry.outcome == "failed"
    assert "does not match schema" in entry.detail["error"]
