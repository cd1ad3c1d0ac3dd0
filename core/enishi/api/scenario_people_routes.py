"""Who is in a scenario, and the scenario list's own chores, under ``/api/workspaces/{workspace_id}/scenarios``:
subscribers (filter, stop, move), a friend's scenarios (stop, restart), copying, folders, and what publishing
would change."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy import func, select

from enishi.api.errors import ApiError, invalid, not_found
from enishi.api.node_permissions import require_node_permissions
from enishi.api.pagination import Page, keyset_by_id, page_of
from enishi.api.params import Access, Ctx, Db
from enishi.api.scenario_routes import Folder, Name, ScenarioOut, _published_document, _scenario, scenario_out
from enishi.audit import add_details
from enishi.models import Friend
from enishi.models.scenarios import ScenarioRun, ScenarioVersion
from enishi.scenarios import lifecycle
from enishi.scenarios.changes import compare
from enishi.scenarios.document import Graph, validate_document
from enishi.scenarios.friend_runs import FriendRun, Moment, friend_runs
from enishi.scenarios.graphs import graph_of
from enishi.scenarios.subscribers import move_runs, resume_run, stop_runs, subscribers_query
from enishi.scenarios.titles import node_title

Limit = Annotated[int, Parameter(ge=1, le=200)]
RunIds = Annotated[list[Annotated[int, msgspec.Meta(ge=1)]], msgspec.Meta(min_length=1, max_length=10_000)]
# What the list filters on: ``live`` (still in it), ``held`` (waiting out quiet hours) or a run's status.
SUBSCRIBER_STATUSES = ("live", "held", "active", "waiting", "paused", "completed", "exited", "stopped", "failed")
NodeId = Annotated[str, msgspec.Meta(min_length=1, max_length=36)]


class Title(msgspec.Struct):
    ja: str
    en: str


class SubscriberOut(msgspec.Struct):
    run_id: int
    friend_id: int
    friend_name: str
    status: str
    node_id: str
    node_title: Title
    since: datetime  # when the run last moved (reached its node, or was held there)
    resume_at: datetime | None
    held: bool  # waiting out quiet hours before a send
    version: int
    started_at: datetime
    ended_at: datetime | None


class RunsIn(msgspec.Struct):
    run_ids: RunIds


class MoveIn(msgspec.Struct):
    run_ids: RunIds
    node_id: NodeId


class CountOut(msgspec.Struct):
    count: int


class CopyIn(msgspec.Struct):
    name: Name | None = None


class FolderRenameIn(msgspec.Struct):
    folder: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    to: Folder | None = None  # None or "": the folder goes, its scenarios stay, in no folder


class FolderMoveIn(msgspec.Struct):
    scenario_ids: Annotated[list[Annotated[int, msgspec.Meta(ge=1)]], msgspec.Meta(min_length=1, max_length=1000)]
    folder: Folder | None = None  # a new name makes the folder; None or "": out of any folder


class MomentOut(msgspec.Struct):
    node_id: str
    title: Title
    at: datetime | None
    reason: str | None  # quiet_hours (held until quiet hours end) or wait (a wait step ends then)


class FriendRunOut(msgspec.Struct):
    run_id: int
    scenario_id: int
    scenario_name: str
    status: str
    step: MomentOut
    last_sent: MomentOut | None
    next: MomentOut | None
    started_at: datetime
    ended_at: datetime | None


class NodeChangeOut(msgspec.Struct):
    node_id: str
    title: Title


class PublishPreviewOut(msgspec.Struct):
    first_publish: bool
    added: list[NodeChangeOut]
    removed: list[NodeChangeOut]
    changed: list[NodeChangeOut]
    edges_changed: bool
    settings_changed: bool
    live_runs: int  # friends in the scenario now: they go on in the version they started on
    problems: int  # what still stops publishing


def _moment(m: Moment | None) -> MomentOut | None:
    return MomentOut(m.node_id, Title(**m.title), m.at, m.reason) if m else None


def _friend_run(r: FriendRun) -> FriendRunOut:
    step = _moment(r.step)
    assert step is not None
    return FriendRunOut(
        r.run_id,
        r.scenario_id,
        r.scenario_name,
        r.status,
        step,
        _moment(r.last_sent),
        _moment(r.next),
        r.started_at,
        r.ended_at,
    )


class ScenarioPeopleController(Controller):
    path = "/scenarios"
    tags = ("scenarios",)

    @get("/{scenario_id:int}/subscribers")
    async def subscribers(
        self,
        ctx: Ctx,
        scenario_id: FromPath[int],
        node_id: FromQuery[str | None] = None,
        status: FromQuery[str | None] = None,
        q: FromQuery[str | None] = None,
        after: FromQuery[str | None] = None,
        limit: Limit = 50,
    ) -> Page[SubscriberOut]:
        """Who is (or was) in the scenario, newest first: at which node since when, filtered by node, status
        (``live``: still in it, ``held``: waiting out quiet hours) and name."""
        await _scenario(ctx.session, scenario_id)
        problems = []
        if status is not None and status not in SUBSCRIBER_STATUSES:
            problems.append({"path": "query:status", "message": " / ".join(SUBSCRIBER_STATUSES)})
        if q is not None and len(q) > 200:
            problems.append({"path": "query:q", "message": "200文字まで / at most 200 characters"})
        if node_id is not None and len(node_id) > 36:
            problems.append({"path": "query:node_id", "message": "36文字まで / at most 36 characters"})
        if problems:
            raise ApiError(400, "bad_query", "検索条件が正しくありません / the filter is not valid", problems)
        query = subscribers_query(scenario_id, node_id=node_id, status=status, text=(q or "").strip() or None)
        rows = (await ctx.session.execute(keyset_by_id(query, ScenarioRun.id, after, limit, descending=True))).all()
        rows, cursor = page_of(list(rows), limit, lambda row: row[0].id)
        versions = dict(
            (
                await ctx.session.execute(
                    select(ScenarioVersion.id, ScenarioVersion.number).where(ScenarioVersion.scenario_id == scenario_id)
                )
            ).all()
        )
        items = []
        graphs: dict[int, Graph] = {}  # a page's runs share a few versions: read each document once
        for run, friend in rows:
            if run.version_id not in graphs:
                graphs[run.version_id] = await graph_of(ctx, run.version_id)
            graph = graphs[run.version_id]
            items.append(
                SubscriberOut(
                    run_id=run.id,
                    friend_id=friend.id,
                    friend_name=friend.shown_name,
                    status=run.status,
                    node_id=run.node_id,
                    node_title=Title(**node_title(ctx.host.registry, graph.nodes.get(run.node_id))),
                    since=run.updated_at,
                    resume_at=run.resume_at if run.ended_at is None else None,
                    held=run.status == "waiting" and run.wait_reason == "quiet_hours",
                    version=int(versions.get(run.version_id, 0)),
                    started_at=run.started_at,
                    ended_at=run.ended_at,
                )
            )
        return Page(items, cursor)

    @post("/{scenario_id:int}/subscribers/stop", status_code=200)
    async def stop_subscribers(
        self, request: Request[Any, Any, Any], ctx: Ctx, scenario_id: FromPath[int], data: JSONBody[RunsIn]
    ) -> CountOut:
        """The chosen friends leave the scenario now (one UPDATE)."""
        await _scenario(ctx.session, scenario_id)
        stopped = await stop_runs(ctx, scenario_id, data.run_ids)
        add_details(request, stopped=stopped)
        return CountOut(stopped)

    @post("/{scenario_id:int}/subscribers/move", status_code=200)
    async def move_subscribers(
        self,
        request: Request[Any, Any, Any],
        ctx: Ctx,
        access: Access,
        scenario_id: FromPath[int],
        data: JSONBody[MoveIn],
    ) -> CountOut:
        """The chosen friends go on from another step now; it runs for them as if they had just reached it."""
        scenario = await _scenario(ctx.session, scenario_id)
        document = await _published_document(ctx, scenario)
        if not any(n["id"] == data.node_id for n in document.get("nodes", [])):
            raise invalid(
                [{"path": "$.node_id", "message": "公開中のバージョンにないステップです / not a published step"}]
            )
        await require_node_permissions(
            ctx, access, document, scenario_id=scenario.id, friends=len(set(data.run_ids)), friends_path="$.run_ids"
        )
        moved = await move_runs(ctx, scenario_id, data.run_ids, data.node_id)
        add_details(request, moved=moved, node_id=data.node_id)
        return CountOut(moved)

    @post("/{scenario_id:int}/runs/{run_id:int}/restart", status_code=200)
    async def restart_run(
        self,
        request: Request[Any, Any, Any],
        ctx: Ctx,
        access: Access,
        scenario_id: FromPath[int],
        run_id: FromPath[int],
    ) -> FriendRunOut:
        """A stopped friend goes on from the step where they were stopped."""
        scenario = await _scenario(ctx.session, scenario_id)
        run = await ctx.session.get(ScenarioRun, run_id)
        if run is None or run.scenario_id != scenario_id:
            raise not_found("run")
        version = await ctx.session.get_one(ScenarioVersion, run.version_id)
        await require_node_permissions(ctx, access, version.document, scenario_id=scenario.id, friends=1)
        new_id = await resume_run(ctx, scenario_id, run_id)
        if new_id is None:
            raise ApiError(
                409,
                "not_restartable",
                "再開できません（停止中ではない、すでに参加中、またはブロック中の友だちです）"
                " / only a stopped run of a following friend not already in the scenario can go on",
            )
        add_details(request, run_id=new_id)
        mine = [r for r in await friend_runs(ctx, run.friend_id) if r.run_id == new_id]
        return _friend_run(mine[0])

    @get("/friends/{friend_id:int}")
    async def of_friend(self, ctx: Ctx, friend_id: FromPath[int]) -> list[FriendRunOut]:
        """Each scenario the friend is in or was last in: step, last send, next send and when (and why it waits)."""
        if await ctx.session.get(Friend, friend_id) is None:
            raise not_found("friend")
        return [_friend_run(r) for r in await friend_runs(ctx, friend_id)]

    @post("/{scenario_id:int}/copy", status_code=201)
    async def copy(
        self, request: Request[Any, Any, Any], ctx: Ctx, scenario_id: FromPath[int], data: JSONBody[CopyIn]
    ) -> ScenarioOut:
        """A new draft with this scenario's draft (nobody in it, not published)."""
        scenario = await _scenario(ctx.session, scenario_id)
        name = data.name or f"{scenario.name} のコピー"[:200]
        copied = await lifecycle.copy(ctx, scenario, name)
        add_details(request, scenario_id=copied.id, copied_from=scenario.id)
        return await scenario_out(ctx.session, copied)

    @post("/folders/rename", status_code=200)
    async def rename_folder(self, ctx: Ctx, data: JSONBody[FolderRenameIn]) -> CountOut:
        """Rename a folder (all its scenarios move), or remove it (``to`` empty: they stay, in no folder)."""
        return CountOut(await lifecycle.rename_folder(ctx, data.folder, (data.to or "").strip() or None))

    @post("/folders/move", status_code=200)
    async def move_to_folder(self, ctx: Ctx, data: JSONBody[FolderMoveIn]) -> CountOut:
        """Put scenarios into a folder: a folder is made by putting the first scenarios in it."""
        folder = (data.folder or "").strip() or None
        return CountOut(await lifecycle.move_to_folder(ctx, sorted(set(data.scenario_ids)), folder))

    @get("/{scenario_id:int}/publish-preview")
    async def publish_preview(self, db: Db, ctx: Ctx, scenario_id: FromPath[int]) -> PublishPreviewOut:
        """What publishing the saved draft would change against the published version, and whom it concerns."""
        scenario = await _scenario(db, scenario_id)
        published = await _published_document(ctx, scenario) if scenario.current_version_id else None
        found = compare(ctx.host.registry, published, scenario.draft)
        live = await db.scalar(
            select(func.count())
            .select_from(ScenarioRun)
            .where(ScenarioRun.scenario_id == scenario.id, ScenarioRun.ended_at.is_(None))
        )
        problems = await validate_document(ctx, scenario.draft)

        def out(items: list[dict[str, Any]]) -> list[NodeChangeOut]:
            return [NodeChangeOut(i["node_id"], Title(**i["title"])) for i in items]

        return PublishPreviewOut(
            first_publish=published is None,
            added=out(found.added),
            removed=out(found.removed),
            changed=out(found.changed),
            edges_changed=found.edges_changed,
            settings_changed=found.settings_changed,
            live_runs=int(live or 0),
            problems=len(problems),
        )
