"""Keyset pagination: a page is the rows after (or before) the sort key of a row the client
saw, never an ``OFFSET``, so that a page deep in a long list costs what the first costs and
rows arriving meanwhile neither repeat nor vanish across pages.

The cursor handed to clients encodes that key, the direction and the list's name
(base64url JSON): opaque to them, checked when it comes back (:class:`InvalidQuery`).
No Flask here.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class InvalidQuery(ValueError):
    """A filter value or a cursor that cannot be used (a 400 for the client)."""


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a keyset-paginated list.

    ``next_cursor`` / ``prev_cursor``: pass one back (as ``cursor=``) for the following /
    preceding page; None when there is none in that direction.
    """

    items: list[T]
    next_cursor: str | None
    prev_cursor: str | None


_Key = tuple[Any, ...]


def _to_json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def encode_cursor(scope: str, direction: str, key: Sequence[Any]) -> str:
    """An opaque cursor for the row with sort ``key``; ``direction`` is ``after`` or
    ``before`` (the page wanted follows or precedes that row)."""
    doc = {"s": scope, "d": direction, "k": [_to_json(v) for v in key]}
    raw = json.dumps(doc, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(
    cursor: str, scope: str, types: Sequence[Callable[[Any], Any]]
) -> tuple[str, _Key]:
    """``(direction, key)`` of a cursor made by :func:`encode_cursor` for ``scope``.

    Raises :class:`InvalidQuery` for anything else (tampered, from another list).
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        doc = json.loads(raw)
        if doc["s"] != scope or doc["d"] not in ("after", "before") or len(doc["k"]) != len(types):
            raise ValueError("cursor of another list")
        key = tuple(convert(value) for convert, value in zip(types, doc["k"], strict=True))
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise InvalidQuery("invalid cursor") from exc
    return doc["d"], key


def int_key(value: Any) -> int:
    """An integer of a decoded cursor (ValueError otherwise)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("not an integer")
    return value


def datetime_key(value: Any) -> datetime:
    """A timezone-aware datetime of a decoded cursor (ValueError otherwise)."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment


AnySelect = Select[*tuple[Any, ...]]


@dataclass(frozen=True)
class Keyset:
    """How a list is ordered: its sort key's columns, their direction, and the cursor's
    list name and value types."""

    scope: str
    columns: tuple[InstrumentedAttribute[Any], ...]
    descending: bool
    types: tuple[Callable[[Any], Any], ...]
    entity: int = 0  # which entity of a result row carries the key columns

    def key_of(self, row: Any) -> _Key:
        """The sort key of a result row."""
        return tuple(getattr(row[self.entity], column.key) for column in self.columns)


@dataclass(frozen=True)
class Window:
    """One page's SELECT (``limit`` + 1 rows, to know whether more follow) and its cursor."""

    query: AnySelect
    backwards: bool
    key: _Key | None
    limit: int


def window(query: AnySelect, keyset: Keyset, cursor: str | None, limit: int) -> Window:
    """``query`` narrowed to the rows after (or before) the cursor, in page order, + 1 row."""
    limit = max(1, min(limit, MAX_LIMIT))
    key: _Key | None = None
    direction = "after"
    if cursor is not None:
        direction, key = decode_cursor(cursor, keyset.scope, keyset.types)
    backwards = direction == "before"
    # Forward on a descending list means smaller keys; going backwards flips it.
    smaller = keyset.descending != backwards
    if key is not None:
        row_key, bound = tuple_(*keyset.columns), tuple_(*key)
        query = query.where(row_key < bound if smaller else row_key > bound)
    query = query.order_by(*(c.desc() if smaller else c.asc() for c in keyset.columns))
    return Window(query.limit(limit + 1), backwards, key, limit)


def keyset_page(
    session: Session, query: AnySelect, keyset: Keyset, cursor: str | None, limit: int
) -> tuple[list[Any], str | None, str | None]:
    """Rows of ``query`` for one page, and the cursors of the pages around it."""
    page = window(query, keyset, cursor, limit)
    rows = list(session.execute(page.query))
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    if page.backwards:
        rows.reverse()
    first = keyset.key_of(rows[0]) if rows else page.key
    last = keyset.key_of(rows[-1]) if rows else page.key
    has_next = page.key is not None if page.backwards else more
    has_prev = more if page.backwards else page.key is not None
    next_cursor = encode_cursor(keyset.scope, "after", last) if has_next and last else None
    prev_cursor = encode_cursor(keyset.scope, "before", first) if has_prev and first else None
    return rows, next_cursor, prev_cursor
