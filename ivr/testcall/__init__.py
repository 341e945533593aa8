"""The console's test call page: "phone" the line from the browser, without Twilio.

A softphone (keypad, what the IVR says, a voicemail file) in front of the call
simulator, which plays Twilio against this same app over HTTP. Each key press is one
POST: the paused call travels between the page and the server as a token signed with
``SECRET_KEY`` (bound to the user, expiring after ``TEST_CALL_TIMEOUT``), so no process
keeps a call in memory and any gunicorn worker can serve the next step. See
:mod:`ivr.testcall.line` for the limits that keep a worker from being held.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ivr.audit import audit_access
from ivr.auth import current_user, roles_required
from ivr.console import add_nav_item
from ivr.i18n import _, _l
from ivr.simulator.script import is_keypad_answer
from ivr.simulator.stepped import CallState
from ivr.testcall.line import Line, LineBusy, StepOutcome, play_step

bp = Blueprint("testcall", __name__, url_prefix="/test-call")
MAX_VOICEMAIL_BYTES = 5 * 1024 * 1024
MAX_KEYS = 32
_SALT = "test-call"


def _error(status: int, error: str, message: str) -> ResponseReturnValue:
    return jsonify({"error": error, "message": message}), status


def _line() -> Line:
    cfg = current_app.config
    return Line(
        # Never the request's Host header: it would let a user point signed webhooks anywhere.
        app_url=(cfg["TEST_CALL_BASE_URL"] or cfg["PUBLIC_BASE_URL"]).rstrip("/"),
        public_base_url=cfg["PUBLIC_BASE_URL"],
        account_sid=cfg["TWILIO_ACCOUNT_SID"],
        auth_token=cfg["TWILIO_AUTH_TOKEN"],
        api_base=cfg["TWILIO_API_BASE"],
        hotline_number=cfg["HOTLINE_NUMBER"],
    )


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt=_SALT)


def _voicemail() -> bytes | None:
    upload = request.files.get("voicemail")
    if upload is None or not upload.filename:
        return None
    audio = upload.stream.read(MAX_VOICEMAIL_BYTES + 1)
    return audio if audio else None


@bp.get("/")
@roles_required("operator")
def page() -> str:
    """The softphone."""
    return render_template("testcall/page.html", hotline=current_app.config["HOTLINE_NUMBER"])


@bp.post("/start")
@roles_required("operator")
def start() -> ResponseReturnValue:
    """Place a test call; answers what the IVR said up to its first menu."""
    return _step(None, None)


@bp.post("/key")
@roles_required("operator")
def key() -> ResponseReturnValue:
    """Answer the menu the call waits on (``keys``; ``hangup`` hangs up)."""
    try:
        data = _signer().loads(
            request.form.get("state", ""), max_age=current_app.config["TEST_CALL_TIMEOUT"]
        )
        if data["user"] != current_user.id:
            raise BadSignature("another user's call")
        state = CallState.from_dict(data["call"])
    except SignatureExpired:
        return _error(410, "expired", _("This test call timed out. Start a new one."))
    except (BadSignature, KeyError, TypeError):
        return _error(400, "bad_state", _("This test call cannot be continued."))
    keys = request.form.get("keys", "")
    if len(keys) > MAX_KEYS or not is_keypad_answer(keys):
        return _error(400, "bad_keys", _("Use the keys 0-9, * and #."))
    return _step(state, keys)


def _step(state: CallState | None, keys: str | None) -> ResponseReturnValue:
    voicemail = _voicemail()
    if voicemail is not None and len(voicemail) > MAX_VOICEMAIL_BYTES:
        return _error(413, "too_large", _("The voicemail file is too large (5 MB at most)."))
    try:
        outcome = play_step(_line(), state, keys, voicemail)
    except LineBusy:
        return _error(503, "busy", _("The test line is busy. Try again in a moment."))
    except ValueError:
        return _error(400, "bad_voicemail", _("The voicemail must be a WAV file."))
    if state is None:
        audit_access("test_call.placed", "call", outcome.step.result.call_sid)
    return jsonify(_answer(outcome))


def _answer(outcome: StepOutcome) -> dict[str, Any]:
    step = outcome.step
    token = None
    if step.state is not None:
        token = _signer().dumps({"user": current_user.id, "call": step.state.to_dict()})
    waiting = None
    if step.prompt is not None:
        waiting = {"num_digits": step.prompt.num_digits, "finish_on_key": step.prompt.finish_on_key}
    return {
        "lines": [
            {"actor": e.actor, "kind": e.kind, "text": e.text, "language": e.language}
            for e in step.events
        ],
        "state": token,
        "waiting": waiting,
        "ended": step.state is None,
        "call_sid": step.result.call_sid,
        "voicemail_fetched": outcome.voicemail_fetched,
        "errors": [str(error) for error in step.result.errors],
    }


def init_app(app: Flask) -> None:
    """Register the page and its navigation entry."""
    app.register_blueprint(bp)
    add_nav_item(app, "testcall.page", _l("Test call"), role="operator", order=80)
