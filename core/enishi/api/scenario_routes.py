"""Scenario routes under ``/api/workspaces/{workspace_id}/scenarios``: drafts, publishing, runs, dry runs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy import func, select

from enishi.api.errors import ApiError, invalid, not_found
from enishi.api.node_permissions import require_node_permissions
from enishi.api.pagination import Page, keyset_by_id, page_of
from enishi.api.params import Access, Ctx, Db
from enishi.audit import add_details
from enishi.context import WorkspaceContext
from enishi.db.base import utcnow
from enishi.models import Friend
from enishi.models.scenarios import Scenario, ScenarioRun, ScenarioStep, ScenarioVersion
from enishi.nodes import InvalidConfig
from enishi.registry import Unavailable
from enishi.scenarios import lifecycle
from enishi.scenarios.document import Problem, validate_document
from enishi.scenarios.dry_run import DryRunError, HypotheticalFriend, dry_run
from enishi.scenarios.engine import start_for_friends, stop_for_friend

Limit = Annotated[int, Parameter(ge=1, le=200)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Folder = Annotated[str, msgspec.Meta(max_length=100)]
RunStatus = Annotated[str, msgspec.Meta(pattern=r"^(active|waiting|paused|completed|exited|stopped|failed)$")]


class ScenarioIn(msgspec.Struct):
    name: Name
    folder: Folder | None = None
    description: Annotated[str, msgspec.Meta(max_length=2000)] | None = None
    document: dict[str, Any] | None = None


class ScenarioPatch(msgspec.Struct, omit_defaults=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    folder: Folder | msgspec.UnsetType | None = msgspec.UNSET
    description: Annotated[str, msgspec.Meta(max_length=2000)] | msgspec.UnsetType | None = msgspec.UNSET


class VersionOut(msgspec.Struct):
    id: int
    number: int
    published_at: datetime
    published_by: int | None


class ScenarioOut(msgspec.Struct):
    id: int
    name: str
    folder: str | None
    description: str | None
    status: str
    draft_changed: bool
    current_version: VersionOut | None
    live_runs: int
    created_at: datetime
    updated_at: datetime


class HeldOut(msgspec.Struct):
    count: int  # runs at this node waiting out quiet hours before its send
    until: datetime  # the earliest of them goes on then


class ScenarioDetailOut(msgspec.Struct):
    scenario: ScenarioOut
    draft: dict[str, Any]  # the document with its layout
    problems: list[dict[str, Any]]  # what stops the draft from being published (empty when it can be)
    runs_by_status: dict[str, int]
    waiting_by_node: dict[str, int]
    held_by_node: dict[str, HeldOut] = msgspec.field(default_factory=dict)


class ProblemsOut(msgspec.Struct):
    problems: list[dict[str, Any]]


class StopIn(msgspec.Struct):
    end_running: bool = False


class StopOut(msgspec.Struct):
    scenario: ScenarioOut
    ended_runs: int


class ImportOut(msgspec.Struct):
    scenario: ScenarioOut
    problems: list[dict[str, Any]]


class StartIn(msgspec.Struct):
    friend_ids: Annotated[list[Annotated[int, msgspec.Meta(ge=1)]], msgspec.Meta(min_length=1, max_length=10_000)]


class StartOut(msgspec.Struct):
    started: int


class StepOut(msgspec.Struct):
    node_id: str
    visit: int
    node_type: str
    port: str | None
    result: dict[str, Any]
    started_at: datetime
    finished_at: datetime


class RunOut(msgspec.Struct):
    id: int
    friend_id: int
    version_id: int
    status: str
    node_id: str
    resume_at: datetime | None
    source: str
    error: str | None
    started_at: datetime
    ended_at: datetime | None


class RunDetailOut(msgspec.Struct):
    run: RunOut
    steps: list[StepOut]


class SetupAction(msgspec.Struct):
    type: str
    config: dict[str, Any]
    type_version: int | None = None


class HypotheticalIn(msgspec.Struct):
    display_name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] = "テスト太郎"
    setup: Annotated[list[SetupAction], msgspec.Meta(max_length=50)] = msgspec.field(default_factory=list)


class DryRunIn(msgspec.Struct):
    source: Annotated[str, msgspec.Meta(pattern=r"^(draft|published)$")] = "draft"
    friend_id: int | None = None
    friend: HypotheticalIn | None = None
    start_at: datetime | None = None
    entry_node_id: str | None = None
    events: list[str] = msgspec.field(default_factory=list)  # wait-for-event nodes whose event happens


class DryStepOut(msgspec.Struct):
    node_id: str
    node_type: str
    kind: str
    at: datetime
    port: str | None
    detail: dict[str, Any]
    held_reason: str | None = None  # quiet_hours: a push held until ``at``, when the quiet hours end
    held_from: datetime | None = None  # when it would have been sent


class DryRunOut(msgspec.Struct):
    steps: list[DryStepOut]
    outcome: str


def problem_dicts(problems: list[Problem]) -> list[dict[str, Any]]:
    return [p.as_dict() for p in problems]


async def scenario_out(db: Any, s: Scenario) -> ScenarioOut:
    version = await db.get(ScenarioVersion, s.current_version_id) if s.current_version_id else None
    live = await db.scalar(
        select(func.count())
        .select_from(ScenarioRun)
        .where(ScenarioRun.scenario_id == s.id, ScenarioRun.ended_at.is_(None))
    )
    return ScenarioOut(
        id=s.id,
        name=s.name,
        folder=s.folder,
        description=s.description,
        status=s.status,
        draft_changed=s.draft_changed,
        current_version=VersionOut(version.id, version.number, version.published_at, version.published_by)
        if version
        else None,
        live_runs=int(live or 0),
        created_at=s.created_at,
        updated_at=s.updated_at,
    )


async def _scenario(db: Any, scenario_id: int) -> Scenario:
    scenario = await db.get(Scenario, scenario_id)
    if scenario is None:
        raise not_found("scenario")
    return scenario


async def _published_document(ctx: WorkspaceContext, scenario: Scenario) -> dict[str, Any]:
    if scenario.current_version_id is None:
        return {}
    return (await ctx.session.get_one(ScenarioVersion, scenario.current_version_id)).document


def _structural(document: Any) -> None:
    problems = lifecycle.structural_problems(document)
    if problems:
        raise invalid([{"path": p.path, "message": p.message} for p in problems])


class ScenarioController(Controller):
    path = "/scenarios"
    tags = ("scenarios",)

    @get("/")
    async def list_scenarios(
        self, db: Db, status: FromQuery[str | None] = None, after: FromQuery[str | None] = None, limit: Limit = 50
    ) -> Page[ScenarioOut]:
        query = select(Scenario)
        if status is not None:
            if status not in ("draft", "active", "stopped"):
                raise ApiError(
                    400,
                    "bad_status",
                    "status must be draft, active or stopped",
                    [{"path": "query:status", "message": "draft / active / stopped"}],
                )
            query = query.where(Scenario.status == status)
        rows, cursor = page_of(
            list((await db.scalars(keyset_by_id(query, Scenario.id, after, limit))).all()), limit, lambda s: s.id
        )
        return Page([await scenario_out(db, s) for s in rows], cursor)

    @post("/", status_code=201)
    async def create_scenario(
        self, request: Request[Any, Any, Any], ctx: Ctx, access: Access, data: JSONBody[ScenarioIn]
    ) -> ScenarioDetailOut:
        if data.document is not None:
            _structural(data.document)
            await require_node_permissions(ctx, access, data.document)
        scenario = await lifecycle.create(
            ctx, data.name, folder=data.folder, description=data.description, document=data.document
        )
        add_details(request, scenario_id=scenario.id)
        return await self._detail(ctx, scenario)

    @post("/validate", status_code=200)
    async def validate(self, ctx: Ctx, data: JSONBody[dict[str, Any]]) -> ProblemsOut:
        """Every problem of a document, without storing it (the builder calls this as you edit)."""
        return ProblemsOut(problem_dicts(await validate_document(ctx, lifecycle.split_layout(data)[0])))

    @post("/import", status_code=201)
    async def import_scenario(
        self, request: Request[Any, Any, Any], ctx: Ctx, access: Access, data: JSONBody[dict[str, Any]]
    ) -> ImportOut:
        problems = []
        if data.get("format") != lifecycle.EXPORT_FORMAT:
            problems.append({"path": "$.format", "message": f"must be {lifecycle.EXPORT_FORMAT!r}"})
        name = data.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 200:
            problems.append({"path": "$.name", "message": "1〜200文字 / 1 to 200 characters"})
        if problems:
            raise invalid(problems)
        document = data.get("document")
        structural = lifecycle.structural_problems(
            {k: v for k, v in document.items() if k != "layout"} if isinstance(document, dict) else document
        )
        if structural:
            raise invalid([{"path": "$.document" + p.path[1:], "message": p.message} for p in structural])
        try:
            await require_node_permissions(ctx, access, document)
        except ApiError as exc:
            exc.errors = [{**e, "path": "$.document" + e["path"][1:]} for e in exc.errors]
            raise
        scenario, found = await lifecycle.import_(ctx, data)
        add_details(request, scenario_id=scenario.id)
        return ImportOut(await scenario_out(ctx.session, scenario), problem_dicts(found))

    @get("/{scenario_id:int}")
    async def show(self, ctx: Ctx, scenario_id: FromPath[int]) -> ScenarioDetailOut:
        return await self._detail(ctx, await _scenario(ctx.session, scenario_id))

    @patch("/{scenario_id:int}")
    async def update(self, ctx: Ctx, scenario_id: FromPath[int], data: JSONBody[ScenarioPatch]) -> ScenarioOut:
        scenario = await _scenario(ctx.session, scenario_id)
        for field in ("name", "folder", "description"):
            value = getattr(data, field)
            if value is not msgspec.UNSET:
                setattr(scenario, field, value)
        await ctx.session.flush()
        return await scenario_out(ctx.session, scenario)

    @delete("/{scenario_id:int}", status_code=204)
    async def remove(
        self, request: Request[Any, Any, Any], ctx: Ctx, scenario_id: FromPath[int], stop_runs: FromQuery[bool] = False
    ) -> None:
        """Delete the scenario; friends still in it are refused (409) unless ``stop_runs`` says to stop them."""
        scenario = await _scenario(ctx.session, scenario_id)
        live = await lifecycle.live_runs(ctx, scenario.id)
        if live and not stop_runs:
            raise ApiError(
                409, "running", "実行中の友だちがいます。先に停止してください / stop the running friends first"
            )
        add_details(request, stopped_runs=live)
        await ctx.session.delete(scenario)

    @put("/{scenario_id:int}/draft")
    async def save_draft(
        self, ctx: Ctx, access: Access, scenario_id: FromPath[int], data: JSONBody[dict[str, Any]]
    ) -> ProblemsOut:
        """Store the draft; the answer lists what still stops it from being published."""
        scenario = await _scenario(ctx.session, scenario_id)
        _structural(data)
        await require_node_permissions(ctx, access, data, scenario_id=scenario.id)
        return ProblemsOut(problem_dicts(await lifecycle.save_draft(ctx, scenario, data)))

    @post("/{scenario_id:int}/publish", status_code=200)
    async def publish(
        self, request: Request[Any, Any, Any], ctx: Ctx, access: Access, scenario_id: FromPath[int]
    ) -> ScenarioOut:
        scenario = await _scenario(ctx.session, scenario_id)
        # Checked again here: the draft may have been saved by someone who holds permissions this user lacks.
        await require_node_permissions(ctx, access, scenario.draft, scenario_id=scenario.id)
        try:
            version = await lifecycle.publish(ctx, scenario)
        except lifecycle.NotPublishable as exc:
            raise ApiError(
                422,
                "not_publishable",
                "公開できません。問題を直してください / fix the problems to publish",
                problem_dicts(exc.problems),
            ) from None
        add_details(request, version=version.number)
        return await scenario_out(ctx.session, scenario)

    @post("/{scenario_id:int}/stop", status_code=200)
    async def stop(
        self, request: Request[Any, Any, Any], ctx: Ctx, scenario_id: FromPath[int], data: JSONBody[StopIn]
    ) -> StopOut:
        scenario = await _scenario(ctx.session, scenario_id)
        ended = await lifecycle.stop(ctx, scenario, end_running=data.end_running)
        add_details(request, ended_runs=ended)
        return StopOut(await scenario_out(ctx.session, scenario), ended)

    @post("/{scenario_id:int}/restart", status_code=200)
    async def restart(self, ctx: Ctx, access: Access, scenario_id: FromPath[int]) -> ScenarioOut:
        scenario = await _scenario(ctx.session, scenario_id)
        await require_node_permissions(ctx, access, await _published_document(ctx, scenario), scenario_id=scenario.id)
        try:
            await lifecycle.restart(ctx, scenario)
        except lifecycle.NotPublishable as exc:
            raise ApiError(409, "not_published", str(exc), problem_dicts(exc.problems)) from None
        return await scenario_out(ctx.session, scenario)

    @get("/{scenario_id:int}/versions")
    async def versions(self, db: Db, scenario_id: FromPath[int]) -> list[VersionOut]:
        await _scenario(db, scenario_id)
        rows = await db.scalars(
            select(ScenarioVersion).where(ScenarioVersion.scenario_id == scenario_id).order_by(ScenarioVersion.number)
        )
        return [VersionOut(v.id, v.number, v.published_at, v.published_by) for v in rows]

    @get("/{scenario_id:int}/versions/{number:int}")
    async def version(self, db: Db, scenario_id: FromPath[int], number: FromPath[int]) -> dict[str, Any]:
        version = await db.scalar(
            select(ScenarioVersion).where(ScenarioVersion.scenario_id == scenario_id, ScenarioVersion.number == number)
        )
        if version is None:
            raise not_found("version")
        return {**version.document, "layout": version.layout}

    @get("/{scenario_id:int}/export")
    async def export(
        self, ctx: Ctx, scenario_id: FromPath[int], version: FromQuery[int | None] = None
    ) -> dict[str, Any]:
        """The published version (``?version=n``) or the draft, as a file to import elsewhere."""
        scenario = await _scenario(ctx.session, scenario_id)
        row = None
        if version is not None:
            row = await ctx.session.scalar(
                select(ScenarioVersion).where(
                    ScenarioVersion.scenario_id == scenario_id, ScenarioVersion.number == version
                )
            )
            if row is None:
                raise not_found("version")
        return await lifecycle.export(ctx, scenario, version=row)

    @get("/{scenario_id:int}/runs")
    async def runs(
        self,
        db: Db,
        scenario_id: FromPath[int],
        status: FromQuery[RunStatus | None] = None,
        friend_id: FromQuery[int | None] = None,
        after: FromQuery[str | None] = None,
        limit: Limit = 50,
    ) -> Page[RunOut]:
        await _scenario(db, scenario_id)
        query = select(ScenarioRun).where(ScenarioRun.scenario_id == scenario_id)
        if status is not None:
            query = query.where(ScenarioRun.status == status)
        if friend_id is not None:
            query = query.where(ScenarioRun.friend_id == friend_id)
        rows, cursor = page_of(
            list((await db.scalars(keyset_by_id(query, ScenarioRun.id, after, limit))).all()), limit, lambda r: r.id
        )
        return Page([_run_out(r) for r in rows], cursor)

    @post("/{scenario_id:int}/runs", status_code=200)
    async def start(
        self,
        request: Request[Any, Any, Any],
        ctx: Ctx,
        access: Access,
        scenario_id: FromPath[int],
        data: JSONBody[StartIn],
    ) -> StartOut:
        """Start the published scenario for these friends (blocked ones and those already in it are skipped).

        Needs the permission of every node in it; when it sends messages, more than a few friends need the
        broadcast permission too."""
        scenario = await _scenario(ctx.session, scenario_id)
        if scenario.status != "active":
            raise ApiError(409, "not_active", "公開中のシナリオではありません / the scenario is not running")
        await require_node_permissions(
            ctx,
            access,
            await _published_document(ctx, scenario),
            scenario_id=scenario.id,
            friends=len(set(data.friend_ids)),
        )
        started = await start_for_friends(
            ctx, scenario_id, select(Friend.id).where(Friend.id.in_(data.friend_ids)), source="manual"
        )
        add_details(request, started=started)
        return StartOut(started)

    @get("/{scenario_id:int}/runs/{run_id:int}")
    async def run(self, db: Db, scenario_id: FromPath[int], run_id: FromPath[int]) -> RunDetailOut:
        run = await db.get(ScenarioRun, run_id)
        if run is None or run.scenario_id != scenario_id:
            raise not_found("run")
        steps = await db.scalars(select(ScenarioStep).where(ScenarioStep.run_id == run_id).order_by(ScenarioStep.id))
        return RunDetailOut(
            _run_out(run),
            [StepOut(s.node_id, s.visit, s.node_type, s.port, s.result, s.started_at, s.finished_at) for s in steps],
        )

    @post("/{scenario_id:int}/runs/{run_id:int}/stop", status_code=200)
    async def stop_run(self, ctx: Ctx, scenario_id: FromPath[int], run_id: FromPath[int]) -> RunOut:
        run = await ctx.session.get(ScenarioRun, run_id)
        if run is None or run.scenario_id != scenario_id:
            raise not_found("run")
        await stop_for_friend(ctx, scenario_id, run.friend_id)
        await ctx.session.refresh(run)
        return _run_out(run)

    @post("/{scenario_id:int}/dry-run", status_code=200)
    async def dry_run(self, ctx: Ctx, scenario_id: FromPath[int], data: JSONBody[DryRunIn]) -> DryRunOut:
        """The path a real or described friend would take, with the time of each step; nothing is sent or kept."""
        scenario = await _scenario(ctx.session, scenario_id)
        if (data.friend_id is None) == (data.friend is None):
            raise invalid(
                [{"path": "$.friend_id", "message": "friend_id か friend のどちらか一方 / give friend_id or friend"}]
            )
        if data.source == "published":
            if scenario.current_version_id is None:
                raise invalid([{"path": "$.source", "message": "まだ公開されていません / not published yet"}])
            document = (await ctx.session.get_one(ScenarioVersion, scenario.current_version_id)).document
        else:
            problems = await validate_document(ctx, scenario.draft)
            if problems:
                raise ApiError(
                    422, "not_runnable", "下書きに問題があります / the draft has problems", problem_dicts(problems)
                )
            document = scenario.draft
        hypothetical = (
            HypotheticalFriend(data.friend.display_name, [msgspec.to_builtins(a) for a in data.friend.setup])
            if data.friend
            else None
        )
        try:
            steps, outcome = await dry_run(
                ctx,
                document,
                friend_id=data.friend_id,
                hypothetical=hypothetical,
                start_at=data.start_at or utcnow(),
                entry_node_id=data.entry_node_id,
                events=frozenset(data.events),
            )
        except DryRunError as exc:
            raise invalid([{"path": exc.path, "message": str(exc)}]) from None
        except InvalidConfig as exc:
            raise invalid(
                [{"path": "$.friend.setup" + p.path[1:], "message": p.message} for p in exc.problems]
            ) from None
        except Unavailable as exc:
            raise invalid([{"path": "$.friend.setup", "message": str(exc)}]) from None
        return DryRunOut(
            [
                DryStepOut(s.node_id, s.node_type, s.kind, s.at, s.port, dict(s.detail), s.held_reason, s.held_from)
                for s in steps
            ],
            outcome,
        )

    async def _detail(self, ctx: WorkspaceContext, scenario: Scenario) -> ScenarioDetailOut:
        by_status = dict(
            (
                await ctx.session.execute(
                    select(ScenarioRun.status, func.count())
                    .where(ScenarioRun.scenario_id == scenario.id)
                    .group_by(ScenarioRun.status)
                )
            ).all()
        )
        by_node = dict(
            (
                await ctx.session.execute(
                    select(ScenarioRun.node_id, func.count())
                    .where(
                        ScenarioRun.scenario_id == scenario.id, ScenarioRun.status.in_(("waiting", "active", "paused"))
                    )
                    .group_by(ScenarioRun.node_id)
                )
            ).all()
        )
        held = (
            await ctx.session.execute(
                select(ScenarioRun.node_id, func.count(), func.min(ScenarioRun.resume_at))
                .where(
                    ScenarioRun.scenario_id == scenario.id,
                    ScenarioRun.status == "waiting",
                    ScenarioRun.wait_reason == "quiet_hours",
                )
                .group_by(ScenarioRun.node_id)
            )
        ).all()
        return ScenarioDetailOut(
            held_by_node={node: HeldOut(int(n), until) for node, n, until in held if until is not None},
            scenario=await scenario_out(ctx.session, scenario),
            draft={**scenario.draft, "layout": scenario.draft_layout},
            problems=problem_dicts(await validate_document(ctx, scenario.draft)),
            runs_by_status={k: int(v) for k, v in by_status.items()},
            waiting_by_node={k: int(v) for k, v in by_node.items()},
        )


def _run_out(r: ScenarioRun) -> RunOut:
    return RunOut(
        id=r.id,
        friend_id=r.friend_id,
        version_id=r.version_id,
        status=r.status,
        node_id=r.node_id,
        resume_at=r.resume_at,
        source=r.source,
        error=r.error,
        started_at=r.started_at,
        ended_at=r.ended_at,
    )
