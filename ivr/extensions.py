"""Extensions, created once at import and bound to an app with ``init_app``.

The request's database session is opened on first use and committed once, at the edge,
after the view returned a successful response; any error rolls it back.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, g
from sqlalchemy.orm import Session

from ivr.crypto import DataCipher
from models import Database


class FlaskDatabase:
    """Binds a :class:`models.Database` to the app and a session to each request."""

    def init_app(self, app: Flask) -> None:
        """Build the engine for ``DATABASE_URL`` (nothing connects yet)."""
        options: dict[str, Any] = {"echo": app.config["SQL_ECHO"]}
        app.extensions["database"] = Database(app.config["DATABASE_URL"], **options)
        app.after_request(self._commit)
        app.teardown_appcontext(self._close)

    @property
    def database(self) -> Database:
        """The app's :class:`models.Database`."""
        database: Database = current_app.extensions["database"]
        return database

    @property
    def session(self) -> Session:
        """The session of the current request (or app context)."""
        if "db_session" not in g:
            g.db_session = self.database.session()
        session: Session = g.db_session
        return session

    @staticmethod
    def _commit(response: Response) -> Response:
        session: Session | None = g.get("db_session")
        if session is not None and response.status_code < 400:
            session.commit()
        return response

    @staticmethod
    def _close(_exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.close()


class Cipher:
    """The app's :class:`ivr.crypto.DataCipher`, built from ``DATA_KEY``."""

    def init_app(self, app: Flask) -> None:
        """Build the cipher (fails fast on a malformed key)."""
        app.extensions["cipher"] = DataCipher(app.config["DATA_KEY"])

    @property
    def current(self) -> DataCipher:
        """The current app's cipher."""
        cipher: DataCipher = current_app.extensions["cipher"]
        return cipher


db = FlaskDatabase()
cipher = Cipher()
