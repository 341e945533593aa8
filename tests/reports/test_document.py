"""The report document: its content, the identifiers, the loading, the schema."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ivr.reports.document import (
    iter_report_documents,
    mask_number,
    report_document,
)
from ivr.reports.export import SCHEMA_PATH, ExportError, validate_document
from models import CallEvent, Recording, Report, Transcript
from tests.reports.factory import CALLBACK_NUMBER, ENTITIES, PATH, TRANSCRIPT, ReportFactory


def document_of(factory: ReportFactory, number: str, *, identifiers: bool = False) -> Any:
    with factory.database.session() as session:
        report = session.scalars(select(Report).where(Report.report_number == number)).one()
        return report_document(session, report, factory.cipher, include_identifiers=identifiers)


def test_the_schema_file_is_a_valid_2020_12_schema() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["schema"]["const"] == "hotline.report/1"


def test_the_document_says_what_the_report_holds(make_report: ReportFactory) -> None:
    number = make_report()
    document = document_of(make_report, number)
    validate_document(document)
    assert document["schema"] == "hotline.report/1"
    assert document["report_number"] == number
    assert document["received_at"].endswith("Z")
    assert document["entities"] == ENTITIES
    assert document["jurisdiction"] == {"province": "ON", "agency": "Ontario Provincial Police"}
    [voicemail] = document["voicemails"]
    assert voicemail["stored"] is True and voicemail["duration_s"] == 42
    assert voicemail["transcript"] == {
        "text": TRANSCRIPT,
        "engine": "pocketsphinx",
        "status": "completed",
    }
    assert [(s["step"], s["input"]) for s in document["ivr_path"]] == [p[:2] for p in PATH]
    assert document["call"]["ended_by"] == "ivr" and document["call"]["duration_s"] == 95


def test_the_callback_number_is_masked_without_identifiers(make_report: ReportFactory) -> None:
    number = make_report()
    masked = document_of(make_report, number)["caller"]
    assert masked["callback_number"] == "+1******0142"
    assert masked["anonymous"] is False and masked["region"] == "ON"
    clear = document_of(make_report, number, identifiers=True)["caller"]
    assert clear["callback_number"] == CALLBACK_NUMBER


def test_an_anonymous_caller_has_no_number(make_report: ReportFactory) -> None:
    number = make_report(anonymous=True)
    for identifiers in (False, True):
        document = document_of(make_report, number, identifiers=identifiers)
        validate_document(document)
        assert document["caller"]["anonymous"] is True
        assert document["caller"]["callback_number"] is None


def test_a_failed_transcript_and_no_voicemail_are_documented(make_report: ReportFactory) -> None:
    failed = document_of(make_report, make_report(transcript=None))
    validate_document(failed)
    assert failed["voicemails"][0]["transcript"] == {
        "text": None,
        "engine": "pocketsphinx",
        "status": "failed",
    }
    silent = document_of(make_report, make_report(voicemail=False))
    validate_document(silent)
    assert silent["voicemails"] == []


@pytest.mark.parametrize(
    ("e164", "masked"),
    [
        ("+16135550142", "+1******0142"),
        ("+33612345678", "+33*****5678"),
        ("+442012", "+44****"),  # too short to show four digits: nothing shown
    ],
)
def test_mask_number_keeps_the_country_code_and_four_digits(e164: str, masked: str) -> None:
    assert mask_number(e164) == masked


@contextmanager
def counted_queries(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_documents_load_in_batches_without_a_query_per_report(
    make_report: ReportFactory,
) -> None:
    def export_all(batch_size: int) -> tuple[list[str], int]:
        with make_report.database.session() as session, counted_queries(session) as queries:
            numbers = [
                d["report_number"]
                for d in iter_report_documents(
                    session,
                    make_report.cipher,
                    since=make_report.epoch,
                    include_identifiers=False,
                    batch_size=batch_size,
                )
            ]
            return numbers, len(queries)

    made = [make_report(minutes=i) for i in range(2)]
    _, queries_for_two = export_all(batch_size=10)
    made += [make_report(minutes=i) for i in range(2, 6)]
    numbers, queries_for_six = export_all(batch_size=10)
    assert numbers == made
    assert queries_for_six == queries_for_two
    assert export_all(batch_size=4)[0] == made  # two pages and an empty one


def test_validation_names_the_report_and_the_field_not_the_value(
    make_report: ReportFactory,
) -> None:
    document = document_of(make_report, make_report(), identifiers=True)
    document["caller"]["callback_number"] = "+1819555867x"
    with pytest.raises(ExportError) as caught:
        validate_document(document)
    message = str(caught.value)
    assert document["report_number"] in message
    assert "$.caller.callback_number" in message
    # The report number is random: it holds "555867" about once in 140,000 reports.
    assert "555867" not in message.replace(document["report_number"], "")


def test_validation_refuses_an_impossible_date(make_report: ReportFactory) -> None:
    document = document_of(make_report, make_report())
    document["received_at"] = "2030-02-30T10:00:00Z"
    with pytest.raises(ExportError, match=r"\$\.received_at"):
        validate_document(document)


def test_the_factory_leaves_nothing_behind(make_report: ReportFactory) -> None:
    make_report()
    call_ids = list(make_report.call_ids)
    transcripts = (
        select(Transcript.id).join(Recording, Recording.id == Transcript.recording_id)
    ).where(Recording.call_id.in_(call_ids))
    with make_report.database.session() as session:
        assert len(session.scalars(transcripts).all()) == 1
    make_report.cleanup()
    with make_report.database.session() as session:
        assert session.scalars(transcripts).all() == []
        for model in (Report, CallEvent, Recording):
            assert session.scalars(select(model).where(model.call_id.in_(call_ids))).all() == []
