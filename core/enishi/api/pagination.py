"""Keyset pagination: stable under inserts, fast on large tables (no OFFSET)."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any, Generic, TypeVar, overload

import msgspec
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

from enishi.api.errors import ApiError

T = TypeVar("T")
A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")
MAX_LIMIT = 200


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    next: str | None  # pass as ?after= for the next page; null on the last page


def encode_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def bad_cursor() -> ApiError:
    return ApiError(400, "bad_cursor", "the cursor is not valid", [{"path": "query:after", "message": "bad cursor"}])


def decode_cursor(cursor: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, UnicodeDecodeError):
        raise bad_cursor() from None


@overload
def read_cursor(after: str | None, shape: type[A]) -> A | None: ...
@overload
def read_cursor(after: str | None, shape: tuple[type[A]]) -> tuple[A] | None: ...
@overload
def read_cursor(after: str | None, shape: tuple[type[A], type[B]]) -> tuple[A, B] | None: ...
@overload
def read_cursor(after: str | None, shape: tuple[type[A], type[B], type[C]]) -> tuple[A, B, C] | None: ...
def read_cursor(after: str | None, shape: type[Any] | tuple[type[Any], ...]) -> Any:
    """The keyset position a route put in ``?after=`` with :func:`encode_cursor`, checked against its shape: one
    value (``read_cursor(after, int)`` for ``encode_cursor(row.id)``) or a tuple of them for a list
    (``read_cursor(after, (datetime, int))`` for ``encode_cursor([row.at.isoformat(), row.id])``). Values are
    ``int`` (never a bool), ``str``, ``bool`` (from true/false or 1/0) or ``datetime`` (ISO 8601 with a time
    zone). None when ``after`` is None (the first page); any other cursor is a 400 ``bad_cursor``."""
    if after is None:
        return None
    value = decode_cursor(after)
    if not isinstance(shape, tuple):
        return _cursor_value(value, shape)
    if not isinstance(value, list) or len(value) != len(shape):
        raise bad_cursor()
    return tuple(_cursor_value(v, kind) for v, kind in zip(value, shape, strict=True))


def _cursor_value(value: Any, kind: type[Any]) -> Any:
    if kind is bool and value in (0, 1) and type(value) in (int, bool):
        return bool(value)
    if kind is int and type(value) is int:
        return value
    if kind is str and isinstance(value, str):
        return value
    if kind is datetime and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise bad_cursor() from None
        if moment.tzinfo is not None:
            return moment
    raise bad_cursor()


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(
            400,
            "bad_limit",
            f"limit must be 1–{MAX_LIMIT}",
            [{"path": "query:limit", "message": f"must be 1–{MAX_LIMIT}"}],
        )
    return limit


def keyset_by_id(
    query: Select[Any], id_column: InstrumentedAttribute[int], after: str | None, limit: int, descending: bool = False
) -> Select[Any]:
    """Page by id; fetches one extra row to know whether there is a next page."""
    check_limit(limit)
    if after is not None:
        last = decode_cursor(after)
        if not isinstance(last, int):
            raise ApiError(
                400, "bad_cursor", "the cursor is not valid", [{"path": "query:after", "message": "bad cursor"}]
            )
        query = query.where(id_column < last if descending else id_column > last)
    order = id_column.desc() if descending else id_column.asc()
    return query.order_by(order).limit(limit + 1)


def page_of(rows: list[Any], limit: int, key: Any) -> tuple[list[Any], str | None]:
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(key(rows[-1]))
    return rows, None
