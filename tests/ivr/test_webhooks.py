"""Webhook semantics: replays, duplicates, out-of-order callbacks, bad input.

These drive the app through Flask's test client with requests signed as Twilio signs
them, on SQLite and on PostgreSQL; the live tests play whole calls over HTTP.
"""

from __future__ import annotations

import threading
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import Engine, func, select, text

from ivr.calls.numbers import parse_caller
from ivr.calls.store import find_call, get_or_create_call, save_call
from ivr.crypto import DataCipher
from models import Call, CallEvent, Recording
from tests.conftest import (
    ACCOUNT_SID,
    PUBLIC_BASE_URL,
    TwilioClient,
    app_config,
    call_params,
    running_app,
)


def next_path(twiml: str) -> str:
    """The path (with query) of the first Gather/Record action in a TwiML answer."""
    root = ET.fromstring(twiml)
    for verb in root.iter():
        if verb.tag in {"Gather", "Record", "Dial"}:
            url = verb.attrib["action"]
            assert url.startswith(PUBLIC_BASE_URL)
            parts = urlsplit(url)
            return f"{parts.path}?{parts.query}"
    raise AssertionError(f"no action in {twiml}")


def says(twiml: str) -> list[tuple[str, str]]:
    """(language, text) of every Say in a TwiML answer."""
    return [(e.attrib.get("language", ""), e.text or "") for e in ET.fromstring(twiml).iter("Say")]


def load_call(app: Flask, call_sid: str) -> Call:
    with app.extensions["database"].session() as s:
        call = s.scalars(select(Call).where(Call.call_sid == call_sid)).one()
        call.events  # noqa: B018  (load before the session closes)
        call.recordings  # noqa: B018
        return call


def answer(twilio: TwilioClient, path: str, params: dict[str, str], **extra: str) -> str:
    resp = twilio.post(path, {**params, **extra})
    assert resp.status_code == 200, resp.text
    assert resp.mimetype == "text/xml"
    return resp.text


def test_voice_starts_the_bilingual_flow(app: Flask, twilio: TwilioClient) -> None:
    params = call_params()
    twiml = answer(twilio, "/twilio/voice", params)
    assert twiml.startswith("<?xml")
    languages = [lang for lang, _ in says(twiml)]
    assert "en-CA" in languages and "fr-CA" in languages
    assert next_path(twiml) == "/twilio/gather?node=language&seq=1"
    call = load_call(app, params["CallSid"])
    assert call.reference_number.isdigit() and len(call.reference_number) == 8
    assert call.last_step == "language"
    assert call.from_enc is not None and b"6135550142" not in call.from_enc
    assert call.from_hash is not None and call.caller_region == "ON"


def test_french_after_pressing_2(app: Flask, twilio: TwilioClient) -> None:
    params = call_params()
    path = next_path(answer(twilio, "/twilio/voice", params))
    twiml = answer(twilio, path, params, Digits="2")
    assert {lang for lang, _ in says(twiml)} == {"fr-CA"}
    assert load_call(app, params["CallSid"]).language == "fr"


def test_repeated_voice_request_keeps_one_call(app: Flask, twilio: TwilioClient) -> None:
    params = call_params()
    first = answer(twilio, "/twilio/voice", params)
    second = answer(twilio, "/twilio/voice", params)
    assert next_path(first) == next_path(second)
    with app.extensions["database"].session() as s:
        assert s.scalar(select(func.count()).select_from(Call)) >= 1
        assert s.scalar(select(func.count()).where(Call.call_sid == params["CallSid"])) == 1


def test_first_webhooks_of_a_call_at_once_make_one_call(app: Flask) -> None:
    """The second first webhook waits for the first one's row, then takes it."""
    database = app.extensions["database"]
    arguments: dict[str, Any] = {
        "call_sid": call_params()["CallSid"],
        "account_sid": ACCOUNT_SID,
        "caller": lambda: parse_caller("+16135550142"),
        "to_number": None,
        "flow_name": "hotline",
        "now": datetime.now(UTC),
    }
    second: list[tuple[int, bool]] = []

    def second_request() -> None:
        with database.session() as session:
            call, created = get_or_create_call(session, cipher_of(app), **arguments)
            second.append((call.id, created))
            session.commit()

    with database.session() as first:
        call, created = get_or_create_call(first, cipher_of(app), **arguments)
        thread = threading.Thread(target=second_request)
        thread.start()
        if database.engine.dialect.name == "postgresql":
            wait_for_a_lock_wait(database.engine, thread)
        first.commit()
        thread.join()
    assert created
    assert second == [(call.id, False)]
    with database.session() as s:
        assert s.scalar(select(func.count()).where(Call.call_sid == arguments["call_sid"])) == 1


