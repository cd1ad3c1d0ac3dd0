"""Keyword counter: counts how often each friend says a keyword, as a friend field, a segment and a daily report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, ForeignKey, Select, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, mapped_column

from enishi import (
    ActionContext,
    ActionType,
    Base,
    BigId,
    BulkActionContext,
    ConditionType,
    Friend,
    FriendFieldDescriptor,
    FriendFieldSource,
    MigrationLocation,
    PluginManifest,
    ReportColumn,
    ReportResult,
    ReportSeries,
    ReportType,
    Text,
    TriggerType,
    WorkspaceContext,
    WorkspaceOwned,
    hookimpl,
    upsert_insert,
)

manifest = PluginManifest(
    title=Text("キーワードカウンター", "Keyword counter"),
    description=Text("友だちがキーワードを送った回数を数えます。", "Counts how often friends send a keyword."),
)
KEYWORD = {"type": "object", "properties": {"keyword": {"type": "string", "minLength": 1}}, "required": ["keyword"]}
MIGRATIONS = MigrationLocation(path=Path(__file__).parent / "migrations")  # the plugin's own Alembic branch


class Hit(WorkspaceOwned, Base):  # one counted keyword; WorkspaceOwned: scoped sessions filter and stamp it
    __tablename__ = "keyword_counter_hits"
    __table_args__ = (UniqueConstraint("workspace_id", "step_key"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    friend_id: Mapped[int] = mapped_column(BigId, ForeignKey("friends.id", ondelete="CASCADE"), index=True)
    keyword: Mapped[str] = mapped_column(String(200))
    day: Mapped[date]  # in the workspace's time zone, for the daily report
    step_key: Mapped[str | None] = mapped_column(String(200))  # a retried scenario step counts once


keyword_said = TriggerType(
    name="keyword_said",
    label=Text("キーワードを受信", "Keyword received"),
    config_schema=KEYWORD,
    listens_to=("core.message_received",),  # the core's event for each message a friend sends
    matches=lambda config, event: config["keyword"] in (event.data.get("text") or ""),
    permission="core.search_friends",
)


async def record(ctx: WorkspaceContext, keys: Mapping[int, str | None], keyword: str) -> int:
    """One row per friend in one INSERT; a key already recorded is skipped (the step ran before)."""
    day = ctx.now.astimezone(ZoneInfo(ctx.timezone)).date()
    rows = [{"friend_id": f, "step_key": k, "keyword": keyword, "day": day} for f, k in keys.items()]
    if not rows:
        return 0
    stmt = upsert_insert(ctx.session, Hit).values([{**r, "workspace_id": ctx.workspace_id} for r in rows])
    result = await ctx.session.execute(stmt.on_conflict_do_nothing(index_elements=["workspace_id", "step_key"]))
    return max(int(result.rowcount or 0), 0)


async def count(ctx: ActionContext, friend_id: int, config: Mapping[str, Any]) -> Mapping[str, Any]:
    await record(ctx, {friend_id: ctx.idempotency_key}, config["keyword"])
    return {"keyword": config["keyword"]}


async def count_bulk(ctx: BulkActionContext, friend_ids: Select[Any], config: Mapping[str, Any]) -> int:
    # The scoped session keeps the ids to this workspace's friends; a bulk operation has no step keys.
    ids = await ctx.session.scalars(select(Friend.id).where(Friend.id.in_(friend_ids.correlate(None))))
    keys = {i: ctx.key_for(i) if ctx.idempotency_keys is not None else None for i in ids}
    return await record(ctx, keys, config["keyword"])


count_keyword = ActionType(
    name="count",
    label=Text("キーワードを数える", "Count keyword"),
    config_schema=KEYWORD,
    run=count,
    run_bulk=count_bulk,
)


def total() -> ColumnElement[int]:
    """Each friend's count, as a subquery correlated with ``friends.id``: one friend's branch or a whole segment."""
    return select(func.count(Hit.id)).where(Hit.friend_id == Friend.id).correlate(Friend).scalar_subquery()


at_least = ConditionType(
    name="at_least",
    label=Text("キーワード回数", "Keyword count at least"),
    config_schema={"type": "object", "properties": {"count": {"type": "integer", "minimum": 1}}, "required": ["count"]},
    compile=lambda ctx, config: total() >= config["count"],
    permission="core.search_friends",
)


async def describe(ctx: WorkspaceContext) -> Sequence[FriendFieldDescriptor]:
    return [FriendFieldDescriptor("count", Text("キーワード回数", "Keyword count"), {"type": "integer"}, sortable=True)]


async def load(ctx: WorkspaceContext, ids: Sequence[int], keys: Sequence[str]) -> Mapping[int, Mapping[str, int]]:
    query = select(Hit.friend_id, func.count()).where(Hit.friend_id.in_(ids)).group_by(Hit.friend_id)
    return {f: {"count": n} for f, n in await ctx.session.execute(query)} if "count" in keys else {}


counts = FriendFieldSource(
    name="counts", label=Text("キーワード", "Keywords"), describe=describe, load=load, column=lambda ctx, key: total()
)


async def per_day(ctx: WorkspaceContext, params: Mapping[str, Any]) -> ReportResult:
    since = ctx.now.astimezone(ZoneInfo(ctx.timezone)).date() - timedelta(days=params.get("days", 7) - 1)
    query = select(Hit.day, func.count()).where(Hit.day >= since).group_by(Hit.day).order_by(Hit.day)
    rows = [{"day": day.isoformat(), "hits": n} for day, n in await ctx.session.execute(query)]
    columns = [ReportColumn("day", Text("日付", "Day"), "date"), ReportColumn("hits", Text("回数", "Hits"), "integer")]
    series = ReportSeries("hits", columns[1].label, [(r["day"], float(r["hits"])) for r in rows])
    return ReportResult(columns=columns, rows=rows, series=[series], chart="line")


hits_per_day = ReportType(
    name="per_day",
    label=Text("キーワード回数(日別)", "Keywords per day"),
    params_schema={"type": "object", "properties": {"days": {"type": "integer", "minimum": 1, "maximum": 366}}},
    run=per_day,
)


# Registration hooks, called once at start-up: ``register`` checks each item and names it keyword_counter.<name>.
enishi_register_triggers = hookimpl(lambda register: register(keyword_said))
enishi_register_actions = hookimpl(lambda register: register(count_keyword))
enishi_register_conditions = hookimpl(lambda register: register(at_least))
enishi_register_friend_fields = hookimpl(lambda register: register(counts))
enishi_register_reports = hookimpl(lambda register: register(hits_per_day))
enishi_register_migrations = hookimpl(lambda register: register(MIGRATIONS))
