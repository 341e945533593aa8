"""Retention: recordings and identifying data purged on schedule once a report is done.

``flask --app wsgi retention purge`` shows what is due (``--apply`` purges it); the worker
runs the same purge daily through the outbox (task ``retention_purge``). Every purge is
audited with its counts. Periods: ``RETENTION_*`` settings (see the README).
"""

from ivr.retention.purge import (
    FINAL_STATUSES,
    PurgePlan,
    RetentionPolicy,
    apply_purge,
    lock_purge,
    plan_purge,
)

__all__ = [
    "FINAL_STATUSES",
    "PurgePlan",
    "RetentionPolicy",
    "apply_purge",
    "lock_purge",
    "plan_purge",
]
