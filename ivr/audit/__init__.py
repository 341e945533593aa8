"""The append-only, hash-chained audit log: who did what to which record, and when.

``record`` appends in a given session (the CLI and jobs use it); views use
``audit_access`` (in the request's transaction) and ``audit_failure`` (kept even when the
request fails). ``flask --app wsgi audit verify`` checks the whole chain.
"""

from ivr.audit.chain import GENESIS_HASH, ChainReport, record, verify_chain
from ivr.audit.web import audit_access, audit_failure, client_ip, init_app, separate_transaction

__all__ = [
    "GENESIS_HASH",
    "ChainReport",
    "audit_access",
    "audit_failure",
    "client_ip",
    "init_app",
    "record",
    "separate_transaction",
    "verify_chain",
]
