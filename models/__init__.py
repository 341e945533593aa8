"""SQLAlchemy 2.x models of the hotline, the engine/session factory and the migrations.

This package knows nothing of Flask: the web app, the jobs and the CLI all reach the
database through :class:`models.db.Database`.
"""

from models.base import Base
from models.call import Call, CallEvent
from models.db import Database
from models.outbox import OutboxMessage
from models.recording import Recording
from models.report import PRIORITIES, STATUSES, Report
from models.transcript import Transcript

__all__ = [
    "PRIORITIES",
    "STATUSES",
    "Base",
    "Call",
    "CallEvent",
    "Database",
    "OutboxMessage",
    "Recording",
    "Report",
    "Transcript",
]
