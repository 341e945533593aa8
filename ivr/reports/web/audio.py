"""The voicemail player's source: audio decrypted on the fly, checked, served by ranges.

Each request decrypts the stored audio in memory (never to disk) and checks it against
the SHA-256 taken on receipt: a mismatch, or a ciphertext that fails authentication, is
refused with 409 and audited as ``recording.integrity_failed``. Then it answers the
``Range`` asked for (206 with ``Content-Range``; 416 when it cannot be satisfied; 200 with
the whole file without one), with ``Cache-Control: no-store``.

A browser plays one voicemail with several range requests (and more when the analyst
seeks), so one ``recording.play`` audit entry covers the requests of the same user, in
the same console session, for the same recording, during ``PLAY_AUDIT_WINDOW`` seconds.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Response, abort, current_app, request
from sqlalchemy import select

from ivr.audit import audit_access, audit_failure
from ivr.auth import current_login, get_current_user, roles_required
from ivr.crypto import InvalidToken
from ivr.extensions import db
from ivr.media.storage import IntegrityError
from ivr.reports.web import bp
from ivr.reports.web.context import recording_of, report_or_404, vault
from models import AuditEntry, Recording
from models.base import utcnow

PLAY_ACTION = "recording.play"


def _already_audited(recording: Recording) -> bool:
    """A play of this recording by this session was audited within the window."""
    since = utcnow() - timedelta(seconds=current_app.config["PLAY_AUDIT_WINDOW"])
    query = (
        select(AuditEntry.detail)
        .where(
            AuditEntry.target_type == "recording",
            AuditEntry.target_id == str(recording.id),
            AuditEntry.action == PLAY_ACTION,
            AuditEntry.actor == get_current_user().username,
            AuditEntry.at >= since,
        )
        .order_by(AuditEntry.id.desc())
    )
    login_id = current_login().id
    return any(detail.get("login") == login_id for detail in db.session.scalars(query))


@bp.get("/reports/<report_number>/recordings/<recording_sid>/audio")
@roles_required("operator")
def audio(report_number: str, recording_sid: str) -> Response:
    """The recording's audio (WAV), decrypted and verified, with HTTP Range support."""
    report = report_or_404(report_number)
    recording = recording_of(report, recording_sid)
    if recording.storage_key is None or recording.sha256 is None:
        abort(404)
    try:
        data = vault().get(recording.storage_key, recording.sha256)
    except (IntegrityError, InvalidToken):  # other audio, or an altered ciphertext
        audit_failure(
            "recording.integrity_failed",
            "recording",
            recording.id,
            outcome="failed",
            report_number=report.report_number,
        )
        return Response("integrity check failed", status=409, mimetype="text/plain")
    except FileNotFoundError:
        abort(404)
    mimetype = "audio/wav" if data.startswith(b"RIFF") else "application/octet-stream"
    response = Response(data, mimetype=mimetype)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = "inline"
    # Werkzeug answers the Range header: 206 + Content-Range, or raises 416.
    response.make_conditional(request, accept_ranges=True, complete_length=len(data))
    if not _already_audited(recording):
        audit_access(
            PLAY_ACTION,
            "recording",
            recording.id,
            report_number=report.report_number,
            login=current_login().id,
        )
    return response
