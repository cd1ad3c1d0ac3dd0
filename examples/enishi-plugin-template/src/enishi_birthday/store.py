"""Reading and writing birthdays in set-based SQL that runs the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, delete, extract, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from enishi import WorkspaceContext, upsert_insert
from enishi.models.friends import Friend

from .models import Birthday


class InvalidBirthday(ValueError):
    pass


def parse_birthday(value: str | date, today: date) -> date:
    """A birthday from an ISO date (``YYYY-MM-DD``); one in the future is a typing mistake, so refuse it."""
    try:
        day = value if isinstance(value, date) else date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise InvalidBirthday(f"{value!r} is not a date (YYYY-MM-DD)") from exc
    if day > today:
        raise InvalidBirthday(f"a birthday cannot be in the future ({day.isoformat()})")
    return day


def today_in(ctx: WorkspaceContext) -> date:
    """Today's date where the workspace is, not in UTC: near midnight the two differ."""
    return ctx.now.astimezone(ctx.tz).date()


def birth_month() -> ColumnElement[Any]:
    # EXTRACT(month FROM …) on PostgreSQL; SQLAlchemy renders CAST(STRFTIME('%m', …) AS INTEGER) on SQLite.
    return extract("month", Birthday.birthday)


def birth_year() -> ColumnElement[Any]:
    return extract("year", Birthday.birthday)


async def set_birthdays(ctx: WorkspaceContext, friend_ids: Select[Any], birthday: date) -> int:
    """Give every friend the select yields this birthday, in one INSERT … SELECT … ON CONFLICT DO UPDATE.

    Returns how many rows were written. The workspace scoping of ``ctx.session`` filters ORM SELECT, UPDATE and
    DELETE statements but not the SELECT inside an INSERT, so this one states the workspace itself: a friend id
    of another workspace is simply skipped.
    """
    table = cast(Table, Birthday.__table__)
    source = select(literal(ctx.workspace_id), Friend.id, literal(birthday, table.c.birthday.type)).where(
        Friend.workspace_id == ctx.workspace_id,
        Friend.id.in_(friend_ids),
    )
    stmt = _insert(ctx, table).from_select(["workspace_id", "friend_id", "birthday"], source)
    stmt = stmt.on_conflict_do_update(
        index_elements=["workspace_id", "friend_id"], set_={"birthday": stmt.excluded.birthday}
    )
    result = await ctx.session.execute(stmt)
    return max(int(getattr(result, "rowcount", 0) or 0), 0)


def _insert(ctx: WorkspaceContext, table: Table) -> postgresql.Insert | sqlite.Insert:
    # Both databases spell upsert ON CONFLICT … DO UPDATE; the core picks SQLAlchemy's construct for the dialect.
    stmt: postgresql.Insert | sqlite.Insert = upsert_insert(ctx.session, table)
    return stmt


async def set_birthday(ctx: WorkspaceContext, friend_id: int, birthday: date) -> bool:
    """Set one friend's birthday; False when the friend is not in this workspace."""
    return await set_birthdays(ctx, select(literal(friend_id)), birthday) > 0


async def get_birthday(ctx: WorkspaceContext, friend_id: int) -> date | None:
    return await ctx.session.scalar(select(Birthday.birthday).where(Birthday.friend_id == friend_id))


async def list_birthdays(ctx: WorkspaceContext, after: int | None, limit: int) -> list[tuple[int, str, date]]:
    """(friend id, name, birthday) of up to ``limit`` friends with a birthday, by friend id after ``after``."""
    stmt = (
        select(Birthday.friend_id, Friend.display_name, Birthday.birthday)
        .join(Friend, Friend.id == Birthday.friend_id)
        .order_by(Birthday.friend_id)
        .limit(limit)
    )
    if after is not None:
        stmt = stmt.where(Birthday.friend_id > after)
    return [(friend_id, name, day) for friend_id, name, day in await ctx.session.execute(stmt)]


async def friend_exists(ctx: WorkspaceContext, friend_id: int) -> bool:
    # Scoped session: a friend of another workspace is not found, exactly like one that does not exist.
    return await ctx.session.scalar(select(Friend.id).where(Friend.id == friend_id)) is not None


async def clear_birthday(ctx: WorkspaceContext, friend_id: int) -> None:
    # An ORM DELETE through the scoped session only ever touches this workspace's rows.
    await ctx.session.execute(delete(Birthday).where(Birthday.friend_id == friend_id))
