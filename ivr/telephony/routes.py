"""Twilio webhooks. Thin: check the signature, parse, call the hotline service, answer.

Every endpoint refuses an unsigned or forged request with 403. When the database is
unreachable the voice endpoints still answer with the degraded "leave a message" path
and every webhook is kept in the spool, to be filed when the database is back.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import InternalServerError

from ivr.calls.runtime import FlowRuntime
from ivr.calls.service import ActionKind, BadWebhook, Hotline
from ivr.extensions import cipher, db
from ivr.telephony import fallback
from ivr.telephony.signature import twilio_signed
from ivr.telephony.spool import Spool, SpooledRequest

bp = Blueprint("twilio", __name__, url_prefix="/twilio")
log = logging.getLogger(__name__)

# Endpoints whose answer is TwiML the caller hears (the rest are callbacks).
VOICE_ENDPOINTS = frozenset({"voice", "gather", "record", "dial", "fallback", "fallback_recorded"})
METHODS = ["GET", "POST"]


def runtime() -> FlowRuntime:
    """The app's loaded call flow."""
    flow: FlowRuntime = current_app.extensions["callflow"]
    return flow


def hotline() -> Hotline:
    """The hotline service bound to this request's session."""
    return Hotline(db.session, runtime(), cipher.current)


def params() -> Mapping[str, str]:
    """Twilio's parameters: the form for POST, the query string for GET."""
    return request.form if request.method == "POST" else request.args


def now() -> datetime:
    """The time a request is filed at."""
    return datetime.now(UTC)


def twiml(text: str) -> Response:
    """A TwiML answer."""
    return Response(text, mimetype="text/xml")


def no_content() -> Response:
    """The answer to a callback."""
    return Response(status=204)


@bp.route("/voice", methods=METHODS)
@twilio_signed
def voice() -> Response:
    """A call arrives: start (or re-present) the flow."""
    return twiml(hotline().answer_call(params(), now()))


def _action(kind: ActionKind) -> Response:
    answer = hotline().answer_action(
        kind, request.args.get("node"), request.args.get("seq"), params(), now()
    )
    return twiml(answer)


@bp.route("/gather", methods=METHODS)
@twilio_signed
def gather() -> Response:
    """The caller's keys (or silence) at a menu."""
    return _action("gather")


@bp.route("/record", methods=METHODS)
@twilio_signed
def record() -> Response:
    """The caller's message ended (or was empty, or the caller hung up)."""
    return _action("record")


@bp.route("/dial", methods=METHODS)
@twilio_signed
def dial() -> Response:
    """The transfer to an operator ended."""
    return _action("dial")


@bp.post("/recording-status")
@twilio_signed
def recording_status() -> Response:
    """A recording is complete, absent or failed."""
    hotline().recording_status(params(), now())
    return no_content()


@bp.post("/transcription")
@twilio_signed
def transcription() -> Response:
    """Twilio's transcription of a recording."""
    hotline().transcription(params(), now())
    return no_content()


@bp.post("/status")
@twilio_signed
def status() -> Response:
    """The call's progress and its end."""
    hotline().call_status(params(), now())
    return no_content()


@bp.route("/fallback", methods=METHODS)
@twilio_signed
def fallback_voice() -> Response:
    """Twilio's Fallback URL: answer without touching the database, keep the request."""
    _spool_request()
    flow = runtime()
    return twiml(fallback.leave_message_twiml(flow.base_url, flow.voices))


@bp.route("/fallback/recorded", methods=METHODS)
@twilio_signed
def fallback_recorded() -> Response:
    """The message left on the degraded path."""
    _spool_request()
    return twiml(fallback.thanks_twiml(runtime().voices))


@bp.errorhandler(BadWebhook)
def bad_webhook(exc: BadWebhook) -> tuple[str, int]:
    """A signed request without what the endpoint needs."""
    return str(exc), 400


def _spool_request() -> None:
    spool = Spool(current_app.config["SPOOL_DIR"], cipher.current)
    spool.put(
        SpooledRequest(
            endpoint=request.endpoint.rsplit(".", 1)[-1] if request.endpoint else "unknown",
            args=request.args.to_dict(),
            form=dict(params()),
            received_at=now(),
        )
    )


@bp.errorhandler(SQLAlchemyError)
@bp.errorhandler(InternalServerError)
def degraded(exc: Exception) -> Response:
    """The database (or anything else) failed: keep the request, keep the caller talking."""
    original = getattr(exc, "original_exception", None) or exc
    log.error(
        "webhook %s failed (%s): answered by the degraded path, request spooled",
        request.path,
        type(original).__name__,
    )
    try:
        db.session.rollback()
    except SQLAlchemyError:
        log.warning("rollback failed too; the connection is gone")
    _spool_request()
    endpoint = request.endpoint.rsplit(".", 1)[-1] if request.endpoint else ""
    if endpoint in VOICE_ENDPOINTS:
        flow = runtime()
        return twiml(fallback.leave_message_twiml(flow.base_url, flow.voices))
    return no_content()
