"""The hash chain of the audit log: appending an entry and verifying the whole chain.

Each entry's ``hash`` is SHA-256 over the previous entry's hash followed by the canonical
JSON of this entry's own content (everything but its id and hashes), so that editing,
deleting or reordering any entry breaks the chain from that entry on.

Two writers must never read the same "last hash" and fork the chain, so appending first
takes the chain's lock for the rest of the transaction:

- PostgreSQL: a transaction-level advisory lock (released by commit or rollback);
- SQLite: the database write lock (``BEGIN IMMEDIATE``), taken before the last hash is
  read. Python's sqlite3 driver only opens a transaction at the first write, so without
  it two connections could both read the same last hash before either writes.

No Flask here: the web helpers, the CLI and the jobs all append through :func:`record`.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from models import AuditEntry
from models.base import utcnow

GENESIS_HASH = "0" * 64
# pg_advisory_xact_lock key of the chain: any constant that no other lock of the app uses.
CHAIN_LOCK_KEY = 0x6175646974  # "audit"
OUTCOMES = ("ok", "denied", "failed")


def canonical_content(
    *,
    at: datetime,
    actor: str | None,
    action: str,
    target_type: str | None,
    target_id: str | None,
    outcome: str,
    ip: str | None,
    detail: Mapping[str, Any],
) -> bytes:
    """The bytes an entry's hash covers besides the previous hash (stable across backends)."""
    content = {
        "at": at.isoformat(),
        "actor": actor,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "outcome": outcome,
        "ip": ip,
        "detail": detail,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    """The hash ``entry`` must carry, given the hash of the entry before it."""
    content = canonical_content(
        at=entry.at,
        actor=entry.actor,
        action=entry.action,
        target_type=entry.target_type,
        target_id=entry.target_id,
        outcome=entry.outcome,
        ip=entry.ip,
        detail=entry.detail,
    )
    return hashlib.sha256(prev_hash.encode("ascii") + content).hexdigest()


def lock_chain(session: Session) -> None:
    """Hold the chain's lock until ``session``'s transaction ends."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    elif conn.dialect.name == "sqlite":
        raw = conn.connection.driver_connection
        # Already in a transaction means a write happened: the write lock is held.
        if isinstance(raw, sqlite3.Connection) and not raw.in_transaction:
            raw.execute("BEGIN IMMEDIATE")


def _normalised(detail: Mapping[str, Any] | None) -> dict[str, Any]:
    """``detail`` as it will read back from the database (JSON types only)."""
    value: dict[str, Any] = json.loads(json.dumps(dict(detail or {}), default=str))
    return value


def record(
    session: Session,
    *,
    actor: str | None,
    action: str,
    target_type: str | None = None,
    target_id: str | int | None = None,
    outcome: str = "ok",
    detail: Mapping[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """Append an entry to the chain in ``session``'s transaction (flushed, not committed).

    The entry commits or rolls back with whatever else the transaction holds. ``detail``
    must be JSON-able (other values are stored as their ``str``); never put a password,
    a caller's number or a transcript in it.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}, not {outcome!r}")
    lock_chain(session)
    last = session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    entry = AuditEntry(
        at=utcnow(),
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        outcome=outcome,
        ip=ip,
        detail=_normalised(detail),
        prev_hash=last or GENESIS_HASH,
    )
    entry.hash = entry_hash(entry.prev_hash, entry)
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    """What :func:`verify_chain` found: the entries checked and the first break, if any."""

    count: int
    head: str
    broken_id: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """True when every entry is intact and in place."""
        return self.problem is None


def _describe(entry: AuditEntry) -> str:
    return f"entry {entry.id} ({entry.at.isoformat()} {entry.action} by {entry.actor or '-'})"


def verify_chain(session: Session) -> ChainReport:
    """Walk the whole chain in id order and report the first entry that breaks it.

    A deleted entry, or entries put in another order, break the link of the entry after
    them; an edited entry no longer matches its own hash. (The last entries being cut off
    cannot be seen from the chain alone: keep the head hash printed by ``audit verify``.)
    """
    query = select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=500)
    entries = session.scalars(query)
    try:
        return _walk(entries)
    finally:
        entries.close()  # stopping at a break leaves a server-side cursor open otherwise


def _walk(entries: Iterable[AuditEntry]) -> ChainReport:
    prev_hash, prev_id, count = GENESIS_HASH, None, 0
    for entry in entries:
        if entry.prev_hash != prev_hash:
            if prev_id is None:
                why = "does not start the chain: the entries before it were deleted"
            else:
                why = (
                    f"does not follow entry {prev_id}: an entry between them was deleted, "
                    f"the entries were reordered, or entry {prev_id} was rewritten"
                )
            return ChainReport(count, prev_hash, entry.id, f"{_describe(entry)} {why}")
        if entry_hash(prev_hash, entry) != entry.hash:
            why = "does not match its hash: it was edited"
            return ChainReport(count, prev_hash, entry.id, f"{_describe(entry)} {why}")
        prev_hash, prev_id, count = entry.hash, entry.id, count + 1
    return ChainReport(count, prev_hash)
