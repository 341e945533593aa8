"""Whole calls, in English and French, played by the call simulator against a real
gunicorn process over HTTP, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ivr.crypto import DataCipher
from ivr.simulator import CallResult, CallScript, Faults, TwilioSimulator
from models import Call, Database
from tests.conftest import ACCOUNT_SID, PUBLIC_BASE_URL, app_config
from tests.live import LiveServer, live_server

pytestmark = pytest.mark.live
VOICEMAIL = Path(__file__).resolve().parents[2] / "docs" / "samples" / "voicemail-en.wav"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """One server process per database backend for the whole module."""
    tmp = tmp_path_factory.mktemp(f"live-{request.param}")
    if request.param == "sqlite":
        from models import migrate

        url = f"sqlite:///{tmp / 'hotline.db'}"
        migrate.upgrade(url)
    else:
        url = request.getfixturevalue("postgres_url")
    with live_server(app_config(url, tmp), tmp) as live:
        yield live


@pytest.fixture
def sim(server: LiveServer) -> Iterator[TwilioSimulator]:
    cfg = server.config
    with TwilioSimulator(
        server.url, ACCOUNT_SID, cfg["TWILIO_AUTH_TOKEN"], public_base_url=PUBLIC_BASE_URL
    ) as simulator:
        yield simulator


def stored_call(server: LiveServer, call_sid: str) -> Call:
    database = Database(server.config["DATABASE_URL"])
    try:
        with database.session() as s:
            call = s.scalars(select(Call).where(Call.call_sid == call_sid)).one()
            call.events  # noqa: B018  (loaded before the session closes)
            call.recordings  # noqa: B018
            return call
    finally:
        database.dispose()


def assert_clean(result: CallResult) -> None:
    assert not result.errors, result.transcript()
    assert all(r.status in (200, 204) for r in result.requests), result.transcript()


def heard_text(result: CallResult, language: str | None = None) -> str:
    return " ".join(t for lang, t in result.heard if language is None or lang == language)


def test_full_call_in_english(server: LiveServer, sim: TwilioSimulator) -> None:
    result = sim.place_call(CallScript(answers=["1", "2", "2", "2"], voicemail=VOICEMAIL))
    assert_clean(result)
    call = stored_call(server, result.call_sid)
    assert (call.language, call.category, call.immediate_danger) == ("en", "luring", False)
    assert (call.status, call.ended_by, call.last_step) == ("completed", "ivr", "close")
    assert call.duration_s == result.duration_s and call.ended_at is not None
    assert ", ".join(call.reference_number) in heard_text(result, "en-CA")
    assert [(r.status, r.duration_s) for r in call.recordings] == [
        ("completed", result.recordings[0].duration_s)
    ]
    assert call.flow_state["vars"]["callback"] == "anonymous" and call.callback_enc is None
    steps = [e.node for e in call.events if e.kind == "ivr"]
    for node in ["language", "safety", "main_menu", "danger", "message", "callback", "close"]:
        assert node in steps


def test_full_call_in_french_with_a_callback_number(
    server: LiveServer, sim: TwilioSimulator
) -> None:
    script = CallScript(answers=["2", "1", "1", "1", "2045550123#", "1"], voicemail=VOICEMAIL)
    result = sim.place_call(script)
    assert_clean(result)
    after_choice = result.heard[2:]  # the bilingual greeting is said in both languages
    assert after_choice and all(lang == "fr-CA" for lang, _ in after_choice)
    call = stored_call(server, result.call_sid)
    assert (call.language, call.category, call.immediate_danger) == ("fr", "csam", True)
    assert "composez le 9-1-1" in heard_text(result, "fr-CA")
    assert "2, 0, 4, 5, 5, 5, 0, 1, 2, 3" in heard_text(result, "fr-CA")
    cipher = DataCipher(server.config["DATA_KEY"])
    assert call.callback_enc is not None
    assert cipher.decrypt_text(call.callback_enc) == "+12045550123"
    assert ", ".join(call.reference_number) in heard_text(result, "fr-CA")


HANGUPS: list[tuple[dict[str, Any], str]] = [
    ({"answers": []}, "language"),
    ({"answers": ["1"]}, "main_menu"),
    ({"answers": ["2", "8"]}, "info"),
    ({"answers": ["1", "3"]}, "danger"),
    ({"answers": ["1", "3", "2"], "voicemail": VOICEMAIL, "record_finish": "hangup"}, "message"),
    ({"answers": ["1", "3", "2"], "voicemail": VOICEMAIL}, "callback"),
    ({"answers": ["1", "3", "2", "1"], "voicemail": VOICEMAIL}, "callback_number"),
    ({"answers": ["1", "3", "2", "1", "6135550142#"], "voicemail": VOICEMAIL}, "callback_confirm"),
]


@pytest.mark.parametrize(("script", "last_step"), HANGUPS)
def test_hang_up_at_every_step_keeps_the_call(
    server: LiveServer, sim: TwilioSimulator, script: dict[str, Any], last_step: str
) -> None:
    result = sim.place_call(CallScript(**script))
    assert_clean(result)
    assert result.ended_by == "caller"
    call = stored_call(server, result.call_sid)
    assert (call.status, call.ended_by, call.last_step) == ("completed", "caller", last_step)
    assert call.ended_at is not None and call.duration_s is not None
    if script.get("voicemail"):
        assert [r.status for r in call.recordings] == ["completed"]


def test_invalid_digits_reprompt_then_default(server: LiveServer, sim: TwilioSimulator) -> None:
    result = sim.place_call(CallScript(answers=["1", "7", "", "*", "2"], voicemail=None))
    assert_clean(result)
    call = stored_call(server, result.call_sid)
    outcomes = [e.outcome for e in call.events if e.node == "main_menu"]
    assert outcomes.count("invalid") + outcomes.count("timeout") == 2
    assert "default" in outcomes and call.category == "unknown"
    menus = [t for lang, t in result.heard if "press 1" in t.lower()]
    assert len(menus) >= 3


def test_withheld_caller_id(server: LiveServer, sim: TwilioSimulator) -> None:
    result = sim.place_call(CallScript(from_number=None, answers=["1", "4", "2", "1", "1"]))
    assert_clean(result)
    call = stored_call(server, result.call_sid)
    assert call.from_withheld and call.from_enc is None and call.from_hash is None


def test_duplicated_and_replayed_callbacks_change_nothing(
    server: LiveServer, sim: TwilioSimulator
) -> None:
    script = CallScript(answers=["1", "2", "2", "2"], voicemail=VOICEMAIL)
    clean = sim.place_call(script)
    noisy = sim.place_call(script, faults=Faults(duplicate_callbacks=True, replay_actions=True))
    assert_clean(clean)
    assert_clean(noisy)
    assert len(noisy.requests_of("status")) == 2 * len(clean.requests_of("status"))
    a, b = stored_call(server, clean.call_sid), stored_call(server, noisy.call_sid)
    fields = ("status", "ended_by", "last_step", "language", "category", "immediate_danger")
    assert [getattr(a, f) for f in fields] == [getattr(b, f) for f in fields]
    assert len(b.recordings) == 1 and b.recordings[0].status == "completed"
    kinds_a = [e.kind for e in a.events if e.kind != "replay"]
    kinds_b = [e.kind for e in b.events if e.kind != "replay"]
    assert kinds_a == kinds_b
    assert [e.kind for e in b.events].count("status") == 1
