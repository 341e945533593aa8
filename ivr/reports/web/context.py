"""What the analyst's views share: the report of the URL, the acting user, the vault."""

from __future__ import annotations

from typing import NoReturn

from flask import abort, current_app, g

from ivr.audit import client_ip
from ivr.auth import get_current_user, get_viewer
from ivr.extensions import cipher, db
from ivr.media.storage import AudioVault, DirectoryStore
from ivr.reports.queries import find_report
from ivr.reports.triage import Actor
from models import Recording, Report


def report_or_404(report_number: str) -> Report:
    """The report of the URL, with its call, steps and recordings; 404 if there is none."""
    if not report_number.isdigit() or len(report_number) > 16:
        abort(404)
    report = find_report(db.session, report_number)
    if report is None:
        abort(404)
    return report


def recording_of(report: Report, recording_sid: str) -> Recording:
    """One of the report's recordings; 404 if the call has no such recording."""
    for recording in report.call.recordings:
        if recording.recording_sid == recording_sid:
            return recording
    abort(404)


def actor() -> Actor:
    """The signed-in user, as the triage services take it."""
    user = get_current_user()
    return Actor(username=user.username, role=user.role, ip=client_ip())


def may_reveal() -> bool:
    """Whether the signed-in user's role may reveal a caller's number
    (``REVEAL_CALLER_ROLE`` or above)."""
    viewer = get_viewer()
    role = current_app.config["REVEAL_CALLER_ROLE"]
    return viewer is not None and viewer.is_authenticated and viewer.has_role(role)


def refuse(reason: str) -> NoReturn:
    """Answer 403; the console's 403 handler audits it as ``access.denied``."""
    g.denied_reason = reason
    abort(403)


def vault() -> AudioVault:
    """The encrypted recordings, as the app is configured."""
    return AudioVault(DirectoryStore(current_app.config["RECORDINGS_DIR"]), cipher.current)
