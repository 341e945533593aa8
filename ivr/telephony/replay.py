"""Filing spooled webhooks once the database is back."""

from __future__ import annotations

import logging

from flask import Flask

from ivr.calls.runtime import FlowRuntime
from ivr.calls.service import BadWebhook, Hotline
from ivr.crypto import DataCipher
from ivr.telephony.spool import Spool, SpooledRequest
from models import Database

log = logging.getLogger(__name__)


def _file(hotline: Hotline, req: SpooledRequest) -> None:
    if req.endpoint == "recording_status":
        hotline.recording_status(req.form, req.received_at)
    elif req.endpoint == "status":
        hotline.call_status(req.form, req.received_at)
    elif req.endpoint == "transcription":
        hotline.transcription(req.form, req.received_at)
    else:
        # The caller was answered by the degraded path: file the call and what it left.
        hotline.note_degraded(req.endpoint, req.form, req.received_at)


def replay_spool(app: Flask) -> int:
    """File every spooled webhook of ``app``; returns how many were filed."""
    database: Database = app.extensions["database"]
    runtime: FlowRuntime = app.extensions["callflow"]
    cipher: DataCipher = app.extensions["cipher"]

    def handle(req: SpooledRequest) -> None:
        with database.session() as session, session.begin():
            try:
                _file(Hotline(session, runtime, cipher), req)
            except BadWebhook as exc:
                log.warning("spooled %s request dropped: %s", req.endpoint, exc)

    return Spool(app.config["SPOOL_DIR"], cipher).replay(handle)
