"""Engine and session factory: one per process, built from a database URL."""

from __future__ import annotations

import select
import sqlite3
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    if isinstance(dbapi_conn, sqlite3.Connection):
        cur = dbapi_conn.cursor()
        # WAL lets the web process read while a worker writes; foreign keys are off by default.
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=5000")
        cur.close()


def _drop_if_closed_by_server(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
    """A pre-ping without a round trip, at every checkout of a PostgreSQL connection.

    A server that closed a connection (a restart, a terminated backend) sent its goodbye
    first or closed the socket: either way the socket is readable. An idle, healthy
    connection never is (nothing here LISTENs). The pool replaces a connection found so.
    """
    try:
        fileno = dbapi_conn.fileno()
    except Exception as exc:  # the driver knows it lost the connection
        raise DisconnectionError("this pooled connection is closed") from exc
    poller = select.poll()
    poller.register(fileno, select.POLLIN)
    if poller.poll(0):
        raise DisconnectionError("the server closed this pooled connection")


class Database:
    """Owns the engine and the ``sessionmaker`` for one database URL.

    Built once per process; nothing connects until the first session is used.
    """

    def __init__(self, url: str, **engine_options: Any) -> None:
        self.url = url
        # hide_parameters: SQL errors and logs never carry the values (they may be personal).
        options: dict[str, Any] = {"hide_parameters": True, **engine_options}
        if url.startswith("sqlite"):
            options.pop("pool_size", None)
        elif url.startswith("postgresql"):
            # PostgreSQL's JIT compiled the dashboard's aggregates anew on every request:
            # 12 s of a 13 s statement (bench/README.md); the hotline's short queries never
            # gain from it.
            connect_args = dict(options.get("connect_args", {}))
            connect_args.setdefault("options", "-c jit=off")
            options["connect_args"] = connect_args
        self.engine: Engine = create_engine(url, **options)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        elif self.engine.dialect.name == "postgresql" and not options.get("pool_pre_ping"):
            # pool_pre_ping's SELECT was a round trip per checkout: one per webhook.
            event.listen(self.engine, "checkout", _drop_if_closed_by_server)
        self.sessionmaker: sessionmaker[Session] = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Session:
        """A new session; the caller commits or rolls back and closes it."""
        return self.sessionmaker()

    def dispose(self) -> None:
        """Close every pooled connection (after a fork, at shutdown, in tests)."""
        self.engine.dispose()
