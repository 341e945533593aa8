"""Reports made directly with the models: a finished call, its steps, a voicemail, a report.

Each factory keeps a random epoch far in the future: the reports it makes are received
after it, so an export ``since`` the epoch sees only them, even in the PostgreSQL
database that the whole test session shares.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import delete, update

from ivr.crypto import DataCipher
from models import Call, CallEvent, Database, Recording, Report, Transcript
from tests.conftest import ACCOUNT_SID

CALLBACK_NUMBER = "+16135550142"


def unlike_the_caller(draw: Callable[[], str]) -> str:
    """A random identifier that does not hold the caller's last four digits.

    Tests check that a page or an answer never shows the number, down to "0142"; a
    random report number or SID holding those digits (about one in a thousand) would
    fail them by chance.
    """
    while CALLBACK_NUMBER[-4:] in (value := draw()):
        pass
    return value


TRANSCRIPT = "He wrote to my daughter on snapchat as @dark_wolf, see www.example.com/abc"
ENTITIES = {
    "urls": ["www.example.com/abc"],
    "domains": ["example.com"],
    "emails": [],
    "phone_numbers": [],
    "handles": ["dark_wolf"],
    "platforms": ["snapchat"],
}
# (node, input, outcome) of a whole call through the default flow.
PATH = (
    ("language", None, "presented"),
    ("language", "1", "chosen"),
    ("main_menu", None, "presented"),
    ("main_menu", "2", "chosen"),
    ("danger", None, "presented"),
    ("danger", "2", "chosen"),
    ("message", None, "presented"),
    ("message", "#", "recorded"),
    ("callback", None, "presented"),
    ("callback", "1", "chosen"),
    ("close", None, "ended"),
)


@dataclass
class ReportFactory:
    """Makes reports in the app's database and deletes them (and their calls) at the end."""

    app: Flask
    epoch: datetime = field(
        default_factory=lambda: (
            datetime(2100, 1, 1, tzinfo=UTC) + timedelta(days=secrets.randbelow(300_000))
        )
    )
    call_ids: list[int] = field(default_factory=list)

    @property
    def database(self) -> Database:
        database: Database = self.app.extensions["database"]
        return database

    @property
    def cipher(self) -> DataCipher:
        cipher: DataCipher = self.app.extensions["cipher"]
        return cipher

    def __call__(
        self,
        *,
        minutes: int = 0,
        anonymous: bool = False,
        transcript: str | None = TRANSCRIPT,
        voicemail: bool = True,
    ) -> str:
        """A report received ``minutes`` after the epoch; returns its report number."""
        started = self.epoch + timedelta(minutes=minutes, seconds=5)
        number = unlike_the_caller(lambda: str(10**11 + secrets.randbelow(9 * 10**11)))
        with self.database.session() as session, session.begin():
            call = self._call(number, started, anonymous=anonymous)
            if voicemail:
                call.recordings.append(_recording(started))
            session.add(call)
            session.flush()
            if voicemail:
                session.add(self._transcript(call.recordings[0], transcript))
            session.add(_report(call, number, anonymous=anonymous))
            self.call_ids.append(call.id)
        return number

    def set_priority(self, report_number: str, priority: str) -> None:
        """Write a priority straight into the database, bypassing every rule."""
        with self.database.session() as session, session.begin():
            session.execute(
                update(Report)
                .where(Report.report_number == report_number)
                .values(priority=priority)
            )

    def cleanup(self) -> None:
        """Delete the calls made; the database cascades to everything hanging from them."""
        if self.call_ids:
            with self.database.session() as session, session.begin():
                session.execute(delete(Call).where(Call.id.in_(self.call_ids)))
            self.call_ids.clear()

    def _call(self, number: str, started: datetime, *, anonymous: bool) -> Call:
        callback = None if anonymous else self.cipher.encrypt_text(CALLBACK_NUMBER)
        call = Call(
            call_sid=unlike_the_caller(lambda: "CA" + uuid.uuid4().hex),
            account_sid=ACCOUNT_SID,
            reference_number=number,
            from_enc=self.cipher.encrypt_text(CALLBACK_NUMBER),
            from_hash=self.cipher.keyed_hash(CALLBACK_NUMBER),
            caller_country="CA",
            caller_region="ON",
            language="en",
            status="completed",
            started_at=started,
            ended_at=started + timedelta(seconds=95),
            duration_s=95,
            ended_by="ivr",
            last_step="close",
            flow_name="default",
            flow_state={},
            category="luring",
            immediate_danger=False,
            callback_enc=callback,
        )
        at = [started + timedelta(seconds=5 * i) for i in range(len(PATH))]
        call.events = [
            CallEvent(kind="ivr", node=node, prompt="p", input=key, outcome=outcome, at=when)
            for (node, key, outcome), when in zip(PATH, at, strict=True)
        ]
        call.events.append(
            CallEvent(kind="status", node="close", outcome="completed", at=call.ended_at)
        )
        return call

    def _transcript(self, recording: Recording, text: str | None) -> Transcript:
        return Transcript(
            recording_id=recording.id,
            engine="pocketsphinx",
            status="completed" if text is not None else "failed",
            language="en",
            text_enc=None if text is None else self.cipher.encrypt_text(text),
        )


def _recording(started: datetime) -> Recording:
    return Recording(
        recording_sid=unlike_the_caller(lambda: "RE" + uuid.uuid4().hex),
        status="completed",
        duration_s=42,
        sha256=unlike_the_caller(lambda: secrets.token_hex(32)),
        storage_key="recordings/x.enc",
        stored_at=started + timedelta(minutes=2),
    )


def _report(call: Call, number: str, *, anonymous: bool) -> Report:
    return Report(
        call_id=call.id,
        report_number=number,
        received_at=call.started_at,
        channel="phone",
        language="en",
        category="luring",
        classification=None,
        immediate_danger=False,
        priority="high",
        priority_rank=1,
        priority_reasons=["category luring: high"],
        status="new",
        anonymous=anonymous,
        caller_region="ON",
        repeat_caller=False,
        entities=ENTITIES,
        jurisdiction_province="ON",
        jurisdiction_agency="Ontario Provincial Police",
        ready_at=call.started_at + timedelta(minutes=3),
    )
