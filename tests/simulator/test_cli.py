"""``flask simulate-call`` against a running app."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import requests
from flask import Flask
from flask.testing import FlaskCliRunner
from werkzeug.wrappers import Request, Response

from ivr.simulator import tone_wav
from ivr.simulator.cli import simulate_call

from .conftest import ACCOUNT_SID, AUTH_TOKEN, StubServer, twiml

MENU = (
    '<Gather numDigits="1" action="/twilio/menu"><Say language="fr-CA">Appuyez sur 1</Say></Gather>'
)


@pytest.fixture
def runner(stub: StubServer) -> FlaskCliRunner:
    """The CLI of an app whose public URL is the stub server."""
    app = Flask("simulate_call_test")
    app.config.update(
        PUBLIC_BASE_URL=stub.url,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_API_BASE="https://api.twilio.com",
    )
    app.cli.add_command(simulate_call)
    return app.test_cli_runner()


def test_plays_the_digits_and_prints_the_dialogue(stub: StubServer, runner: FlaskCliRunner) -> None:
    stub.app.route("/twilio/voice", twiml(MENU, "<Say>No input</Say>", MENU))
    stub.app.route("/twilio/menu", twiml("<Say>Merci</Say>"))

    outcome = runner.invoke(args=["simulate-call", "--digits", ",2"])

    assert outcome.exit_code == 0, outcome.output
    assert ">> IVR [fr-CA]: Appuyez sur 1" in outcome.output
    assert "<< caller presses 2" in outcome.output
    assert "ended by app" in outcome.output
    assert "Errors (0)" in outcome.output
    assert stub.app.at("/twilio/menu")[0].params["Digits"] == "2"


def test_json_result_on_stdout(stub: StubServer, runner: FlaskCliRunner) -> None:
    stub.app.route("/twilio/voice", twiml(MENU))

    outcome = runner.invoke(args=["simulate-call", "--withheld", "--digits", "hangup", "--json"])

    data = json.loads(outcome.stdout)
    assert data["ended_by"] == "caller"
    assert data["from_number"] == "anonymous"
    assert data["heard"] == [["fr-CA", "Appuyez sur 1"]]
    assert ">> IVR [fr-CA]: Appuyez sur 1" in outcome.stderr


def test_errors_give_exit_status_1(stub: StubServer, runner: FlaskCliRunner) -> None:
    stub.app.route("/twilio/voice", "boom", status=500, mimetype="text/plain")
    stub.app.route("/twilio/fallback", "boom", status=500, mimetype="text/plain")

    outcome = runner.invoke(args=["simulate-call"])

    assert outcome.exit_code == 1
    assert "11200" in outcome.output


def test_bad_digits_are_a_usage_error(runner: FlaskCliRunner) -> None:
    outcome = runner.invoke(args=["simulate-call", "--digits", "1,two"])

    assert outcome.exit_code == 2
    assert "keypad" in outcome.output


def test_interactive(stub: StubServer, runner: FlaskCliRunner) -> None:
    stub.app.route("/twilio/voice", twiml(MENU))
    stub.app.route("/twilio/menu", twiml("<Gather/>"))

    outcome = runner.invoke(args=["simulate-call", "--interactive"], input="1\nh\n")

    assert "<< caller presses 1" in outcome.output
    assert "ended by caller" in outcome.output


def _download_then_delete(request: Request) -> Response:
    """What the real app does on a recording callback: fetch the audio, then delete it."""
    url = request.form["RecordingUrl"]
    auth = (request.form["AccountSid"], AUTH_TOKEN)
    requests.get(url, auth=auth, timeout=5).raise_for_status()
    requests.delete(url + ".json", auth=auth, timeout=5).raise_for_status()
    return Response("", 204)


def test_lingers_until_the_recording_was_fetched(
    stub: StubServer, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    voicemail = tmp_path / "voicemail.wav"
    voicemail.write_bytes(tone_wav(2.0))
    stub.app.route(
        "/twilio/voice",
        twiml('<Record action="/twilio/recorded" recordingStatusCallback="/twilio/recording"/>'),
    )
    stub.app.route("/twilio/recording", _download_then_delete)

    # Lingering the full hour would trip the suite's per-test timeout: it must leave as
    # soon as the recording was fetched and deleted.
    outcome = runner.invoke(
        args=["simulate-call", "--voicemail", str(voicemail), "--linger", "3600"]
    )

    assert outcome.exit_code == 0, outcome.output
    assert "1 download(s), deleted" in outcome.output


def test_media_api_port_in_use_is_a_clear_error(runner: FlaskCliRunner) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        outcome = runner.invoke(args=["simulate-call", "--api-port", str(port)])

    assert outcome.exit_code == 1
    assert "cannot start the simulator" in outcome.output
