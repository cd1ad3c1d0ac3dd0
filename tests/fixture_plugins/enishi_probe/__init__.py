"""A test plugin that implements every hook, so the tests can see each one called the way the docs say."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, TypedDict

from litestar import get, post
from litestar.params import JSONBody
from sqlalchemy import func, select, update

from enishi import (
    ActionContext,
    ActionType,
    ApiRoutes,
    ConditionType,
    Ctx,
    DomainEvent,
    EventType,
    Friend,
    FriendFieldDescriptor,
    FriendFieldSource,
    JobContext,
    JobType,
    Permission,
    PluginManifest,
    Register,
    ReportColumn,
    ReportResult,
    ReportType,
    Schedule,
    Text,
    TriggerType,
    WorkspaceContext,
    hookimpl,
)
from enishi.types import Lookup, Resource, ResourceColumn, UiModule

manifest = PluginManifest(
    title=Text("テスト用プラグイン", "Probe"),
    description=Text("すべてのフックを実装するテスト用プラグイン", "Implements every hook, for tests"),
    tier="pro",
    settings_schema={
        "type": "object",
        "properties": {"greeting": {"type": "string", "maxLength": 20}},
        "additionalProperties": False,
    },
)

# What the runtime hooks saw, for assertions: (hook name, workspace id, detail).
CALLS: list[tuple[str, int, Any]] = []


async def rename(ctx: ActionContext, friend_id: int, config: Mapping[str, Any]) -> Mapping[str, Any]:
    """Renames the friend; refuses a friend named 「故障」 (a step that fails for one friend only). It has no
    set-based form, so the engine runs it one friend at a time."""
    current = await ctx.session.scalar(select(Friend.display_name).where(Friend.id == friend_id))
    if current == "故障":
        raise RuntimeError("この友だちは変更できません / this friend cannot be renamed")
    await ctx.session.execute(update(Friend).where(Friend.id == friend_id).values(display_name=config["name"]))
    return {"renamed": friend_id}


def name_is(ctx: WorkspaceContext, config: Mapping[str, Any]) -> Any:
    return Friend.display_name == config["name"]


async def describe(ctx: WorkspaceContext) -> Sequence[FriendFieldDescriptor]:
    return [FriendFieldDescriptor("name_length", Text("名前の長さ", "Name length"), {"type": "integer"})]


async def load(
    ctx: WorkspaceContext, friend_ids: Sequence[int], keys: Sequence[str]
) -> Mapping[int, Mapping[str, Any]]:
    rows = await ctx.session.execute(
        select(Friend.id, func.length(Friend.display_name)).where(Friend.id.in_(friend_ids))
    )
    return {fid: {"name_length": n} for fid, n in rows}


async def by_status(ctx: WorkspaceContext, params: Mapping[str, Any]) -> ReportResult:
    rows = await ctx.session.execute(
        select(Friend.status, func.count()).group_by(Friend.status).order_by(Friend.status)
    )
    return ReportResult(
        columns=[
            ReportColumn("status", Text("状態", "Status")),
            ReportColumn("friends", Text("人数", "Friends"), "integer"),
        ],
        rows=[{"status": s, "friends": n} for s, n in rows],
    )


@get("/hello")
async def hello(ctx: Ctx) -> dict[str, Any]:
    return {"workspace_id": ctx.workspace_id, "greeting": ctx.settings_of("probe").get("greeting", "こんにちは")}


@post("/echo", permission="probe.use", status_code=200)
async def echo(data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
    return data


GREETINGS = [{"id": 1, "name": "こんにちは"}, {"id": 2, "name": "こんばんは"}]
UI_MODULE = Path(__file__).parent / "ui" / "probe.js"


@get("/greetings")
async def greetings() -> list[dict[str, Any]]:
    return GREETINGS


@get("/ping", exclude_from_auth=True)
async def public_ping() -> dict[str, str]:
    return {"pong": "probe"}


async def count_friends(ctx: JobContext, workspace_id: int) -> int:
    async with ctx.db.transaction(workspace_id) as s:
        count = int(await s.scalar(select(func.count()).select_from(Friend)) or 0)
    CALLS.append(("count_friends", workspace_id, count))
    return count


async def tick(ctx: JobContext) -> None:
    CALLS.append(("tick", 0, None))


@hookimpl
def enishi_register_triggers(register: Register[TriggerType]) -> None:
    register(
        TriggerType(
            name="renamed",
            label=Text("名前が変わった", "Renamed"),
            listens_to=("probe.renamed",),
            matches=lambda config, event: True,
        )
    )


class RenamedData(TypedDict):
    name: str


@hookimpl
def enishi_register_events(register: Register[EventType]) -> None:
    register(EventType(name="renamed", description=Text("名前が変わった", "Renamed"), data=RenamedData))


@hookimpl
def enishi_register_actions(register: Register[ActionType]) -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string", "minLength": 1}},
        "required": ["name"],
        "additionalProperties": False,
    }
    register(ActionType(name="rename", label=Text("名前を変える", "Rename"), config_schema=schema, run=rename))


@hookimpl
def enishi_register_conditions(register: Register[ConditionType]) -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    register(ConditionType(name="name_is", label=Text("名前が一致", "Name is"), config_schema=schema, compile=name_is))


@hookimpl
def enishi_register_friend_fields(register: Register[FriendFieldSource]) -> None:
    register(
        FriendFieldSource(name="name_length", label=Text("名前の長さ", "Name length"), describe=describe, load=load)
    )


@hookimpl
def enishi_register_reports(register: Register[ReportType]) -> None:
    register(ReportType(name="by_status", label=Text("状態別", "By status"), run=by_status))


@hookimpl
def enishi_register_routes(register: Register[ApiRoutes]) -> None:
    register(ApiRoutes(handlers=[hello, echo, greetings]))
    register(ApiRoutes(handlers=[public_ping], public=True, name="public"))


@hookimpl
def enishi_register_jobs(register: Register[JobType | Schedule]) -> None:
    register(JobType(name="count_friends", fn=count_friends))
    register(Schedule(name="tick", fn=tick, every=timedelta(hours=1)))


@hookimpl
def enishi_register_permissions(register: Register[Permission]) -> None:
    register(
        Permission(name="use", label=Text("テスト機能を使う", "Use the probe"), roles=frozenset({"owner", "admin"}))
    )


@hookimpl
def enishi_register_screens(register: Register[Lookup | Resource | UiModule]) -> None:
    register(
        Lookup(
            name="greetings",
            label=Text("挨拶", "Greetings"),
            path="/probe/greetings",
            properties={"greeting_id": "integer"},
            widgets=("probeGreeting",),
        )
    )
    # A list only: the probe has no routes that change greetings.
    register(
        Resource(
            name="greetings",
            title=Text("挨拶", "Greetings"),
            path="/probe/greetings",
            item_path="/probe/greetings/{id}",
            schema={
                "type": "object",
                "properties": {"name": {"type": "string", "title": "挨拶 / Greeting", "minLength": 1}},
                "required": ["name"],
                "additionalProperties": False,
            },
            example={"name": "おはよう"},
            columns=(ResourceColumn(field="name", title=Text("挨拶", "Greeting")),),
            create=False,
            update=None,
            delete=False,
        )
    )
    register(UiModule(path=UI_MODULE))


@hookimpl
def enishi_register_migrations(register: Register[Any]) -> None:
    """The probe keeps no tables of its own; it registers nothing here (see the template plugin for one)."""


@hookimpl
def enishi_workspace_plugin_enabled(ctx: WorkspaceContext) -> None:
    CALLS.append(("enabled", ctx.workspace_id, None))


@hookimpl
async def enishi_line_event(ctx: WorkspaceContext, event: dict[str, Any], friend_id: int | None) -> None:
    CALLS.append(("line_event", ctx.workspace_id, (event.get("type"), friend_id)))


@hookimpl
def enishi_friend_followed(ctx: WorkspaceContext, friend_id: int, unblocked: bool) -> None:
    CALLS.append(("followed", ctx.workspace_id, (friend_id, unblocked)))


@hookimpl
async def enishi_friend_unfollowed(ctx: WorkspaceContext, friend_id: int) -> None:
    CALLS.append(("unfollowed", ctx.workspace_id, friend_id))


@hookimpl
def enishi_domain_events(ctx: WorkspaceContext, events: Sequence[DomainEvent]) -> None:
    CALLS.append(("domain_events", ctx.workspace_id, tuple(e.friend_id for e in events)))


@hookimpl
def enishi_domain_event(ctx: WorkspaceContext, event: DomainEvent) -> None:
    CALLS.append(("domain_event", ctx.workspace_id, event.name))
