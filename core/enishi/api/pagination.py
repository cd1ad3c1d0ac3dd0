"""Keyset pagination: stable under inserts, fast on large tables (no OFFSET)."""

from __future__ import annotations

import base64
import json
from typing import Any, Generic, TypeVar

import msgspec
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

from enishi.api.errors import ApiError

T = TypeVar("T")
MAX_LIMIT = 200


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    next: str | None  # pass as ?after= for the next page; null on the last page


def encode_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, UnicodeDecodeError):
        raise ApiError(
            400, "bad_cursor", "the cursor is not valid", [{"path": "query:after", "message": "bad cursor"}]
        ) from None


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