def test_a_webhook_writes_only_the_columns_it_changed(app: Flask) -> None:
    """A menu answer read the call before a status callback ended it: saving the answer
    keeps the callback's final status."""
    database = app.extensions["database"]
    sid = call_params()["CallSid"]
    with database.session() as session:
        get_or_create_call(
            session,
            cipher_of(app),
            call_sid=sid,
            account_sid=ACCOUNT_SID,
            caller=lambda: parse_caller("+16135550142"),
            to_number=None,
            flow_name="hotline",
            now=datetime.now(UTC),
        )
        session.commit()
    with database.session() as session:
        menu = find_call(session, sid)  # the menu answer reads the call
    assert menu is not None
    with database.session() as session:
        callback = find_call(session, sid)
        assert callback is not None
        callback.status, callback.ended_at = "completed", datetime.now(UTC)
        save_call(session, callback)
        session.commit()
    menu.last_step, menu.status = "category", "in-progress"
    menu.status = "ringing"  # changed back: not a change
    with database.session() as session:
        save_call(session, menu)
        session.commit()
    with database.session() as session:
        call = session.scalars(select(Call).where(Call.call_sid == sid)).one()
        assert (call.status, call.last_step) == ("completed", "category")
        assert call.ended_at is not None
        assert call.updated_at > call.created_at


def cipher_of(app: Flask) -> DataCipher:
    cipher: DataCipher = app.extensions["cipher"]
    return cipher


