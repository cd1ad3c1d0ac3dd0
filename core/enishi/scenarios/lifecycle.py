"""A scenario's life: a draft edited freely, immutable published versions, stopping, copying between workspaces.

Publishing validates the whole draft (every problem at once), freezes it as version n+1 and points new
enrolments at it; runs that started on an older version stay on it. Stopping ends new enrolments and, when
asked, the running ones.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from enishi.context import WorkspaceContext
from enishi.models.scenarios import Scenario, ScenarioRun, ScenarioTrigger, ScenarioVersion
from enishi.scenarios.changes import same_document
from enishi.scenarios.document import Problem, document_schema, empty_document, validate_document
from enishi.scenarios.engine import end_runs
from enishi.schema_validation import validate

EXPORT_FORMAT = "enishi.scenario/1"


class NotPublishable(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s)")


def structural_problems(document: Any) -> list[Problem]:
    """Problems that stop a draft from being stored at all (it must stay loadable by the builder)."""
    return [Problem(None, p.path, p.message) for p in validate(document_schema(), document)]


def split_layout(document: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Config and layout are kept apart: the engine never reads positions, the builder never loses them."""
    doc = {k: v for k, v in document.items() if k != "layout"}
    return doc, dict(document.get("layout") or {})


async def create(
    ctx: WorkspaceContext,
    name: str,
    *,
    folder: str | None = None,
    description: str | None = None,
    document: dict[str, Any] | None = None,
) -> Scenario:
    doc, layout = split_layout(document or empty_document())
    scenario = Scenario(
        workspace_id=ctx.workspace_id,
        name=name,
        folder=folder,
        description=description,
        status="draft",
        draft=doc,
        draft_layout=layout,
        draft_changed=True,
        created_by=ctx.actor_user_id,
    )
    ctx.session.add(scenario)
    await ctx.session.flush()
    return scenario


async def save_draft(ctx: WorkspaceContext, scenario: Scenario, document: dict[str, Any]) -> list[Problem]:
    """Store the draft (it must be structurally valid) and return what would stop it from being published.

    A draft saved as the published version is (a dry run saves before it runs) is no change: the scenario does
    not show a draft waiting to be published."""
    doc, layout = split_layout(document)
    published = await _published_document(ctx, scenario)
    scenario.draft, scenario.draft_layout = doc, layout
    scenario.draft_changed = published is None or not same_document(doc, published)
    return await validate_document(ctx, doc)


async def _published_document(ctx: WorkspaceContext, scenario: Scenario) -> dict[str, Any] | None:
    if scenario.current_version_id is None:
        return None
    return (await ctx.session.get_one(ScenarioVersion, scenario.current_version_id)).document


async def publish(ctx: WorkspaceContext, scenario: Scenario) -> ScenarioVersion:
    problems = await validate_document(ctx, scenario.draft)
    if problems:
        raise NotPublishable(problems)
    last = await ctx.session.scalar(
        select(func.max(ScenarioVersion.number)).where(ScenarioVersion.scenario_id == scenario.id)
    )
    version = ScenarioVersion(
        workspace_id=ctx.workspace_id,
        scenario_id=scenario.id,
        number=int(last or 0) + 1,
        document=scenario.draft,
        layout=scenario.draft_layout,
        published_by=ctx.actor_user_id,
        published_at=ctx.now,
    )
    ctx.session.add(version)
    await ctx.session.flush()
    await _index_triggers(ctx, scenario.id, version)
    scenario.current_version_id, scenario.status, scenario.draft_changed = version.id, "active", False
    return version


async def _index_triggers(ctx: WorkspaceContext, scenario_id: int, version: ScenarioVersion) -> None:
    """One row per (trigger node, event it listens to) of the new version; the old version's rows go."""
    await ctx.session.execute(
        delete(ScenarioTrigger)
        .where(ScenarioTrigger.scenario_id == scenario_id)
        .execution_options(synchronize_session=False)
    )
    rows = []
    for node in version.document["nodes"]:
        entry = ctx.host.registry.get("triggers", node["type"], node["type_version"])
        if entry is None:
            continue
        rows += [
            {
                "workspace_id": ctx.workspace_id,
                "scenario_id": scenario_id,
                "version_id": version.id,
                "node_id": node["id"],
                "event_name": name,
            }
            for name in entry.item.listens_to
        ]
    if rows:
        await ctx.session.execute(insert(ScenarioTrigger), rows)


