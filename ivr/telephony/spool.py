"""A local, encrypted spool for webhooks that could not reach the database.

When the database is down the caller still gets the degraded "leave a message" path,
and each webhook's parameters are written here (encrypted: they hold the caller's
number) to be filed once the database is back. Files are written atomically and
replayed in arrival order by one process at a time.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ivr.crypto import DataCipher


@dataclass(frozen=True)
class SpooledRequest:
    """One webhook as it was received."""

    endpoint: str
    args: dict[str, str]
    form: dict[str, str]
    received_at: datetime


class Spool:
    """A directory of encrypted, time-ordered webhook requests."""

    def __init__(self, directory: str | Path, cipher: DataCipher) -> None:
        self.directory = Path(directory)
        self._cipher = cipher

    def put(self, request: SpooledRequest) -> Path:
        """Write one request durably (fsync, then an atomic rename)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex}"
        payload = json.dumps(
            {
                "endpoint": request.endpoint,
                "args": request.args,
                "form": request.form,
                "received_at": request.received_at.isoformat(),
            }
        ).encode()
        tmp = self.directory / f".{name}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(self._cipher.encrypt(payload))
            fh.flush()
            os.fsync(fh.fileno())
        final = self.directory / f"{name}.req"
        tmp.rename(final)
        return final

    def pending(self) -> list[Path]:
        """Spooled files, oldest first."""
        if not self.directory.is_dir():
            return []
        return sorted(self.directory.glob("*.req"))

    def read(self, path: Path) -> SpooledRequest:
        """Decrypt one spooled file."""
        data = json.loads(self._cipher.decrypt(path.read_bytes()))
        return SpooledRequest(
            endpoint=data["endpoint"],
            args=data["args"],
            form=data["form"],
            received_at=datetime.fromisoformat(data["received_at"]).astimezone(UTC),
        )

    @contextmanager
    def _locked(self) -> Iterator[bool]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".lock", "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def replay(self, handle: Callable[[SpooledRequest], None]) -> int:
        """File every spooled request with ``handle`` (which commits), oldest first.

        Stops at the first failure (the database is probably still down) and leaves the
        rest for the next run. Returns how many were filed.
        """
        done = 0
        with self._locked() as mine:
            if not mine:
                return 0
            for path in self.pending():
                handle(self.read(path))
                path.unlink()
                done += 1
        return done
