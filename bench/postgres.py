"""A private PostgreSQL server (initdb + pg_ctl) on a free port, in a temporary folder.

For fault tests that stop and restart the database: the machine's own cluster is shared
with other people and is never touched. PostgreSQL refuses to run as root, so when this
process is root the server runs as the ``postgres`` user (``runuser``).
"""

from __future__ import annotations

import atexit
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from bench.common import free_port, interruptible

PG_BIN = Path(os.environ.get("BENCH_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _as_owner(argv: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


@dataclass
class PrivatePostgres:
    """A PostgreSQL server of our own: its data folder, port and log."""

    root: Path
    port: int

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str, check: bool = True) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        argv = [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w"]
        argv += ["-t", "60", "-o", options, *args]
        subprocess.run(_as_owner(argv), check=check, capture_output=True)

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self._ctl("start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast``: roll back open transactions, close connections)."""
        self._ctl("stop", "-m", mode, check=False)

    def restart(self) -> None:
        """Stop (fast) and start again: every open connection is cut."""
        self.stop("fast")
        self.start()


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """initdb a new cluster, start it on a free port; stop it and remove it afterwards.

    Also on SIGTERM, SIGINT or SIGHUP (``interruptible``): the server runs in a session of
    its own (pg_ctl detaches it), so nothing but this stops it when the harness dies.
    """
    with interruptible():
        root = Path(tempfile.mkdtemp(prefix="hotline-pg-"))
        server = PrivatePostgres(root, free_port())
        stop = atexit.register(server.stop, "immediate")
        try:
            if os.geteuid() == 0:
                owner = pwd.getpwnam("postgres")
                os.chown(root, owner.pw_uid, owner.pw_gid)
            initdb = [str(PG_BIN / "initdb"), "-D", str(server.data), "-U", "postgres"]
            initdb += ["-A", "trust", "-E", "UTF8", "--no-sync"]
            subprocess.run(_as_owner(initdb), check=True, capture_output=True)
            server.start()
            yield server
        finally:
            with suppress(Exception):
                server.stop("immediate")
            atexit.unregister(stop)
            shutil.rmtree(root, ignore_errors=True)