async def stop(ctx: WorkspaceContext, scenario: Scenario, *, end_running: bool) -> int:
    """No new enrolments; with ``end_running`` the friends in it are taken out too. Returns runs ended."""
    if scenario.status == "active":
        scenario.status = "stopped"
    return await end_runs(ctx, scenario.id) if end_running else 0


async def restart(ctx: WorkspaceContext, scenario: Scenario) -> None:
    if scenario.current_version_id is None:
        raise NotPublishable([Problem(None, "$", "まだ公開されていません / publish it first")])
    scenario.status = "active"


async def live_runs(ctx: WorkspaceContext, scenario_id: int) -> int:
    return int(
        await ctx.session.scalar(
            select(func.count())
            .select_from(ScenarioRun)
            .where(ScenarioRun.scenario_id == scenario_id, ScenarioRun.ended_at.is_(None))
        )
        or 0
    )


async def export(
    ctx: WorkspaceContext, scenario: Scenario, *, version: ScenarioVersion | None = None
) -> dict[str, Any]:
    """A file to import into another workspace: the published version (or the draft), with its layout."""
    document = dict(version.document if version else scenario.draft)
    document["layout"] = dict(version.layout if version else scenario.draft_layout)
    return {
        "format": EXPORT_FORMAT,
        "name": scenario.name,
        "folder": scenario.folder,
        "description": scenario.description,
        "document": document,
    }


async def import_(
    ctx: WorkspaceContext, data: dict[str, Any], *, name: str | None = None
) -> tuple[Scenario, list[Problem]]:
    """A new draft from an export; what does not fit this workspace (tags it lacks …) is reported, not dropped."""
    scenario = await create(
        ctx,
        name or data["name"],
        folder=data.get("folder"),
        description=data.get("description"),
        document=data["document"],
    )
    return scenario, await validate_document(ctx, scenario.draft)


async def _live_problems(ctx: WorkspaceContext) -> dict[int, tuple[str, set[Problem]]]:
    """The problems of every active scenario's current version, by scenario id (a fresh memo: nothing cached)."""
    fresh = replace(ctx, memo={})
    rows = await ctx.session.execute(
        select(Scenario.id, Scenario.name, ScenarioVersion.document)
        .join(ScenarioVersion, ScenarioVersion.id == Scenario.current_version_id)
        .where(Scenario.status == "active")
        .order_by(Scenario.id)
    )
    return {sid: (name, set(await validate_document(fresh, document))) for sid, name, document in rows}


async def scenarios_broken_by(ctx: WorkspaceContext, change: Callable[[], Awaitable[object]]) -> list[dict[str, Any]]:
    """Make ``change`` in the session (e.g. delete a tag) and return the running scenarios it would break: each
    active scenario whose published version has problems it did not have before, with those problems.

    A plugin refuses a delete with this unless the user insists, so a live scenario is not left pointing at
    nothing; raising afterwards rolls the change back with the request."""
    before = await _live_problems(ctx)
    await change()
    await ctx.session.flush()
    after = await _live_problems(ctx)
    broken = []
    for sid, (name, problems) in after.items():
        new = problems - before.get(sid, (name, set()))[1]
        if new:
            ordered = sorted(new, key=lambda p: (p.node_id or "", p.path))
            broken.append({"scenario_id": sid, "name": name, "problems": [p.as_dict() for p in ordered]})
    return broken


async def copy(ctx: WorkspaceContext, scenario: Scenario, name: str) -> Scenario:
    """A new draft with the scenario's draft, layout, folder and description; nobody is in it."""
    return await create(
        ctx,
        name,
        folder=scenario.folder,
        description=scenario.description,
        document={**scenario.draft, "layout": dict(scenario.draft_layout)},
    )


async def rename_folder(ctx: WorkspaceContext, old: str, new: str | None) -> int:
    """Every scenario of folder ``old`` moves to ``new`` (None: out of any folder), in one UPDATE."""
    result = await ctx.session.execute(
        update(Scenario)
        .where(Scenario.folder == old)
        .values(folder=new, updated_at=ctx.now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def move_to_folder(ctx: WorkspaceContext, scenario_ids: list[int], folder: str | None) -> int:
    """The scenarios go into ``folder`` (a new name makes the folder; None: out of any), in one UPDATE."""
    result = await ctx.session.execute(
        update(Scenario)
        .where(Scenario.id.in_(scenario_ids))
        .values(folder=folder, updated_at=ctx.now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