def wait_for_a_lock_wait(engine: Engine, thread: threading.Thread) -> None:
    """Until ``thread`` waits on a row lock (PostgreSQL), or ended."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    with engine.connect() as observer:
        while thread.is_alive() and not observer.execute(query).scalar():
            observer.rollback()
            time.sleep(0.01)


def test_replayed_gather_changes_nothing(app: Flask, twilio: TwilioClient) -> None:
    params = call_params()
    path = next_path(answer(twilio, "/twilio/voice", params))
    after_first = answer(twilio, path, params, Digits="1")
    state = load_call(app, params["CallSid"]).flow_state
    replay = answer(twilio, path, params, Digits="2")  # a stale request: seq 1 again
    call = load_call(app, params["CallSid"])
    assert call.flow_state == state and call.language == "en"
    assert next_path(replay) == next_path(after_first)
    assert [e.kind for e in call.events].count("replay") == 1


def test_invalid_digits_reprompt_then_default(app: Flask, twilio: TwilioClient) -> None:
    params = call_params()
    path = next_path(answer(twilio, "/twilio/voice", params))
    path = next_path(answer(twilio, path, params, Digits="1"))  # English -> main menu
    assert "node=main_menu" in path
    for _ in range(2):
        twiml = answer(twilio, path, params, Digits="7")
        path = next_path(twiml)
        assert "node=main_menu" in path
    path = next_path(answer(twilio, path, params, Digits="7"))
    assert "node=danger" in path
    call = load_call(app, params["CallSid"])
    outcomes = [e.outcome for e in call.events if e.node == "main_menu"]
    assert outcomes.count("invalid") == 2 and "default" in outcomes
    assert call.category == "unknown"


def test_odd_query_strings_re_present_the_current_step(twilio: TwilioClient) -> None:
    params = call_params()
    answer(twilio, "/twilio/voice", params)
    for path in ["/twilio/gather", "/twilio/gather?node=language&seq=x", "/twilio/record?seq=1"]:
        assert next_path(answer(twilio, path, params, Digits="1")).endswith("node=language&seq=1")


def test_missing_call_sid_is_a_bad_request(twilio: TwilioClient) -> None:
    params = call_params()
    del params["CallSid"]
    assert twilio.post("/twilio/voice", params).status_code == 400
    assert twilio.post("/twilio/status", params).status_code == 400


def test_status_callback_twice_and_out_of_order(app: Flask, twilio: TwilioClient) -> None:
    params = call_params()
    answer(twilio, "/twilio/voice", params)
    done = {**params, "CallStatus": "completed", "CallDuration": "42", "SequenceNumber": "2"}
    assert twilio.post("/twilio/status", done).status_code == 204
    first = load_call(app, params["CallSid"])
    assert twilio.post("/twilio/status", done).status_code == 204
    late = {**params, "CallStatus": "in-progress", "SequenceNumber": "1"}
    assert twilio.post("/twilio/status", late).status_code == 204
    again = load_call(app, params["CallSid"])
    assert (again.status, again.ended_at, again.duration_s) == ("completed", first.ended_at, 42)
    assert again.ended_by == "caller" and again.last_step == "language"
    assert len(again.events) == len(first.events)


def test_recording_callbacks_in_any_order_make_one_recording(
    app: Flask, twilio: TwilioClient
) -> None:
    params = call_params()
    answer(twilio, "/twilio/voice", params)
    rec = {
        **params,
        "RecordingSid": "RE" + "a" * 32,
        "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
        "RecordingStatus": "completed",
        "RecordingDuration": "13",
    }
    for _ in range(2):
        assert twilio.post("/twilio/recording-status", rec).status_code == 204
    late = {**rec, "RecordingStatus": "in-progress", "RecordingDuration": ""}
    assert twilio.post("/twilio/recording-status", late).status_code == 204
    call = load_call(app, params["CallSid"])
    assert len(call.recordings) == 1
    assert (call.recordings[0].status, call.recordings[0].duration_s) == ("completed", 13)
    assert [e.kind for e in call.events].count("recording") == 1


def test_callback_number_is_encrypted_and_masked(app: Flask, twilio: TwilioClient) -> None:
    params = call_params()
    path = next_path(answer(twilio, "/twilio/voice", params))
    for digits in ["1", "2", "2"]:  # English, luring, no danger
        path = next_path(answer(twilio, path, params, Digits=digits))
    rec = {"RecordingUrl": "https://api.twilio.com/x/RE1", "RecordingSid": "RE" + "b" * 32}
    path = next_path(answer(twilio, path, params, Digits="#", RecordingDuration="9", **rec))
    path = next_path(answer(twilio, path, params, Digits="1"))  # leave a number
    twiml = answer(twilio, path, params, Digits="2045550123", FinishedOnKey="#")
    assert "2, 0, 4, 5, 5, 5, 0, 1, 2, 3" in " ".join(text for _, text in says(twiml))
    answer(twilio, next_path(twiml), params, Digits="1")
    call = load_call(app, params["CallSid"])
    assert call.callback_enc is not None and b"2045550123" not in call.callback_enc
    assert app.extensions["cipher"].decrypt_text(call.callback_enc) == "+12045550123"
    assert "2045550123" not in str(call.flow_state)
    assert all("2045550123" not in (e.input or "") for e in call.events)
    assert call.flow_state["vars"]["callback"] == "number"
    assert (call.category, call.immediate_danger) == ("luring", False)
    with app.extensions["database"].session() as s:
        assert (
            s.scalar(
                select(func.count()).select_from(Recording).where(Recording.call_id == call.id)
            )
            == 1
        )
        assert (
            s.scalar(
                select(func.count())
                .select_from(CallEvent)
                .where(CallEvent.call_id == call.id, CallEvent.node == "callback_number")
            )
            >= 1
        )


def _operator_config(database_url: str, tmp_path: Path, hours: str) -> dict[str, Any]:
    return app_config(
        database_url,
        tmp_path,
        BUSINESS_HOURS=hours,
        BUSINESS_TZ="America/Winnipeg",
        OPERATOR_NUMBERS=("+12045550100", "+12045550101"),
    )


def _press_zero(app: Flask, params: dict[str, str]) -> tuple[TwilioClient, str]:
    twilio = TwilioClient(app.test_client(), app.config["TWILIO_AUTH_TOKEN"])
    path = next_path(answer(twilio, "/twilio/voice", params))
    path = next_path(answer(twilio, path, params, Digits="1"))
    return twilio, answer(twilio, path, params, Digits="0")


def test_zero_transfers_during_business_hours(database_url: str, tmp_path: Path) -> None:
    params = call_params()
    with running_app(_operator_config(database_url, tmp_path, "mon-sun 00:00-24:00")) as app:
        twilio, twiml = _press_zero(app, params)
        numbers = [n.text for n in ET.fromstring(twiml).iter("Number")]
        assert numbers == ["+12045550100", "+12045550101"]
        path = next_path(twiml)
        assert path.startswith("/twilio/dial?node=transfer")
        # Nobody answers: the caller is told so and goes on to the report.
        twiml = answer(twilio, path, params, DialCallStatus="no-answer")
        assert "node=danger" in next_path(twiml)
        assert load_call(app, params["CallSid"]).transfer == "unanswered"


def test_zero_out_of_hours_goes_to_the_message(database_url: str, tmp_path: Path) -> None:
    params = call_params()
    with running_app(_operator_config(database_url, tmp_path, "")) as app:  # never open
        _twilio, twiml = _press_zero(app, params)
        assert not list(ET.fromstring(twiml).iter("Dial"))
        assert "node=danger" in next_path(twiml)
        assert load_call(app, params["CallSid"]).transfer == "closed"
