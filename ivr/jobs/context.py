"""What a job needs (database, cipher, configuration), without an app context.

The worker command sets the app before it runs jobs (or forks work horses for them,
with ``--fork``); the in-process dispatcher sets it when the web app starts. Jobs read
it through :func:`current`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

from ivr.crypto import DataCipher
from models import Database


@dataclass
class JobContext:
    """The parts of an app that jobs use."""

    config: Mapping[str, Any]
    database: Database
    cipher: DataCipher
    pid: int = field(default_factory=os.getpid)

    def after_fork(self) -> None:
        """In a forked process (a work horse): drop the parent's pooled connections (never
        share them)."""
        if self.pid != os.getpid():
            self.database.engine.dispose(close=False)
            self.pid = os.getpid()


_current: JobContext | None = None


def bind(app: Flask) -> JobContext:
    """Make ``app`` the one jobs of this process run against."""
    global _current
    _current = JobContext(app.config, app.extensions["database"], app.extensions["cipher"])
    return _current


def current() -> JobContext:
    """The job context of this process, creating the app from the environment if needed."""
    if _current is None:
        from ivr import create_app

        return bind(create_app())
    _current.after_fork()
    return _current
