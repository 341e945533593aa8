"""SQLAlchemy 2.x models of the hotline, the engine/session factory and the migrations.

This package knows nothing of Flask: the web app, the jobs and the CLI all reach the
database through :class:`models.db.Database`.
"""

from models.audit import AuditEntry
from models.base import Base
from models.call import Call, CallEvent
from models.db import Database
from models.metrics import (
    MetricDayCount,
    MetricDayValues,
    MetricMonthCount,
    MetricMonthValues,
    MetricRollup,
)
from models.outbox import OutboxMessage
from models.recording import Recording
from models.report import PRIORITIES, STATUSES, Report
from models.transcript import Transcript
from models.triage import Referral, ReportChange, ReportNote
from models.user import ROLES, ApiToken, LoginSession, User

__all__ = [
    "PRIORITIES",
    "ROLES",
    "STATUSES",
    "ApiToken",
    "AuditEntry",
    "Base",
    "Call",
    "CallEvent",
    "Database",
    "LoginSession",
    "MetricDayCount",
    "MetricDayValues",
    "MetricMonthCount",
    "MetricMonthValues",
    "MetricRollup",
    "OutboxMessage",
    "Recording",
    "Referral",
    "Report",
    "ReportChange",
    "ReportNote",
    "Transcript",
    "User",
]
