"""Configuration: defaults, then the environment (and ``.env``), then a test mapping.

Secrets that a newcomer should not have to invent (``SECRET_KEY``, ``DATA_KEY`` and the
development Twilio auth token) are generated once into the instance folder.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from dotenv import load_dotenv
from flask import Flask

from ivr.crypto import generate_key

DEV_ACCOUNT_SID = "AC" + "0" * 32
# Where `flask simulate-call` serves its emulated Twilio REST/media API by default.
DEV_API_BASE = "http://127.0.0.1:5001"

# name -> (default, parser); a default of None means "computed" or "unset".
_Parser = Callable[[str], Any]


def _csv(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


SETTINGS: dict[str, tuple[Any, _Parser]] = {
    "DATABASE_URL": (None, str),
    "REDIS_URL": (None, str),
    "SECRET_KEY": (None, str),
    "DATA_KEY": (None, str),
    "PUBLIC_BASE_URL": ("http://127.0.0.1:5000", str),
    "TWILIO_ACCOUNT_SID": (DEV_ACCOUNT_SID, str),
    "TWILIO_AUTH_TOKEN": (None, str),
    "TWILIO_API_BASE": (None, str),
    "RECORDINGS_DIR": (None, str),
    "TRANSCRIBER": ("pocketsphinx", str),
    "CALLFLOW": ("default", str),
    "HOTLINE_NUMBER": ("+18005550199", str),
    "BUSINESS_HOURS": ("mon-fri 09:00-17:00", str),
    "BUSINESS_TZ": ("America/Winnipeg", str),
    "HOLIDAYS": ((), _csv),
    "OPERATOR_NUMBERS": ((), _csv),
    "VOICE_EN": ("Polly.Joanna", str),
    "VOICE_FR": ("Polly.Chantal", str),
    "SPOOL_DIR": (None, str),
    "TWILIO_DELETE_RECORDINGS": (True, _bool),
    "SWEEP_INTERVAL": (15.0, float),
    "OUTBOX_MIN_AGE": (10.0, float),
    "OUTBOX_STALE_AFTER": (1800.0, float),
    "WORKER_MAINTENANCE_INTERVAL": (60, int),
    # Seconds between a running job's reports to rq; a job whose worker died is retried
    # about three intervals after its last one (ivr.jobs.worker.HotlineWorker).
    "WORKER_HEARTBEAT_INTERVAL": (30, int),
    # The worker's nice value (0-19; 0 keeps the web tier's priority): see ivr.jobs.priority.
    "WORKER_NICE": (10, int),
    # Retention (days; 0 keeps forever) and how often the sweep schedules the purge.
    "RETENTION_RECORDINGS_DAYS": (90, int),
    "RETENTION_CALLBACK_DAYS": (90, int),
    "RETENTION_NO_REPORT_CALLS_DAYS": (30, int),
    "RETENTION_INTERVAL_HOURS": (24.0, float),
    # GET /metrics: networks allowed to scrape, and an optional bearer token required too.
    "METRICS_ALLOW": ("127.0.0.0/8,::1/128", str),
    "METRICS_TOKEN": (None, str),
    # Supervisors' dashboard: the urgent-review target and the time zone of its days
    # (unset: BUSINESS_TZ).
    "URGENT_REVIEW_TARGET_MINUTES": (60, int),
    "METRICS_TZ": (None, str),
    # How often the worker's sweep brings the dashboard's daily rollup up to date (0: never).
    "METRICS_ROLLUP_SECONDS": (60.0, float),
    "LOG_LEVEL": ("INFO", str),
    "SQL_ECHO": (False, _bool),
    # The console's test call page: where its simulator reaches this app (unset:
    # PUBLIC_BASE_URL) and how long a test call may wait for the next key.
    "TEST_CALL_BASE_URL": (None, str),
    "TEST_CALL_TIMEOUT": (900, int),
    # Operator console (seconds for durations). SESSION_COOKIE_SECURE unset: true unless
    # PUBLIC_BASE_URL is a plain-http loopback address (development).
    "SESSION_COOKIE_SECURE": (None, _bool),
    "SESSION_COOKIE_SAMESITE": ("Lax", str),
    "SESSION_IDLE_TIMEOUT": (1800, int),
    "SESSION_MAX_AGE": (43200, int),
    "LOGIN_MAX_FAILURES": (5, int),
    "LOGIN_LOCKOUT": (900, int),
    "LOGIN_IP_MAX_FAILURES": (20, int),
    "PASSWORD_MIN_LENGTH": (12, int),
    "TOTP_ISSUER": ("Tip line", str),
    # The lowest role that may reveal a caller's number (operator, supervisor or admin), and
    # how long one play of a recording covers the range requests of the same session.
    "REVEAL_CALLER_ROLE": ("supervisor", str),
    "PLAY_AUDIT_WINDOW": (600, int),
}
_DEV_ORIGINS = ("http://127.0.0.1", "http://localhost", "http://[::1]")

# Generated once per instance folder when not given; file name -> factory.
_GENERATED: dict[str, Callable[[], str]] = {
    "SECRET_KEY": lambda: secrets.token_urlsafe(48),
    "DATA_KEY": generate_key,
    "TWILIO_AUTH_TOKEN": lambda: secrets.token_hex(16),
}


def _instance_secret(instance: Path, name: str) -> str:
    path = instance / name.lower()
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(_GENERATED[name]())
    return path.read_text().strip()


def load_config(app: Flask, overrides: Mapping[str, Any] | None = None) -> None:
    """Fill ``app.config`` from defaults, the environment and ``overrides``."""
    load_dotenv(Path(app.root_path).parent / ".env", override=False)
    overrides = dict(overrides or {})
    instance = Path(app.instance_path)
    for name, (default, parse) in SETTINGS.items():
        if name in overrides:
            value = overrides.pop(name)
        elif os.environ.get(name):
            value = parse(os.environ[name])
        else:
            value = default
        app.config[name] = value
    app.config.update(overrides)
    for name in _GENERATED:
        if not app.config.get(name):
            app.config[name] = _instance_secret(instance, name)
    if not app.config["DATABASE_URL"]:
        instance.mkdir(parents=True, exist_ok=True)
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'hotline.db'}"
    app.config["RECORDINGS_DIR"] = app.config["RECORDINGS_DIR"] or str(instance / "recordings")
    app.config["SPOOL_DIR"] = app.config["SPOOL_DIR"] or str(instance / "spool")
    app.config["PUBLIC_BASE_URL"] = app.config["PUBLIC_BASE_URL"].rstrip("/")
    if app.config["SESSION_COOKIE_SECURE"] is None:
        app.config["SESSION_COOKIE_SECURE"] = not app.config["PUBLIC_BASE_URL"].startswith(
            _DEV_ORIGINS
        )
    if not app.config["TWILIO_API_BASE"]:
        # The development account can only ever talk to the call simulator.
        dev = app.config["TWILIO_ACCOUNT_SID"] == DEV_ACCOUNT_SID
        app.config["TWILIO_API_BASE"] = DEV_API_BASE if dev else "https://api.twilio.com"
