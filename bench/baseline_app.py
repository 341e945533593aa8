"""The webhook benchmark's baseline: a bare, stateless Flask IVR serving a fixed sequence.

It answers the same URLs as the hotline with the TwiML documents the hotline gave for
one recorded call (``BASELINE_TWIML``: a JSON file mapping ``path?query`` to TwiML, the
URLs inside already pointing at this server), and 204 to the callbacks. No database,
no Redis, no signature check, no state: what any Flask app on the same gunicorn
settings costs per request. ``bench.webhook_load`` records the sequence and starts
``gunicorn bench.baseline_app:app`` with it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from flask import Flask, Response, request

CALLBACKS = frozenset({"status", "recording-status", "transcription"})


def create_app(documents: Mapping[str, str]) -> Flask:
    """A Flask app answering ``/twilio/<endpoint>`` from ``documents``."""
    app = Flask(__name__)

    @app.route("/twilio/<path:endpoint>", methods=["GET", "POST"])
    def webhook(endpoint: str) -> Response:
        # Read what a stateless IVR reads: the call and the node it answers.
        call_sid = request.values.get("CallSid", "")
        if not call_sid:
            return Response("CallSid is missing", status=400)
        if endpoint in CALLBACKS:
            return Response(status=204)
        query = request.query_string.decode("latin-1")
        document = documents.get(f"{request.path}?{query}" if query else request.path)
        if document is None:
            return Response("unknown step", status=404)
        return Response(document, mimetype="text/xml")

    @app.get("/readyz")
    def readyz() -> Response:
        return Response("ok", mimetype="text/plain")

    return app


def _from_environment() -> Flask:
    path = os.environ.get("BASELINE_TWIML")
    documents = json.loads(Path(path).read_text()) if path else {}
    return create_app(documents)


app = _from_environment()
